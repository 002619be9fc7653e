"""Records reject malformed data where it is born; structures render and validate."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from programs import Attempt, Criterion, RubricStructure


@pytest.mark.parametrize("weight", [0, 11, -11])
def test_criterion_weight_bounds(weight):
    with pytest.raises(ValidationError):
        Criterion(criterion="names the mechanism", weight=weight)


def test_attempt_verdicts_in_unit_interval():
    with pytest.raises(ValidationError):
        Attempt(answer="x", verdicts=[1.5])


def test_structure_renders_its_rules():
    text = RubricStructure.paper_optimized().render()
    assert "Do not write penalty criteria" in text and "from 1 to 7" in text
    text = RubricStructure.paper_baseline().render()
    assert "3 to 5 penalty criteria" in text and "-1 to -10" in text


def test_structure_rejects_inverted_ranges():
    with pytest.raises(ValidationError):
        RubricStructure(min_positive=5, max_positive=3)


def test_clip_puts_text_on_one_line_and_marks_a_cut():
    from programs.text import clip

    assert clip("  a\n b  ", 10) == "a b" and clip(None, 5) == ""
    assert clip("x" * 10, 10) == "x" * 10 and clip("x" * 11, 10) == "x" * 7 + "..."
