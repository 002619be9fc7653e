"""Every optimizer entry returns a program of the class it was given (optimizers.base.same_program)."""

from __future__ import annotations

import dspy
import pytest

from optimizers.base import same_program


class Harness(dspy.Module):
    pass


def test_a_copy_of_the_same_class_is_returned_as_is():
    program, copy = Harness(), Harness()
    assert same_program(program, copy) is copy


def test_another_class_is_refused_with_both_names():
    with pytest.raises(TypeError, match="the optimizer returned a Module, not a Harness"):
        same_program(Harness(), dspy.Module())
