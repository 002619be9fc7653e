"""Agreement statistics and the clustered bootstrap against hand-computed values."""

from __future__ import annotations

import random

import pytest

from metrics.agreement import (
    ClusteredEstimate,
    agreement,
    cluster_bootstrap,
    cohen_kappa,
    fleiss_kappa,
    mean_absolute_error,
    met,
    met_rate,
    pearson,
)
from metrics.intervals import bootstrap_ci


def table(both_yes: int, x_only: int, y_only: int, both_no: int) -> tuple[list[int], list[int]]:
    """Two raters' labels from the cells of a 2x2 table."""
    x = [1] * both_yes + [1] * x_only + [0] * y_only + [0] * both_no
    y = [1] * both_yes + [0] * x_only + [1] * y_only + [0] * both_no
    return x, y


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        # p_o = 35/50 = .7; x says yes to 25/50, y to 30/50: p_e = .5 * .6 + .5 * .4 = .5; kappa = .2 / .5.
        ((20, 5, 10, 15), 0.4),
        ((7, 0, 0, 5), 1.0),  # perfect agreement on both classes
        ((1, 1, 1, 1), 0.0),  # p_o = p_e = 1/2: agreement at chance level
        ((0, 3, 3, 0), -1.0),  # complete disagreement with balanced marginals
        ((0, 0, 2, 2), 0.0),  # x always says no: p_o = 1/2, p_e = 1 * 1/2; defined, and 0
        ((3, 1, 0, 0), 0.0),  # y has one class only; x varies: p_o = p_e = 3/4
    ],
)
def test_cohen_kappa_on_known_tables(cells, expected):
    assert cohen_kappa(*table(*cells)) == pytest.approx(expected)


@pytest.mark.parametrize("cells", [(5, 0, 0, 0), (0, 0, 0, 5)])
def test_cohen_kappa_is_undefined_when_both_raters_use_one_and_the_same_class(cells):
    # p_e = 1 and p_o = 1: kappa is 0/0. It is reported as undefined (None), not as 1 or 0.
    assert cohen_kappa(*table(*cells)) is None


def test_cohen_kappa_counts_graded_values_as_their_own_classes():
    # classes 0, .5, 1: p_o = 3/4; marginals (1/4, 1/4, 1/2) and (1/4, 1/2, 1/4): p_e = (1 + 2 + 2) / 16;
    # kappa = (12/16 - 5/16) / (11/16) = 7/11.
    assert cohen_kappa([0, 0.5, 1, 1], [0, 0.5, 0.5, 1]) == pytest.approx(7 / 11)


def test_empty_and_mismatched_inputs():
    assert cohen_kappa([], []) is None and agreement([], []) is None and mean_absolute_error([], []) is None
    assert met_rate([]) is None and pearson([], []) is None
    for fn in (cohen_kappa, agreement, pearson, mean_absolute_error):
        with pytest.raises(ValueError):
            fn([1, 0], [1])


@pytest.mark.parametrize(("value", "expected"), [(0.0, 0), (0.49, 0), (0.5, 1), (1.0, 1)])
def test_met_counts_half_credit_and_above(value, expected):
    assert met(value) == expected


def test_agreement_and_met_rate():
    assert agreement(*table(20, 5, 10, 15)) == pytest.approx(0.7)
    assert met_rate([0, 0.5, 1, 0]) == 0.5


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [
        ([1, 2, 3], [2, 4, 6], 1.0),
        ([1, 2, 3], [3, 2, 1], -1.0),
        # deviations (-1.5, -.5, .5, 1.5) and (-1.5, .5, -.5, 1.5): sxy = 4, sxx = syy = 5.
        ([1, 2, 3, 4], [1, 3, 2, 4], 0.8),
        ([1, 1], [0, 1], None),  # one side constant: undefined
        ([1], [2], None),
    ],
)
def test_pearson(x, y, expected):
    assert pearson(x, y) == (pytest.approx(expected) if expected is not None else None)


def test_mean_absolute_error():
    assert mean_absolute_error([0, 0.5, 1], [1, 0.5, 1]) == pytest.approx(1 / 3)


def test_fleiss_kappa_by_hand():
    # P_i = 1, 1, 0 (mean 2/3); category shares 1/2 and 1/2 give P_e = 1/2; kappa = (2/3 - 1/2) / (1/2).
    assert fleiss_kappa([[1, 1], [0, 0], [1, 0]]) == pytest.approx(1 / 3)
    assert fleiss_kappa([[1, 1], [1, 1]]) is None
    assert fleiss_kappa([[1, 1, 0, 0]] * 2) == pytest.approx(-1 / 3)
    assert fleiss_kappa([[1, 0], [1, 0, 1]]) is None  # different numbers of raters


def _mean(items):
    return sum(items) / len(items) if items else None


def test_singleton_clusters_give_the_ordinary_bootstrap():
    values = [random.Random(3).random() for _ in range(9)]
    est = cluster_bootstrap([[v] for v in values], _mean, n_boot=500, seed=4)
    assert (est.lo, est.hi) == bootstrap_ci(values, n_boot=500, seed=4)
    assert est.clusters == 9 and est.undefined == 0


@pytest.mark.parametrize("seed", range(3))
def test_whole_clusters_are_resampled(seed):
    # Two questions of four identical verdicts each. Resampling questions gives means 0, 1/2, 1 with
    # probabilities 1/4, 1/2, 1/4, so the 95% interval is [0, 1]; resampling the 8 verdicts as if
    # independent would give a much narrower one.
    est = cluster_bootstrap([[0, 0, 0, 0], [1, 1, 1, 1]], _mean, seed=seed)
    assert est == ClusteredEstimate(0.5, 0.0, 1.0, 2, 0)
    assert bootstrap_ci([0, 0, 0, 0, 1, 1, 1, 1], seed=seed) != (0.0, 1.0)


def test_resamples_where_the_statistic_is_undefined_are_counted_and_left_out():
    def kappa(items):
        return cohen_kappa([g for g, _ in items], [j for _, j in items])

    # Two clusters, one yes/yes and one no/no: kappa 1. A resample of the same cluster twice has one
    # class only (undefined); that happens in about half of the resamples.
    est = cluster_bootstrap([[(1, 1)], [(0, 0)]], kappa, n_boot=1000, seed=0)
    assert (est.value, est.lo, est.hi) == (1.0, 1.0, 1.0)
    assert 400 < est.undefined < 600
    assert cluster_bootstrap([[(0, 0)], [(0, 0)]], kappa) == ClusteredEstimate(None, None, None, 2, 0)


def test_bootstrap_is_seeded_and_degenerate_cases_collapse():
    clusters = [[0, 1], [1, 1], [0], [1, 0, 0]]
    assert cluster_bootstrap(clusters, _mean, seed=7) == cluster_bootstrap(clusters, _mean, seed=7)
    assert cluster_bootstrap([[0, 1, 1]], _mean) == ClusteredEstimate(0.666667, 0.666667, 0.666667, 1, 0)
    assert cluster_bootstrap([], _mean) == ClusteredEstimate(None, None, None, 0, 0)
