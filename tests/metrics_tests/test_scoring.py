"""Rubric scoring, table-driven against hand-computed cases."""

from __future__ import annotations

import pytest

from metrics.scoring import rubric_score

CASES = [
    # weights, verdicts, expected
    ([5, 5], [1, 1], 1.0),
    ([5, 5], [1, 0], 0.5),
    ([7, 3], [0, 1], 0.3),
    ([4, 4, -4], [1, 1, 1], 0.5),  # (8 - 4) / 8
    ([4, 4, -10], [1, 0, 1], 0.0),  # clipped at 0
    ([2, 2, -1], [1, 1, 0], 1.0),  # an untriggered penalty costs nothing
    ([10, 5], [0.5, 1], 2 / 3),  # graded verdicts
    ([3, 3, -3, -3], [1, 0.5, 0.5, 0], 0.5),  # (3 + 1.5 - 1.5) / 6
]


@pytest.mark.parametrize(("weights", "verdicts", "expected"), CASES)
def test_rubric_score(weights, verdicts, expected):
    assert rubric_score(weights, verdicts) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("weights", "verdicts", "message"),
    [([5], [1, 0], "2 verdicts for 1"), ([-5], [1], "positive criterion"), ([5], [2], "outside")],
)
def test_rubric_score_rejects_bad_input(weights, verdicts, message):
    with pytest.raises(ValueError, match=message):
        rubric_score(weights, verdicts)
