"""The `joint` judge: one verdict per rubric criterion for one answer, all criteria in one call.

It never sees the reference answer. Other protocols (one call per criterion, probabilities, evidence)
are in programs/judging.py; all share this module's call: `judge(question, rubric, answer, context=,
reference=) -> verdicts`.

The signature is built per rubric with one output field per criterion, so schema-constrained decoding
always yields exactly one verdict per criterion, in rubric order. Binary verdicts by default; graded
mode allows 0 / 0.5 / 1. Frozen like the solvers; turning verdicts into a score is not its job.
"""

from __future__ import annotations

import functools
from typing import Literal

import dspy

from programs.records import Criterion
from programs.signatures import GRADED_NOTE, JUDGE_INSTRUCTIONS


class _JudgeBase(dspy.Signature):
    question: str = dspy.InputField()
    answer: str = dspy.InputField()


def judge_signature(rubric: list[Criterion], graded: bool) -> type[dspy.Signature]:
    return _signature(tuple((c.criterion, c.weight) for c in rubric), graded)


@functools.lru_cache(maxsize=256)
def _signature(items: tuple[tuple[str, int], ...], graded: bool) -> type[dspy.Signature]:
    # Cached per rubric: building a signature class costs ~2 ms of CPU, and a round judges the same
    # rubric 2 + 2N times (bench/reports/overhead.md).
    kind = Literal[0, 0.5, 1] if graded else bool
    sig = _JudgeBase.with_instructions(JUDGE_INSTRUCTIONS + (GRADED_NOTE if graded else ""))
    for i, (criterion, weight) in enumerate(items, 1):
        label = f"penalty {weight}" if weight < 0 else f"+{weight}"
        sig = sig.append(f"c{i}", dspy.OutputField(desc=f"[{label}] {criterion}"), type_=kind)
    return sig


class JudgeModule(dspy.Module):
    """What every judge protocol is: `judge(question, rubric, answer, context=..., reference=...)` returns
    one verdict in [0, 1] per criterion, in rubric order. `context` and `reference` (the candidate's
    problem setup and reference answer) are for calibration only; no protocol shows them in a prompt.
    An empty answer is not sent: no criterion can be met and no mistake made. Frozen."""

    def __init__(self, graded: bool = False) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # dspy.Module.__init__ is unannotated
        self.graded = graded
        self._compiled = True

    def forward(
        self, question: str, rubric: list[Criterion], answer: str, context: str = "", reference: str = ""
    ) -> list[float]:
        if not answer.strip():
            return [0.0] * len(rubric)
        return self.verdicts(question, rubric, answer, context, reference)

    def verdicts(
        self, question: str, rubric: list[Criterion], answer: str, context: str, reference: str
    ) -> list[float]:
        raise NotImplementedError


class Judge(JudgeModule):
    """The joint protocol (see the module docstring)."""

    def __init__(self, graded: bool = False) -> None:
        super().__init__(graded)
        self.grade = dspy.Predict(_JudgeBase)

    def verdicts(
        self, question: str, rubric: list[Criterion], answer: str, context: str, reference: str
    ) -> list[float]:
        out = self.grade(signature=judge_signature(rubric, self.graded), question=question, answer=answer)
        return [min(1.0, max(0.0, float(getattr(out, f"c{i}")))) for i in range(1, len(rubric) + 1)]
