"""The one metric every optimizer uses: gap, rubric validation, or a weighted combination of both.

`make_metric(name, thresholds, weights)` returns a DSPy metric (five-argument form, so GEPA reads its
feedback) that maps the loop's Prediction for one document to `dspy.Prediction(score, feedback)`;
`float()` of it is the score, which Evaluate, MIPROv2, BootstrapFewShot, SIMBA and COPRO use.
- "gap":        the gap metric (`metrics.gap`): 1 for an accepted example, partial credit otherwise;
- "validation": the mean rubric validation of the document's rounds (`metrics.validation`);
- "combined":   weights["gap"] * gap + weights["validation"] * validation. On small models the gap
                signal is sparse (few rounds get past the quality gate), and the validation part gives
                the optimizer a slope toward candidates that pass it.
The feedback starts with how the score was made and then names, round by round, what failed
(`metrics.explain`). Weights are validated here and recorded by the caller; they must sum to 1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import dspy

from metrics.acceptance import Thresholds
from metrics.explain import explain_rounds, num
from metrics.gap import gap_score
from metrics.validation import mean_validation
from programs.records import RoundRecord

METRICS = ("gap", "validation", "combined")


def effective_weights(name: str, weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """The weights a metric applies: gap alone is {gap: 1, validation: 0}, and so on."""
    if name == "gap":
        return {"gap": 1.0, "validation": 0.0}
    if name == "validation":
        return {"gap": 0.0, "validation": 1.0}
    if name != "combined":
        raise ValueError(f"unknown metric {name!r}; choose one of: {', '.join(METRICS)}")
    w = dict(weights or {})
    if set(w) != {"gap", "validation"}:
        raise ValueError(f"combined metric weights need exactly the keys gap and validation, got {sorted(w)}")
    if any(not 0.0 <= v <= 1.0 for v in w.values()) or not math.isclose(sum(w.values()), 1.0, abs_tol=1e-9):
        raise ValueError(f"combined metric weights must lie in [0, 1] and sum to 1, got {w}")
    return {"gap": float(w["gap"]), "validation": float(w["validation"])}


def score_line(weights: Mapping[str, float], gap: float, validation: float, score: float) -> str:
    """How the score was made, e.g. "Score 0.55 = 0.7 x gap credit 0.7 + 0.3 x rubric validation 0.2"."""
    parts = []
    if weights["gap"]:
        parts.append(f"{num(weights['gap'])} x gap credit {num(gap)}")
    if weights["validation"]:
        parts.append(f"{num(weights['validation'])} x rubric validation {num(validation)}")
    return (
        f"Score {num(score)} = {' + '.join(parts)} (gap credit: 1 accepted, 0.3-0.7 failed on strong, "
        "0.1-0.3 too easy, 0-0.1 failed quality; rubric validation: mean over rounds)."
    )


def make_metric(
    name: str, thresholds: Thresholds, weights: Mapping[str, float] | None = None
) -> Callable[..., dspy.Prediction]:
    w = effective_weights(name, weights)

    def metric(
        gold: dspy.Example,
        pred: dspy.Prediction,
        trace: object = None,
        pred_name: str | None = None,
        pred_trace: object = None,
    ) -> dspy.Prediction:
        rounds: list[RoundRecord] = list(getattr(pred, "rounds", None) or [])
        gap, validation = gap_score(rounds, thresholds.gap_min), mean_validation(rounds)
        score = round(w["gap"] * gap + w["validation"] * validation, 6)
        feedback = score_line(w, gap, validation, score) + "\n" + explain_rounds(rounds, thresholds)
        return dspy.Prediction(score=score, feedback=feedback)

    metric.__name__ = f"{name}_metric"
    return metric


def make_gap_metric(thresholds: Thresholds) -> Callable[..., dspy.Prediction]:
    """The gap metric alone (`make_metric("gap", thresholds)`)."""
    return make_metric("gap", thresholds)
