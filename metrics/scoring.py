"""Rubric scoring: one answer's score from its per-criterion verdicts.

score = clip((sum of w * v over positive items - sum of |w| * v over penalty items)
             / sum of positive weights, 0, 1)
with v the verdict in [0, 1] (1/0 for binary judging). With no penalty items this is the weighted
fraction of positive criteria met, the paper's optimized rule. A rubric with no positive weight
cannot score anything and raises.
"""

from __future__ import annotations

from collections.abc import Sequence


def rubric_score(weights: Sequence[int], verdicts: Sequence[float]) -> float:
    if len(weights) != len(verdicts):
        raise ValueError(f"{len(verdicts)} verdicts for {len(weights)} criteria")
    positive_total = sum(w for w in weights if w > 0)
    if positive_total <= 0:
        raise ValueError("a rubric needs at least one positive criterion to be scored")
    for v in verdicts:
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"verdict {v} outside [0, 1]")
    earned = sum(w * v for w, v in zip(weights, verdicts, strict=True) if w > 0)
    penalty = sum(-w * v for w, v in zip(weights, verdicts, strict=True) if w < 0)
    return round(min(1.0, max(0.0, (earned - penalty) / positive_total)), 6)


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None
