"""Bootstrap intervals and paired differences against hand-computed cases."""

from __future__ import annotations

import pytest

from metrics.intervals import (
    Estimate,
    bootstrap_ci,
    estimate,
    paired_difference,
    paired_rate_difference,
    paired_values,
    percentile,
    reading,
)


@pytest.mark.parametrize(("q", "expected"), [(0.0, 1.0), (0.25, 1.75), (0.5, 2.5), (0.9, 3.7), (1.0, 4.0)])
def test_percentile_interpolates_linearly_between_ranks(q, expected):
    assert percentile([1.0, 2.0, 3.0, 4.0], q) == pytest.approx(expected)


def test_percentile_rejects_bad_input():
    with pytest.raises(ValueError):
        percentile([], 0.5)
    with pytest.raises(ValueError):
        percentile([1.0], 1.5)


def test_constant_values_give_a_degenerate_interval():
    assert bootstrap_ci([0.4] * 7) == (0.4, 0.4)
    assert estimate([0.4] * 7) == Estimate(7, 0.4, 0.4, 0.4)


def test_no_values_and_one_value():
    assert bootstrap_ci([]) is None
    assert estimate([]) == Estimate(0, None, None, None)
    assert estimate([0.3]) == Estimate(1, 0.3, 0.3, 0.3)


@pytest.mark.parametrize("seed", range(5))
def test_bootstrap_matches_the_exact_bootstrap_distribution(seed):
    # Resample means of [0, 0, 0, 1] are k/4 with k ~ Binomial(4, 1/4): P(k <= 2) = 0.949 and
    # P(k <= 3) = 0.996, so the 2.5% and 97.5% points of the exact distribution are 0 and 0.75.
    assert bootstrap_ci([0.0, 0.0, 0.0, 1.0], seed=seed) == (0.0, 0.75)


def test_bootstrap_is_reproducible_with_a_fixed_seed():
    values = [0.1, 0.35, 0.2, 0.8, 0.55, 0.6, 0.05]
    assert bootstrap_ci(values, seed=3) == bootstrap_ci(values, seed=3)
    lo, hi = bootstrap_ci(values, seed=3)
    assert min(values) <= lo < sum(values) / len(values) < hi <= max(values)


def test_paired_difference_uses_documents_both_methods_have():
    a = {"d1": 0.5, "d2": 0.6, "d3": 0.7, "d4": 0.9}
    b = {"d1": 0.4, "d2": 0.4, "d3": 0.4, "d5": 1.0}
    assert paired_values(a, b) == pytest.approx([0.1, 0.2, 0.3])
    diff = paired_difference(a, b)
    # The mean of 3 resampled differences from {.1, .2, .3} is .1 (or .3) with probability 1/27 > 2.5%.
    assert (diff.n, diff.mean) == (3, pytest.approx(0.2))
    assert (diff.lo, diff.hi) == (pytest.approx(0.1), pytest.approx(0.3))


def test_paired_difference_of_identical_methods_is_zero():
    a = {"d1": 0.2, "d2": 0.9}
    assert paired_difference(a, dict(a)) == Estimate(2, 0.0, 0.0, 0.0)


def test_estimate_formats_for_tables():
    assert Estimate(3, 0.4567, 0.3, 0.61).fmt() == "0.46 [0.30, 0.61] (n=3)"
    assert Estimate(1, 0.5, 0.5, 0.5).fmt() == "0.50 (n=1)"
    assert Estimate(0, None, None, None).fmt() == "-"


def test_paired_rate_difference_pools_counts_over_the_documents_both_counted():
    # Pooled: (1 + 0) / (1 + 3) - 0 / 4 = 0.25 (the mean of per-document rate differences would be 0.5).
    a = {"d1": (1, 1), "d2": (0, 3), "d3": (2, 2), "d4": (1, 1)}
    b = {"d1": (0, 1), "d2": (0, 3), "d3": (0, 0), "d5": (1, 1)}  # d3: no candidate in b; d4, d5: one side only
    diff = paired_rate_difference(a, b)
    assert (diff.n, diff.mean) == (2, 0.25)
    # Resampling 2 documents: both d2 (diff 0, p = 1/4), one of each (0.25), both d1 (1, p = 1/4).
    assert (diff.lo, diff.hi) == (0.0, 1.0)


def test_paired_rate_difference_of_one_document_and_of_none():
    assert paired_rate_difference({"d1": (1, 2)}, {"d1": (0, 2)}) == Estimate(1, 0.5, 0.5, 0.5)
    assert paired_rate_difference({"d1": (1, 2)}, {"d2": (0, 2)}) == Estimate(0, None, None, None)


@pytest.mark.parametrize(
    ("difference", "expected"),
    [
        (Estimate(6, 0.5, 0.01, 0.9), "better"),
        (Estimate(6, 0.5, 0.0, 0.9), "indistinguishable"),  # an interval touching 0 does not exclude it
        (Estimate(6, 0.0, -0.2, 0.2), "indistinguishable"),
        (Estimate(6, -0.5, -0.9, 0.0), "indistinguishable"),
        (Estimate(6, -0.5, -0.9, -0.01), "worse"),
        (Estimate(0, None, None, None), None),
    ],
)
def test_reading_of_a_difference(difference, expected):
    assert reading(difference) == expected
