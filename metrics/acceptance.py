"""Acceptance criteria: the paper's three presets, custom thresholds, and decisions with reason codes.

The presets, from Meta FAIR's paper "Autodata: An agentic data scientist to create high quality synthetic
data" (arXiv 2606.25996) and its blog:
- paper     (section 3.1 prose):      weak mean < 0.50, strong mean >= 0.65, gap >= 0.20
- deployed  (appendix/blog prompt):   weak mean <= 0.65, weak best <= 0.75, strong mean in [0.60, 0.95),
                                       gap >= 0.20, and no attempt of either solver scoring 0
- blog      (early blog):             weak mean < 0.50, strong mean >= 0.65, gap >= 0.15
Reading chosen for "no zeros": a round fails if ANY single attempt scores exactly 0 (the stricter
reading: a zero means the question was broken or unanswerable for that attempt).

Every comparison is exact. Scores are rationals (integer weights, verdicts 0 / 0.5 / 1); the loop and
`experiments.records.rows.recompute` pass them as `Fraction`s, other floats are read by `metrics.scoring.as_exact`,
and thresholds are read as the decimals they are written as (0.65 is 13/20). A decision carries the
means and gap as records store them (six decimals), rounded toward the exact value whenever plain
rounding would put a stored mean on the other side of a threshold, so stored numbers never contradict
the decision.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from metrics.scoring import DECIMALS, Number, as_exact, exact_mean
from programs.records import Decision, Direction, Reason


@dataclass(frozen=True)
class Thresholds:
    weak_mean_max: float
    weak_mean_strict: bool  # True: weak mean must be < max; False: <= max
    strong_mean_min: float
    gap_min: float
    weak_best_max: float | None = None
    strong_mean_max: float | None = None  # strict upper bound when set
    weak_no_zero: bool = False
    strong_no_zero: bool = False

    def __post_init__(self) -> None:
        for name in ("weak_mean_max", "strong_mean_min", "gap_min"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"threshold {name}={value} must lie in [0, 1]")
        if self.strong_mean_max is not None and self.strong_mean_max <= self.strong_mean_min:
            raise ValueError(
                f"impossible thresholds: strong_mean_max {self.strong_mean_max} <= "
                f"strong_mean_min {self.strong_mean_min}"
            )
        top = self.strong_mean_max if self.strong_mean_max is not None else 1.0
        if top - 0.0 < self.gap_min:
            raise ValueError(
                f"impossible thresholds: a strong mean below {top} can never beat the weak mean by "
                f"gap_min {self.gap_min}"
            )

    def to_dict(self) -> dict[str, float | bool | None]:
        return dict(self.__dict__)


PRESETS: dict[str, Thresholds] = {
    "paper": Thresholds(weak_mean_max=0.50, weak_mean_strict=True, strong_mean_min=0.65, gap_min=0.20),
    "deployed": Thresholds(
        weak_mean_max=0.65,
        weak_mean_strict=False,
        weak_best_max=0.75,
        weak_no_zero=True,
        strong_mean_min=0.60,
        strong_mean_max=0.95,
        strong_no_zero=True,
        gap_min=0.20,
    ),
    "blog": Thresholds(weak_mean_max=0.50, weak_mean_strict=True, strong_mean_min=0.65, gap_min=0.15),
}


def thresholds_for(preset: str, **overrides: float | None) -> Thresholds:
    """A preset with some thresholds replaced; "custom" starts from "paper" and needs overrides."""
    base_name = "paper" if preset == "custom" else preset
    if base_name not in PRESETS:
        raise ValueError(f"unknown acceptance preset {preset!r}; choose one of {', '.join([*PRESETS, 'custom'])}")
    changes: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}  # checked by replace()
    return replace(PRESETS[base_name], **changes)


def _limit(value: float) -> Fraction:
    return Fraction(str(value))


def agreeing(value: Fraction, limits: Sequence[float | None]) -> float:
    """`value` rounded to six decimals, on the same side of every limit as `value` itself."""
    scale = 10**DECIMALS
    rounded = round(value, DECIMALS)
    for raw in limits:
        if raw is None:
            continue
        limit = _limit(raw)
        if (rounded < limit) != (value < limit) or (rounded > limit) != (value > limit):
            rounded = Fraction((math.floor if value < limit else math.ceil)(value * scale), scale)
    return float(rounded)


def _num(value: float | None) -> str:
    """A threshold or stored mean as written in a decision's detail ("none" for a mean with no scores)."""
    if value is None:
        return "none"
    return f"{value:.{DECIMALS}f}".rstrip("0").rstrip(".") or "0"


