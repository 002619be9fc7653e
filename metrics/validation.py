"""The rubric validation metric as a DSPy metric: how well-formed and judge-consistent the rubrics are.

Per round the loop records `verifier.validation` (see `metrics.policy.validation_score`). For one
document the metric is the mean over its rounds, with feedback listing the problems found, so it can
drive an optimizer on its own (`optimizer.metric=validation`) or be reported beside the gap metric.
"""

from __future__ import annotations

import dspy

from programs.records import RoundRecord


def round_validation(record: RoundRecord) -> float:
    if record.verifier is None or record.verifier.validation is None:
        return 0.0
    return record.verifier.validation


def validation_metric(gold, pred, trace=None, pred_name=None, pred_trace=None) -> dspy.Prediction:
    rounds: list[RoundRecord] = list(getattr(pred, "rounds", None) or [])
    if not rounds:
        return dspy.Prediction(score=0.0, feedback="No rounds ran.")
    score = sum(round_validation(r) for r in rounds) / len(rounds)
    notes = []
    for r in rounds:
        v = r.verifier
        if v is None:
            notes.append(f"Round {r.round}: no candidate ({r.detail or r.reason}).")
        elif v.rubric_problems:
            notes.append(f"Round {r.round}: rubric problems: {'; '.join(v.rubric_problems)}.")
        elif not v.passed:
            notes.append(f"Round {r.round}: {v.feedback}")
        else:
            notes.append(f"Round {r.round}: rubric valid (validation {round_validation(r):.2f}).")
    return dspy.Prediction(score=round(score, 6), feedback="\n".join(notes))
