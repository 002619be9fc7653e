"""Acceptance presets and reason codes, table-driven."""

from __future__ import annotations

import pytest

from metrics.acceptance import Thresholds, decide, thresholds_for, weak_gate

CASES = [
    # preset, weak scores, strong scores, accepted, reason
    ("paper", [0.4, 0.4], [0.7, 0.7], True, "accepted"),
    ("paper", [0.5, 0.5], [0.9, 0.9], False, "too_easy"),  # strict < 0.50
    ("paper", [0.4, 0.4], [0.6, 0.6], False, "failed_on_strong"),  # strong < 0.65
    ("paper", [0.49, 0.49], [0.65, 0.65], False, "failed_on_strong"),  # gap 0.16 < 0.20
    ("blog", [0.49, 0.49], [0.65, 0.65], True, "accepted"),  # gap 0.16 >= 0.15
    ("deployed", [0.65, 0.65], [0.9, 0.9], True, "accepted"),  # weak <= 0.65 allowed
    ("deployed", [0.5, 0.8], [0.9, 0.9], False, "too_easy"),  # best weak 0.8 > 0.75
    ("deployed", [0.0, 0.6], [0.9, 0.9], False, "failed_quality"),  # a weak zero
    ("deployed", [0.3, 0.3], [0.95, 0.95], False, "failed_on_strong"),  # strong must be < 0.95
    ("deployed", [0.3, 0.3], [0.0, 1.0], False, "failed_on_strong"),  # strong mean 0.5 < 0.6
    ("deployed", [0.3, 0.3], [0.6, 0.6], True, "accepted"),
]


@pytest.mark.parametrize(("preset", "weak", "strong", "accepted", "reason"), CASES)
def test_decide(preset, weak, strong, accepted, reason):
    decision = decide(thresholds_for(preset), weak, strong)
    assert (decision.accepted, decision.reason) == (accepted, reason), decision.detail


def test_weak_gate_only_judges_the_weak_side():
    assert weak_gate(thresholds_for("paper"), [0.1, 0.2]) is None
    assert weak_gate(thresholds_for("paper"), [0.9]).reason == "too_easy"


def test_overrides_and_custom():
    t = thresholds_for("custom", gap_min=0.3, weak_mean_max=0.4)
    assert (t.gap_min, t.weak_mean_max, t.strong_mean_min) == (0.3, 0.4, 0.65)
    with pytest.raises(ValueError, match="unknown acceptance preset"):
        thresholds_for("lenient")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"strong_mean_max": 0.5, "strong_mean_min": 0.6},
        {"gap_min": 0.7, "strong_mean_max": 0.6, "strong_mean_min": 0.5},
        {"gap_min": 1.5},
    ],
)
def test_impossible_thresholds_are_rejected(kwargs):
    base = {"weak_mean_max": 0.5, "weak_mean_strict": True, "strong_mean_min": 0.65, "gap_min": 0.2}
    with pytest.raises(ValueError):
        Thresholds(**{**base, **kwargs})
