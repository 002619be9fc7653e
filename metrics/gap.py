"""The gap metric: the one DSPy metric every optimizer uses, returning a score and written feedback.

It reads the loop's Prediction for one document (all its rounds) and returns
`dspy.Prediction(score=..., feedback=...)`; `float()` of that is the score, so Evaluate, MIPROv2,
BootstrapFewShot, SIMBA, COPRO and GEPA (five-argument form, reads the feedback) can all use it.

Score: 1.0 when the document yields an accepted example. Otherwise the best round's partial credit,
so optimizers with small budgets still see a slope:
- failed_on_strong: 0.3 + 0.4 * clip(gap / gap_min, 0, 1)       (0.3 .. 0.7)
- too_easy:         0.1 + 0.2 * (1 - weak mean)                   (0.1 .. 0.3)
- failed_quality:   0.1 * the round's rubric validation metric    (0 .. 0.1)
- invalid / error:  0
"""

from __future__ import annotations

from collections.abc import Callable

import dspy

from metrics.acceptance import Thresholds
from programs.records import RoundRecord


def round_credit(record: RoundRecord, gap_min: float) -> float:
    if record.accepted:
        return 1.0
    if record.reason == "failed_on_strong" and record.gap is not None:
        ratio = min(1.0, max(0.0, record.gap / gap_min)) if gap_min > 0 else 1.0
        return 0.3 + 0.4 * ratio
    if record.reason == "too_easy" and record.weak_mean is not None:
        return 0.1 + 0.2 * (1.0 - record.weak_mean)
    if record.reason == "failed_quality" and record.verifier and record.verifier.validation is not None:
        return 0.1 * record.verifier.validation
    return 0.0


def describe(rounds: list[RoundRecord]) -> str:
    """Round-by-round feedback for a reflective optimizer (and for humans reading logs)."""
    if not rounds:
        return "No rounds ran."
    lines = []
    for r in rounds:
        q = (
            (r.candidate.question[:160] + "...")
            if r.candidate and len(r.candidate.question) > 160
            else (r.candidate.question if r.candidate else "(unparseable)")
        )
        lines.append(f"Round {r.round} [{r.reason}] {r.summary_line().split(': ', 1)[1]}. Q: {q}")
        if r.detail:
            lines.append(f"  why: {r.detail}")
    accepted = any(r.accepted for r in rounds)
    lines.append(
        "Accepted: the question separated the solvers."
        if accepted
        else "No accepted question. Harder questions need paper-specific insight that a weak model "
        "cannot guess, with a context that sets up the problem without giving the answer away."
    )
    return "\n".join(lines)


def make_gap_metric(thresholds: Thresholds) -> Callable[..., dspy.Prediction]:
    def gap_metric(gold, pred, trace=None, pred_name=None, pred_trace=None) -> dspy.Prediction:
        rounds: list[RoundRecord] = list(getattr(pred, "rounds", None) or [])
        score = max((round_credit(r, thresholds.gap_min) for r in rounds), default=0.0)
        return dspy.Prediction(score=round(score, 6), feedback=describe(rounds))

    gap_metric.__name__ = "gap_metric"
    return gap_metric


def passed(pred) -> bool:
    """Whether one document's run yielded an accepted example (for pass rates)."""
    return getattr(pred, "accepted", None) is not None
