"""Acceptance presets and reason codes, table-driven, with exact decisions at every threshold."""

from __future__ import annotations

import random
from fractions import Fraction as F

import pytest

from metrics.acceptance import Thresholds, agreeing, decide, thresholds_for, weak_gate
from metrics.scoring import exact_score, rubric_score

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


# Mixed samples whose means land exactly on each preset's thresholds (float sums of these miss the
# threshold by one ulp, on either side), and samples just across them.
BOUNDARIES = [
    # paper: weak mean < 0.50, strong mean >= 0.65, gap >= 0.20
    ("paper", [0.1, 0.6, 0.6, 0.7], [0.9, 1.0], False, "too_easy"),  # weak mean = 0.50
    ("paper", [0.1, 0.6, 0.6, 0.69], [0.7, 0.8], True, "accepted"),  # weak mean 0.4975
    ("paper", [0.55, 0.65, 0.75], [0.9, 1.0], False, "too_easy"),  # weak mean = 0.65
    ("paper", [0.2, 0.3, 0.4], [0.6, 0.7], True, "accepted"),  # strong mean = 0.65
    ("paper", [0.2, 0.3, 0.4], [0.6, 0.69], False, "failed_on_strong"),  # strong mean 0.645
    ("paper", [0.3, 0.5, 0.55], [0.6, 0.7], True, "accepted"),  # gap = 0.20
    ("paper", [0.3, 0.5, 0.56], [0.6, 0.7], False, "failed_on_strong"),  # gap 0.1967
    ("paper", [0.4, 0.45], [0.55, 0.65], False, "failed_on_strong"),  # gap = 0.15, strong 0.60 < 0.65
    ("paper", [0.2, 0.4], [0.0, 1.0, 1.0], True, "accepted"),  # no "no zeros" rule in this preset
    # blog: weak mean < 0.50, strong mean >= 0.65, gap >= 0.15. With those two mean rules the gap is
    # always > 0.15, so the gap rule cannot bind alone: at gap = 0.15 a mean rule fails first.
    ("blog", [0.4, 0.5, 0.6], [0.6, 0.7], False, "too_easy"),  # weak mean = 0.50, gap = 0.15
    ("blog", [0.35, 0.6], [0.6, 0.7], True, "accepted"),  # strong mean = 0.65, gap 0.175
    ("blog", [0.3, 0.45], [0.6, 0.69], False, "failed_on_strong"),  # strong mean 0.645
    ("blog", [0.3, 0.5, 0.55], [0.6, 0.7], True, "accepted"),  # gap = 0.20
    ("blog", [0.1, 0.6, 0.6, 0.7], [0.9, 1.0], False, "too_easy"),  # weak mean = 0.50
    # deployed: weak mean <= 0.65, best weak <= 0.75, no weak zero; 0.60 <= strong mean < 0.95, no
    # strong zero; gap >= 0.20
    ("deployed", [0.55, 0.65, 0.75], [0.8, 0.9], True, "accepted"),  # weak mean = 0.65, best = 0.75, gap = 0.20
    ("deployed", [0.55, 0.66, 0.75], [0.8, 0.9], False, "too_easy"),  # weak mean 0.6533
    ("deployed", [0.1, 0.6, 0.6, 0.7], [0.8, 0.9], True, "accepted"),  # weak mean = 0.50 is fine here
    ("deployed", [0.3, 0.75], [0.8, 0.9], True, "accepted"),  # best weak = 0.75
    ("deployed", [0.3, 0.76], [0.8, 0.9], False, "too_easy"),  # best weak 0.76
    ("deployed", [0.3, 0.5], [0.5, 0.7], True, "accepted"),  # strong mean = 0.60, gap = 0.20
    ("deployed", [0.3, 0.5], [0.5, 0.69], False, "failed_on_strong"),  # strong mean 0.595
    ("deployed", [0.2, 0.3, 0.4], [0.6, 0.7], True, "accepted"),  # strong mean = 0.65
    ("deployed", [0.3, 0.4], [0.95, 0.95, 0.95], False, "failed_on_strong"),  # strong mean = 0.95
    ("deployed", [0.3, 0.4], [0.9, 1.0], False, "failed_on_strong"),  # strong mean = 0.95
    ("deployed", [0.3, 0.4], [0.9, 0.99], True, "accepted"),  # strong mean 0.945
    ("deployed", [0.35, 0.45], [0.55, 0.65], True, "accepted"),  # gap = 0.20
    ("deployed", [0.35, 0.46], [0.55, 0.65], False, "failed_on_strong"),  # gap 0.195
    ("deployed", [0.4, 0.45], [0.55, 0.65], False, "failed_on_strong"),  # gap = 0.15
    ("deployed", [0.3, 0.4], [0.0, 0.9, 1.0, 1.0], False, "failed_on_strong"),  # a strong zero, mean 0.725
    ("deployed", [0.0, 0.4, 0.5], [0.8, 0.9], False, "failed_quality"),  # a weak zero
    # Scores that are not decimals: 2/6, 2/6, 5/6 (weights 1, 2, 3) average exactly 1/2, also when
    # given as the six-decimal floats a record stores.
    ("paper", [F(1, 3), F(1, 3), F(5, 6)], [0.9, 1.0], False, "too_easy"),
    ("paper", [0.333333, 0.333333, 0.833333], [0.9, 1.0], False, "too_easy"),
]


@pytest.mark.parametrize(("preset", "weak", "strong", "accepted", "reason"), CASES + BOUNDARIES)
def test_decide(preset, weak, strong, accepted, reason):
    t = thresholds_for(preset)
    decision = decide(t, weak, strong)
    assert (decision.accepted, decision.reason) == (accepted, reason), decision.detail
    assert_stored_means_agree(t, decision)


