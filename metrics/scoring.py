"""Rubric scoring: one answer's score from its per-criterion verdicts, exactly and as stored.

score = clip((sum of w * v over positive items - sum of |w| * v over penalty items)
             / sum of positive weights, 0, 1)
with v the verdict in [0, 1] (1/0 for binary judging, 0/0.5/1 graded). With no penalty items this is
the weighted fraction of positive criteria met, the paper's optimized rule. A rubric with no positive
weight cannot score anything and raises.

Weights are integers and verdicts are 0, 0.5 or 1, so every score is a rational number. Decisions at
the acceptance thresholds compare those rationals exactly (`exact_score`, `Fraction`); records store
the score rounded to six decimals (`rubric_score`). `as_exact` reads a stored or hand-written float
back as the rational it stands for (see its docstring for when that is exact).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from numbers import Rational

DECIMALS = 6  # stored scores and means are rounded to this many decimals
# Two distinct fractions with denominators below 1000 differ by more than 1e-6, twice the largest
# rounding error of a six-decimal float, so a stored score whose exact value has a denominator below
# 1000 is recovered exactly (see `as_exact`).
RECOVERABLE_DENOMINATOR = 999
_HALF_UNIT = Fraction(1, 2 * 10**DECIMALS)

Number = Rational | float


def _verdict(v: float) -> Fraction:
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"verdict {v} outside [0, 1]")
    # A float verdict is read as the decimal it prints as (0.5 is 1/2); bools and ints are exact.
    return Fraction(v) if isinstance(v, (int, Rational)) else Fraction(str(float(v)))


def exact_score(weights: Sequence[int], verdicts: Sequence[float]) -> Fraction:
    """One answer's score as an exact fraction in [0, 1]."""
    if len(weights) != len(verdicts):
        raise ValueError(f"{len(verdicts)} verdicts for {len(weights)} criteria")
    positive_total = sum(w for w in weights if w > 0)
    if positive_total <= 0:
        raise ValueError("a rubric needs at least one positive criterion to be scored")
    values = [_verdict(v) for v in verdicts]
    earned = sum((w * v for w, v in zip(weights, values, strict=True) if w > 0), Fraction(0))
    penalty = sum((-w * v for w, v in zip(weights, values, strict=True) if w < 0), Fraction(0))
    return min(Fraction(1), max(Fraction(0), (earned - penalty) / positive_total))


def stored(value: Number) -> float:
    """The float a record stores for an exact score or mean: rounded to six decimals."""
    return round(float(round(Fraction(value), DECIMALS)), DECIMALS)


def rubric_score(weights: Sequence[int], verdicts: Sequence[float]) -> float:
    """One answer's score as records store it (six decimals)."""
    return stored(exact_score(weights, verdicts))


def as_exact(value: Number) -> Fraction:
    """The exact rational a score stands for.

    Fractions and ints are taken as they are. A float is read as the fraction with a denominator below
    1000 that lies within half a millionth of it when there is one (unique, as two such fractions are
    more than a millionth apart): every stored rubric score whose positive weights total less than 500
    (binary judging: less than 1000), and every hand-written value with up to three decimals, comes back
    exactly. Any other float is read as the decimal it prints as. Exact inputs (`exact_score`) need none
    of this; the loop and `experiments.records.rows.recompute` pass them.
    """
    if isinstance(value, Rational):
        return Fraction(value)
    value = float(value)
    near = Fraction(value).limit_denominator(RECOVERABLE_DENOMINATOR)
    decimal = Fraction(str(value))
    return near if abs(near - decimal) <= _HALF_UNIT else decimal


def exact_mean(values: Sequence[Number]) -> Fraction | None:
    return sum((as_exact(v) for v in values), Fraction(0)) / len(values) if values else None


def mean(values: Sequence[float]) -> float | None:
    m = exact_mean(values)
    return None if m is None else stored(m)