@dataclass(frozen=True)
class _Sides:
    """Exact scores of one round and the stored (six-decimal, agreeing) means for its decision."""

    weak: list[Fraction]
    strong: list[Fraction]
    t: Thresholds

    @property
    def weak_mean(self) -> Fraction | None:
        return exact_mean(self.weak)

    @property
    def strong_mean(self) -> Fraction | None:
        return exact_mean(self.strong)

    def stored(self) -> dict[str, float | None]:
        w, s, t = self.weak_mean, self.strong_mean, self.t
        return {
            "weak_mean": None if w is None else agreeing(w, [t.weak_mean_max]),
            "strong_mean": None if s is None else agreeing(s, [t.strong_mean_min, t.strong_mean_max]),
            "gap": None if w is None or s is None else agreeing(s - w, [t.gap_min]),
        }

    def decision(self, accepted: bool, reason: Reason, detail: str, direction: Direction | None = None) -> Decision:
        return Decision(accepted=accepted, reason=reason, detail=detail, direction=direction, **self.stored())


def _sides(t: Thresholds, weak: Sequence[Number], strong: Sequence[Number]) -> _Sides:
    return _Sides([as_exact(x) for x in weak], [as_exact(x) for x in strong], t)


def weak_gate(t: Thresholds, weak: Sequence[Number]) -> Decision | None:
    """Too easy? Checked right after the weak solver, before paying for the strong one."""
    return _weak_checks(_sides(t, weak, []))


def _weak_checks(sides: _Sides) -> Decision | None:
    t, m = sides.t, sides.weak_mean
    if m is None:
        return sides.decision(False, "error", "no weak attempt was scored")
    shown = sides.stored()["weak_mean"]
    limit = _limit(t.weak_mean_max)
    if m >= limit if t.weak_mean_strict else m > limit:
        op = "<" if t.weak_mean_strict else "<="
        detail = f"weak mean {_num(shown)} must be {op} {_num(t.weak_mean_max)}"
        return sides.decision(False, "too_easy", detail, "harder")
    best = max(sides.weak)
    if t.weak_best_max is not None and best > _limit(t.weak_best_max):
        detail = f"best weak attempt {_num(float(best))} > {_num(t.weak_best_max)}"
        return sides.decision(False, "too_easy", detail, "harder")
    if t.weak_no_zero and min(sides.weak) == 0:
        detail = "a weak attempt scored 0: the question may be unanswerable from its context"
        return sides.decision(False, "failed_quality", detail, "reachable")
    return None


def decide(t: Thresholds, weak: Sequence[Number], strong: Sequence[Number]) -> Decision:
    """The full acceptance check (weak conditions, strong conditions, gap)."""
    sides = _sides(t, weak, strong)
    gate = _weak_checks(sides)
    if gate is not None:
        return gate
    s, w = sides.strong_mean, sides.weak_mean
    if s is None or w is None:  # a missing weak mean was already refused by the weak checks
        return sides.decision(False, "error", "no strong attempt was scored")
    shown = sides.stored()
    if s < _limit(t.strong_mean_min):
        detail = f"strong mean {_num(shown['strong_mean'])} < {_num(t.strong_mean_min)}"
        return sides.decision(False, "failed_on_strong", detail, "easier")
    if t.strong_mean_max is not None and s >= _limit(t.strong_mean_max):
        detail = f"strong mean {_num(shown['strong_mean'])} >= {_num(t.strong_mean_max)}: too easy"
        return sides.decision(False, "failed_on_strong", detail, "stricter_rubric")
    if t.strong_no_zero and min(sides.strong) == 0:
        return sides.decision(False, "failed_on_strong", "a strong attempt scored 0", "easier")
    if s - w < _limit(t.gap_min):
        return sides.decision(False, "failed_on_strong", f"gap {_num(shown['gap'])} < {_num(t.gap_min)}", "harder")
    detail = f"weak {_num(shown['weak_mean'])}, strong {_num(shown['strong_mean'])}, gap {_num(shown['gap'])}"
    return sides.decision(True, "accepted", detail)