def mean_rules(t: Thresholds, weak: float, strong: float, gap: float) -> dict[str, bool]:
    """The preset's mean rules evaluated on stored floats, as a reader of rounds.jsonl would."""
    return {
        "weak mean": weak < t.weak_mean_max if t.weak_mean_strict else weak <= t.weak_mean_max,
        "strong min": strong >= t.strong_mean_min,
        "strong max": t.strong_mean_max is None or strong < t.strong_mean_max,
        "gap": gap >= t.gap_min,
    }


def assert_stored_means_agree(t: Thresholds, decision) -> None:
    d = decision
    if None in (d.weak_mean, d.strong_mean, d.gap):
        return
    rules = mean_rules(t, d.weak_mean, d.strong_mean, d.gap)
    if d.accepted:
        assert all(rules.values()), (rules, d)
    elif d.detail.startswith("weak mean"):
        assert not rules["weak mean"], d
    elif d.detail.startswith("strong mean") and "<" in d.detail and ">=" not in d.detail:
        assert not rules["strong min"], d
    elif d.detail.startswith("strong mean"):
        assert not rules["strong max"], d
    elif d.detail.startswith("gap"):
        assert not rules["gap"], d


def test_the_issue_examples():
    paper, deployed = thresholds_for("paper"), thresholds_for("deployed")
    assert decide(paper, [0.2, 0.3], [0.6, 0.7]).accepted  # strong mean exactly 0.65
    assert decide(paper, [0.1, 0.6, 0.6, 0.7], [0.9, 0.9]).reason == "too_easy"  # weak mean exactly 0.50
    assert decide(deployed, [0.3, 0.4], [0.95] * 3).reason == "failed_on_strong"  # strong mean exactly 0.95


def reference_decision(t: Thresholds, weak: list[F], strong: list[F]) -> bool:
    """The presets written out once more, plainly, on exact fractions."""
    lim = {k: F(str(v)) for k, v in t.to_dict().items() if isinstance(v, float)}
    w, s = sum(weak) / len(weak), sum(strong) / len(strong)
    ok = w < lim["weak_mean_max"] if t.weak_mean_strict else w <= lim["weak_mean_max"]
    ok &= "weak_best_max" not in lim or max(weak) <= lim["weak_best_max"]
    ok &= not (t.weak_no_zero and min(weak) == 0) and not (t.strong_no_zero and min(strong) == 0)
    ok &= s >= lim["strong_mean_min"] and ("strong_mean_max" not in lim or s < lim["strong_mean_max"])
    return ok and s - w >= lim["gap_min"]


@pytest.mark.parametrize("preset", ["paper", "deployed", "blog"])
def test_random_rubric_scores_decide_like_the_exact_reference_and_store_agreeing_means(preset):
    """Rubric scores from random integer weights and 0 / 0.5 / 1 verdicts, many landing on a threshold."""
    rng, t = random.Random(preset), thresholds_for(preset)
    for _ in range(1000):
        weights = [rng.randint(1, 10) for _ in range(rng.randint(1, 6))]

        weak_v, strong_v = (
            [[rng.choice((0.0, 0.5, 1.0)) for _ in weights] for _ in range(rng.randint(1, 4))] for _ in "ws"
        )
        weak = [exact_score(weights, v) for v in weak_v]
        strong = [exact_score(weights, v) for v in strong_v]
        decision = decide(t, weak, strong)
        assert decision.accepted == reference_decision(t, weak, strong), (weights, weak, strong, decision)
        # The same decision from the six-decimal floats a record stores (weights total <= 60 here).
        stored = decide(t, [rubric_score(weights, v) for v in weak_v], [rubric_score(weights, v) for v in strong_v])
        assert (stored.accepted, stored.reason) == (decision.accepted, decision.reason)
        assert_stored_means_agree(t, decision)


def test_stored_means_are_rounded_toward_the_exact_side_of_a_threshold():
    just_below = F(6499996, 10**7)  # rounds to 0.65 to six decimals, but is below 0.65
    assert round(float(just_below), 6) == 0.65
    assert agreeing(just_below, [0.65]) == 0.649999
    assert agreeing(F(9500004, 10**7), [0.6, 0.95]) == 0.950001
    assert agreeing(F(13, 20), [0.65]) == 0.65 and agreeing(F(1, 3), [0.5]) == 0.333333


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


# Each rejection by the scores says which way the next attempt should move (programs/feedback.py).
DIRECTIONS = [
    ([0.55, 0.66, 0.75], [0.8, 0.9], "too_easy", "harder"),  # weak mean 0.6533 > 0.65
    ([0.3, 0.76], [0.8, 0.9], "too_easy", "harder"),  # best weak 0.76 > 0.75
    ([0.0, 0.4, 0.5], [0.8, 0.9], "failed_quality", "reachable"),  # a weak zero
    ([0.3, 0.5], [0.5, 0.69], "failed_on_strong", "easier"),  # strong mean 0.595 < 0.60
    ([0.3, 0.4], [0.0, 0.9, 1.0, 1.0], "failed_on_strong", "easier"),  # a strong zero
    ([0.3, 0.4], [0.9, 1.0], "failed_on_strong", "stricter_rubric"),  # strong mean exactly 0.95
    ([0.35, 0.46], [0.55, 0.65], "failed_on_strong", "harder"),  # gap 0.195 < 0.20
    ([0.3, 0.4], [0.9, 0.99], "accepted", None),  # strong mean 0.945
]


@pytest.mark.parametrize(("weak", "strong", "reason", "direction"), DIRECTIONS)
def test_rejections_carry_the_direction_of_the_next_attempt(weak, strong, reason, direction):
    d = decide(thresholds_for("deployed"), weak, strong)
    assert (d.reason, d.direction) == (reason, direction)
