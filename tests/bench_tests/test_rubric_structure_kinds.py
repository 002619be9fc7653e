"""The rubric-structure benchmark names every kind of problem `check_rubric` reports (none falls to "other")."""

from __future__ import annotations

import pytest

from bench.rubric_structure import STRUCTURAL, kind_of
from metrics.rubric_checks import check_rubric
from programs.records import Candidate, Criterion
from programs.structure import RubricStructure

STRUCTURE = RubricStructure(min_positive=2, max_positive=3, min_penalties=1, max_penalties=1, weight_cap=5)
GOOD = [
    Criterion(criterion="Explains that the cache halves the latency", weight=3),
    Criterion(criterion="Identifies the write path as the bottleneck", weight=4),
    Criterion(criterion="Claims that the cache removes every miss", weight=-2),
]


def _problems(rubric: list[Criterion], question: str = "Why is it faster?", reference: str = "Because.") -> list[str]:
    return check_rubric(Candidate(question=question, reference_answer=reference, rubric=rubric), STRUCTURE)


@pytest.mark.parametrize(
    ("rubric", "kind"),
    [
        (GOOD[:1] + GOOD[2:], "count"),
        ([GOOD[0].model_copy(update={"weight": 6}), *GOOD[1:]], "weight"),
        ([GOOD[0], GOOD[0], *GOOD[1:]], "duplicate"),
        ([Criterion(criterion="Correctness.", weight=2), *GOOD], "generic"),
        ([Criterion(criterion="Notes that the question is well posed", weight=2), *GOOD], "grades_question"),
        ([Criterion(criterion="Yes", weight=2), *GOOD], "too_short"),
        ([Criterion(criterion="The paper proposes a write-back cache", weight=2), *GOOD], "about_source"),
    ],
)
def test_each_rule_has_its_own_kind(rubric, kind):
    problems = _problems(rubric)
    assert [kind_of(p) for p in problems] == [kind]


def test_empty_question_is_its_own_kind_and_structural_kinds_are_count_and_weight():
    assert [kind_of(p) for p in _problems(GOOD, question=" ")] == ["empty"]
    assert STRUCTURAL == ("count", "weight")
    assert _problems(GOOD) == []
