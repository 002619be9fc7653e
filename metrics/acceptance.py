"""Acceptance criteria: the paper's three presets, custom thresholds, and decisions with reason codes.

The presets, from Meta FAIR's paper "Autodata: An agentic data scientist to create high quality synthetic
data" (arXiv 2606.25996) and its blog:
- paper     (section 3.1 prose):      weak mean < 0.50, strong mean >= 0.65, gap >= 0.20
- deployed  (appendix/blog prompt):   weak mean <= 0.65, weak best <= 0.75, strong mean in [0.60, 0.95),
                                       gap >= 0.20, and no attempt of either solver scoring 0
- blog      (early blog):             weak mean < 0.50, strong mean >= 0.65, gap >= 0.15
Reading chosen for "no zeros": a round fails if ANY single attempt scores exactly 0 (the stricter
reading: a zero means the question was broken or unanswerable for that attempt).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from metrics.scoring import mean
from programs.records import Decision


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

    def to_dict(self) -> dict:
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
    changes = {k: v for k, v in overrides.items() if v is not None}
    return replace(PRESETS[base_name], **changes)


def weak_gate(t: Thresholds, weak: list[float]) -> Decision | None:
    """Too easy? Checked right after the weak solver, before paying for the strong one."""
    m = mean(weak)
    if m is None:
        return Decision(accepted=False, reason="error", detail="no weak attempt was scored")
    too_high = m >= t.weak_mean_max if t.weak_mean_strict else m > t.weak_mean_max
    if too_high:
        op = "<" if t.weak_mean_strict else "<="
        return Decision(accepted=False, reason="too_easy", detail=f"weak mean {m:.2f} must be {op} {t.weak_mean_max}")
    if t.weak_best_max is not None and max(weak) > t.weak_best_max:
        return Decision(
            accepted=False, reason="too_easy", detail=f"best weak attempt {max(weak):.2f} > {t.weak_best_max}"
        )
    if t.weak_no_zero and min(weak) == 0.0:
        return Decision(
            accepted=False,
            reason="failed_quality",
            detail="a weak attempt scored 0: the question may be unanswerable from its context",
        )
    return None


def decide(t: Thresholds, weak: list[float], strong: list[float]) -> Decision:
    """The full acceptance check (weak conditions, strong conditions, gap)."""
    gate = weak_gate(t, weak)
    if gate is not None:
        return gate
    s, w = mean(strong), mean(weak)
    if s is None:
        return Decision(accepted=False, reason="error", detail="no strong attempt was scored")
    if s < t.strong_mean_min:
        return Decision(accepted=False, reason="failed_on_strong", detail=f"strong mean {s:.2f} < {t.strong_mean_min}")
    if t.strong_mean_max is not None and s >= t.strong_mean_max:
        return Decision(
            accepted=False,
            reason="failed_on_strong",
            detail=f"strong mean {s:.2f} >= {t.strong_mean_max}: too easy",
        )
    if t.strong_no_zero and min(strong) == 0.0:
        return Decision(accepted=False, reason="failed_on_strong", detail="a strong attempt scored 0")
    gap = s - w
    if gap < t.gap_min - 1e-9:
        return Decision(accepted=False, reason="failed_on_strong", detail=f"gap {gap:.2f} < {t.gap_min}")
    return Decision(accepted=True, reason="accepted", detail=f"weak {w:.2f}, strong {s:.2f}, gap {gap:.2f}")
