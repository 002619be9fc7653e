"""Interval estimates for the comparison table: seeded percentile bootstrap, paired differences.

- `estimate(values)`: the mean with a 95% percentile-bootstrap interval (a fixed seed, so a table is
  reproducible from its rows).
- `paired_difference(a, b)`: per-document values of two methods on the SAME documents; the mean of
  `a[d] - b[d]` over the documents both have, with a bootstrap interval that resamples documents.
- `paired_rate_difference(a, b)`: per-document counts (hits, n) of two methods, e.g. valid candidates
  out of candidates; the difference of the pooled rates sum(hits)/sum(n) over the documents where both
  have n > 0, with a bootstrap interval that resamples documents (a cluster bootstrap: a document's
  candidates stay together).
Percentiles interpolate linearly between order statistics (numpy's default "linear" rule). With fewer
than two values there is nothing to resample: the interval collapses to the value (or is None for
none). Pure functions, no I/O; the Wilson interval for rates lives in `metrics.stats`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TypeVar

T = TypeVar("T")
DEFAULT_BOOT = 2000
DEFAULT_SEED = 0


@dataclass(frozen=True)
class Estimate:
    """A statistic over `n` values with its interval; `mean` is None when there are no values."""

    n: int
    mean: float | None
    lo: float | None
    hi: float | None

    def to_dict(self) -> dict[str, float | None]:
        return asdict(self)

    def fmt(self, digits: int = 2) -> str:
        """`0.46 [0.38, 0.53] (n=12)`, or `-` with no values."""
        if self.mean is None:
            return "-"
        f = f"{{:.{digits}f}}"
        interval = f" [{f.format(self.lo)}, {f.format(self.hi)}]" if self.n > 1 else ""
        return f"{f.format(self.mean)}{interval} (n={self.n})"


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-quantile (0 <= q <= 1) of already sorted values, linear interpolation between ranks."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile {q} outside [0, 1]")
    pos = q * (len(sorted_values) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    frac = pos - lo
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * frac


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def bootstrap_ci(
    values: Sequence[float],
    stat: Callable[[Sequence[float]], float] = _mean,
    *,
    n_boot: int = DEFAULT_BOOT,
    level: float = 0.95,
    seed: int = DEFAULT_SEED,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of `stat` (the mean by default) over `values`; None for no values."""
    return resample_ci(values, stat, n_boot=n_boot, level=level, seed=seed)


def resample_ci(
    items: Sequence[T],
    stat: Callable[[Sequence[T]], float],
    *,
    n_boot: int = DEFAULT_BOOT,
    level: float = 0.95,
    seed: int = DEFAULT_SEED,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of `stat` over `items` of any kind; None for no items.

    Each of `n_boot` resamples draws len(items) items with replacement from a `random.Random(seed)`.
    """
    items = list(items)
    if not items:
        return None
    if len(items) == 1 or n_boot < 1:
        point = stat(items)
        return (point, point)
    rng = random.Random(seed)
    stats = sorted(stat(rng.choices(items, k=len(items))) for _ in range(n_boot))
    tail = (1.0 - level) / 2.0
    return (round(percentile(stats, tail), 6), round(percentile(stats, 1.0 - tail), 6))


def estimate(values: Sequence[float], *, n_boot: int = DEFAULT_BOOT, seed: int = DEFAULT_SEED) -> Estimate:
    values = [float(v) for v in values]
    interval = bootstrap_ci(values, n_boot=n_boot, seed=seed)
    if interval is None:
        return Estimate(0, None, None, None)
    return Estimate(len(values), round(_mean(values), 6), *interval)


def paired_values(a: Mapping[str, float], b: Mapping[str, float]) -> list[float]:
    """`a[d] - b[d]` for every document d present in both, in sorted document order."""
    return [float(a[d]) - float(b[d]) for d in sorted(set(a) & set(b))]


def paired_difference(
    a: Mapping[str, float], b: Mapping[str, float], *, n_boot: int = DEFAULT_BOOT, seed: int = DEFAULT_SEED
) -> Estimate:
    """Mean of the per-document differences a - b with a bootstrap interval over documents."""
    return estimate(paired_values(a, b), n_boot=n_boot, seed=seed)


def paired_rate_difference(
    a: Mapping[str, tuple[int, int]],
    b: Mapping[str, tuple[int, int]],
    *,
    n_boot: int = DEFAULT_BOOT,
    seed: int = DEFAULT_SEED,
) -> Estimate:
    """Pooled rate of `a` minus pooled rate of `b` over the documents where both counted something."""
    docs = [d for d in sorted(set(a) & set(b)) if a[d][1] > 0 and b[d][1] > 0]
    pairs = [(a[d], b[d]) for d in docs]

    def diff(sample: Sequence[tuple[tuple[int, int], tuple[int, int]]]) -> float:
        hits_a, n_a = sum(x[0][0] for x in sample), sum(x[0][1] for x in sample)
        hits_b, n_b = sum(x[1][0] for x in sample), sum(x[1][1] for x in sample)
        return hits_a / n_a - hits_b / n_b

    interval = resample_ci(pairs, diff, n_boot=n_boot, seed=seed)
    if interval is None:
        return Estimate(0, None, None, None)
    lo, hi = interval
    return Estimate(len(pairs), round(diff(pairs), 6), round(lo, 6), round(hi, 6))


def reading(difference: Estimate) -> str | None:
    """ "better" when the whole interval of a difference lies above 0, "worse" when below, else
    "indistinguishable" (an interval touching 0 is indistinguishable); None with no values."""
    if difference.lo is None or difference.hi is None:
        return None
    if difference.lo > 0:
        return "better"
    if difference.hi < 0:
        return "worse"
    return "indistinguishable"
