"""A judge's agreement with itself and with a second judge, over recorded answers graded again.

Each answer is a `Regraded`: its rubric weights and the verdicts recorded in the run.
- `self_agreement(answers, grades)`: `grades[i]` holds the successful repeated gradings of answer i
  (answers with fewer than two are left out). Pairwise agreement of verdicts, Fleiss' kappa (over the
  criteria rated the most common number of times), mean per-answer score SD, and the mean agreement of
  the regrades with the recorded verdicts.
- `cross_agreement(answers, second)`: `second[i]` is a second judge's verdicts on answer i, or None when
  its grading failed. Verdict agreement and Cohen's kappa against the recorded verdicts, the mean score
  difference (second minus recorded: leniency), its absolute mean, and the score correlation.
Both return {"items": 0} when nothing is left to compare. Pure functions, no I/O.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import mean, pstdev
from typing import Any

from metrics.agreement import agreement, cohen_kappa, fleiss_kappa, pearson
from metrics.scoring import rubric_score


@dataclass(frozen=True)
class Regraded:
    """A recorded answer's rubric weights and the verdicts the run recorded for it."""

    weights: list[int]
    recorded: list[float]

    def score(self, verdicts: Sequence[float]) -> float:
        return rubric_score(self.weights, verdicts)


def _r4(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def self_agreement(answers: Sequence[Regraded], grades: Sequence[Sequence[list[float]]]) -> dict[str, Any]:
    kept = [(a, g) for a, g in zip(answers, grades, strict=True) if len(g) >= 2]
    if not kept:
        return {"items": 0}
    pairs = [agreement(x, y) or 0.0 for _, g in kept for x, y in itertools.combinations(g, 2)]
    units = [[g[r][c] for r in range(len(g))] for _, g in kept for c in range(len(g[0]))]
    same_k = [u for u in units if len(u) == min(len(u) for u in units)]
    return {
        "items": len(kept),
        "pairwise_agreement": round(mean(pairs), 4),
        "fleiss_kappa": _r4(fleiss_kappa(same_k)),
        "score_sd_mean": round(mean(pstdev([a.score(v) for v in g]) for a, g in kept), 4),
        "agreement_with_recorded": round(mean(agreement(a.recorded, v) or 0.0 for a, g in kept for v in g), 4),
    }


def cross_agreement(answers: Sequence[Regraded], second: Sequence[list[float] | None]) -> dict[str, Any]:
    kept = [(a, v) for a, v in zip(answers, second, strict=True) if v is not None]
    if not kept:
        return {"items": 0}
    x = [r for a, _ in kept for r in a.recorded]
    y = [s for _, v in kept for s in v]
    first_scores = [a.score(a.recorded) for a, _ in kept]
    second_scores = [a.score(v) for a, v in kept]
    diffs = [b - a for a, b in zip(first_scores, second_scores, strict=True)]
    return {
        "items": len(kept),
        "agreement": _r4(agreement(x, y)),
        "cohen_kappa": _r4(cohen_kappa(x, y)),
        "score_diff_mean": round(mean(diffs), 4),
        "score_abs_diff_mean": round(mean(abs(d) for d in diffs), 4),
        "score_pearson": _r4(pearson(first_scores, second_scores)),
    }
