"""The gap metric's score: how close one document's rounds came to an accepted example.

It reads the loop's Prediction for one document (all its rounds). Score: 1.0 when the document yields
an accepted example. Otherwise the best round's partial credit, so optimizers with small budgets still
see a slope:
- failed_on_strong: 0.3 + 0.4 * clip(gap / gap_min, 0, 1)       (0.3 .. 0.7)
- too_easy:         0.1 + 0.2 * (1 - weak mean)                   (0.1 .. 0.3)
- failed_quality:   0.1 * the round's rubric validation metric    (0 .. 0.1)
- invalid / error:  0
The DSPy metric built on it (alone or combined with the rubric validation metric) is
`metrics.metric.make_metric`.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def gap_score(rounds: Sequence[RoundRecord], gap_min: float) -> float:
    """The best round's credit (0 with no rounds), rounded to six decimals."""
    return round(max((round_credit(r, gap_min) for r in rounds), default=0.0), 6)


def passed(pred: object) -> bool:
    """Whether one document's run yielded an accepted example (for pass rates)."""
    return getattr(pred, "accepted", None) is not None
