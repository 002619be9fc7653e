"""Agreement between two raters (a judge and gold labels, or two judges), and a clustered bootstrap.

- `met(v)`: a verdict counts as "met" when v >= 0.5 (graded 0 / 0.5 / 1 verdicts: half credit counts).
- `agreement(x, y)`: the share of items where the two raters give the same value.
- `cohen_kappa(x, y)`: (p_o - p_e) / (1 - p_e), p_e from each rater's own class shares. When p_e is 1
  (both raters put every item in one and the same class) kappa is 0/0: it is *undefined* and returned
  as None, never as 1 or 0. One constant rater against a varying one is defined (p_e < 1).
- `fleiss_kappa(units)`: Fleiss' kappa for units rated by the same number (>= 2) of raters.
- `met_rate`, `pearson`, `mean_absolute_error`: a rate, a correlation (None when either side is
  constant) and a mean absolute difference.
- `cluster_bootstrap(clusters, stat)`: a percentile bootstrap interval that resamples whole clusters
  (the answers or verdicts of one question are not independent of each other), seeded.
Every function returns None for no items; lengths that differ are a programming error and raise.
Pure functions, no I/O.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TypeVar

from metrics.intervals import DEFAULT_BOOT, DEFAULT_SEED, percentile

T = TypeVar("T")
MET_AT = 0.5


def met(value: float) -> int:
    return int(value >= MET_AT)


def _pair(x: Sequence[float], y: Sequence[float]) -> bool:
    if len(x) != len(y):
        raise ValueError(f"{len(x)} values against {len(y)}")
    return bool(x)


def _share_equal(x: Sequence[float], y: Sequence[float]) -> float:
    return sum(a == b for a, b in zip(x, y, strict=True)) / len(x)


def agreement(x: Sequence[float], y: Sequence[float]) -> float | None:
    if not _pair(x, y):
        return None
    return _share_equal(x, y)


def cohen_kappa(x: Sequence[float], y: Sequence[float]) -> float | None:
    if not _pair(x, y):
        return None
    p_o = _share_equal(x, y)
    cx, cy = Counter(x), Counter(y)
    p_e = sum(cx[c] * cy[c] for c in cx) / (len(x) ** 2)
    return None if p_e >= 1.0 else (p_o - p_e) / (1.0 - p_e)


def fleiss_kappa(units: Sequence[Sequence[float]]) -> float | None:
    """None when there is no unit with >= 2 ratings, the rater counts differ, or chance agreement is 1."""
    units = [u for u in units if len(u) >= 2]
    if not units or len({len(u) for u in units}) != 1:
        return None
    k = len(units[0])
    totals: Counter[float] = Counter()
    p_units = []
    for u in units:
        counts = Counter(u)
        totals.update(counts)
        p_units.append(sum(c * (c - 1) for c in counts.values()) / (k * (k - 1)))
    n = len(units) * k
    p_e = sum((c / n) ** 2 for c in totals.values())
    return None if p_e >= 1.0 else (sum(p_units) / len(p_units) - p_e) / (1.0 - p_e)


def met_rate(values: Sequence[float]) -> float | None:
    return sum(met(v) for v in values) / len(values) if values else None


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    if not _pair(x, y) or len(x) < 2:
        return None
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx, syy = sum((a - mx) ** 2 for a in x), sum((b - my) ** 2 for b in y)
    return None if sxx == 0 or syy == 0 else sxy / (sxx * syy) ** 0.5


def mean_absolute_error(x: Sequence[float], y: Sequence[float]) -> float | None:
    if not _pair(x, y):
        return None
    return sum(abs(a - b) for a, b in zip(x, y, strict=True)) / len(x)


@dataclass(frozen=True)
class ClusteredEstimate:
    """A statistic on all items, with a percentile interval from resampling whole clusters.

    `undefined` counts resamples on which the statistic was undefined (None); they are left out of
    the interval. `value` is None when the statistic is undefined on the data itself.
    """

    value: float | None
    lo: float | None
    hi: float | None
    clusters: int
    undefined: int = 0

    def to_dict(self) -> dict[str, float | None]:
        return asdict(self)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def cluster_bootstrap(
    clusters: Sequence[Sequence[T]],
    stat: Callable[[list[T]], float | None],
    *,
    n_boot: int = DEFAULT_BOOT,
    level: float = 0.95,
    seed: int = DEFAULT_SEED,
) -> ClusteredEstimate:
    """`stat` over all items of `clusters`, with a bootstrap interval over clusters.

    Each of `n_boot` resamples draws len(clusters) clusters with replacement (`random.Random(seed)`)
    and applies `stat` to their items together, so every statistic computed with the same seed sees
    the same resamples. With fewer than two clusters the interval collapses to the value.
    """
    clusters = [list(c) for c in clusters]
    value = stat([item for c in clusters for item in c])
    if value is None or len(clusters) < 2 or n_boot < 1:
        return ClusteredEstimate(_round(value), _round(value), _round(value), len(clusters))
    rng = random.Random(seed)
    stats, undefined = [], 0
    for _ in range(n_boot):
        drawn = rng.choices(clusters, k=len(clusters))
        s = stat([item for c in drawn for item in c])
        if s is None:
            undefined += 1
        else:
            stats.append(s)
    if not stats:
        return ClusteredEstimate(_round(value), None, None, len(clusters), undefined)
    stats.sort()
    tail = (1.0 - level) / 2.0
    lo, hi = percentile(stats, tail), percentile(stats, 1.0 - tail)
    return ClusteredEstimate(_round(value), _round(lo), _round(hi), len(clusters), undefined)
