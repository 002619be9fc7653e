"""Programmatic rubric checks under different structures."""

from __future__ import annotations

import pytest

from metrics.rubric_checks import check_rubric
from programs import Candidate, Criterion, RubricStructure


def cand(*items):
    rubric = [Criterion(criterion=c, weight=w) for c, w in items]
    return Candidate(question="Why?", reference_answer="Because.", rubric=rubric)


GOOD = [(f"names insight number {i} about the method", 5) for i in range(4)]
NO_PEN = RubricStructure(allow_penalties=False, min_positive=4, max_positive=6, min_penalties=0, weight_cap=7)
WITH_PEN = RubricStructure(min_positive=4, max_positive=6, min_penalties=1, max_penalties=2)


@pytest.mark.parametrize(
    ("items", "structure", "expected"),
    [
        (GOOD, NO_PEN, []),
        (GOOD[:3], NO_PEN, ["3 positive criteria, need 4-6"]),
        ([*GOOD, ("wrongly claims the method is exact", -3)], NO_PEN, ["penalties are not allowed"]),
        (GOOD, WITH_PEN, ["0 penalty criteria, need 1-2"]),
        ([*GOOD[:3], ("names insight number 0 about the method", 5)], NO_PEN, ["duplicate criterion"]),
        ([*GOOD[:3], ("Correctness", 5)], NO_PEN, ["generic criterion"]),
        ([*GOOD[:3], ("the question is clear and well posed", 5)], NO_PEN, ["grades the question"]),
        ([*GOOD[:3], ("names the key result of section two", 9)], NO_PEN, ["exceed the cap 7"]),
        ([*GOOD[:3], ("The study uses a large corpus of Japanese text", 5)], NO_PEN, ["describes the paper"]),
        ([*GOOD[:3], ("  this paper provides evidence for the claim", 5)], NO_PEN, ["describes the paper"]),
        ([*GOOD[:3], ("The question clearly asks about word order", 5)], NO_PEN, ["describes the paper"]),
        ([*GOOD[:3], ("Explains why the study's corpus favours rare words", 5)], NO_PEN, []),
        ([*GOOD[:3], ("Theory of mind is named as the key mechanism", 5)], NO_PEN, []),
        # Criteria the embedded challenger wrote in recorded runs, echoing its instructions.
        (
            [*GOOD[:3], ("States that a careful answer can meet the criteria of the paper's positive criteria", 3)],
            NO_PEN,
            ["speaks of the rubric"],
        ),
        ([*GOOD[:3], ("Identifies the specific steps that a thorough answer includes", 2)], NO_PEN, ["speaks of"]),
        ([*GOOD[:3], ("Names the specific checkable insight from the document", 3)], NO_PEN, ["speaks of"]),
        ([*GOOD[:3], ("Explains that the stopping criterion is the validation loss", 3)], NO_PEN, []),
        ([*GOOD[:3], ("Proposes a selection criterion based on coverage", 3)], NO_PEN, []),
    ],
)
def test_check_rubric(items, structure, expected):
    problems = check_rubric(cand(*items), structure)
    assert len(problems) == len(expected)
    for problem, fragment in zip(problems, expected, strict=True):
        assert fragment in problem
