"""A judge's self-agreement and cross-judge agreement over regraded answers, by hand.

The two-rater statistics underneath are tested in tests/metrics_tests/test_agreement.py.
"""

from __future__ import annotations

import pytest

from metrics.judge_agreement import Regraded, cross_agreement, self_agreement


def item(verdicts):
    return Regraded([5, 5], verdicts)


def test_self_agreement_by_hand():
    s = self_agreement([item([1.0, 0.0])], [[[1.0, 0.0], [1.0, 1.0], [1.0, 0.0]]])
    # pairs agree on 1/2, 1, 1/2 of the verdicts; scores .5, 1, .5; agreement with recorded 1, 1/2, 1.
    assert s["pairwise_agreement"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["score_sd_mean"] == pytest.approx(0.2357, abs=1e-4)
    assert s["agreement_with_recorded"] == pytest.approx(5 / 6, abs=1e-4)


def test_cross_agreement_by_hand():
    c = cross_agreement([item([1.0, 0.0]), item([1.0, 1.0])], [[1.0, 1.0], None])
    assert c["items"] == 1 and c["agreement"] == 0.5 and c["score_diff_mean"] == 0.5  # the second is lenient
