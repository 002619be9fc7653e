"""The `per_criterion` judge: one call per rubric criterion, each returning one verdict.

Verdicts are independent of each other and of the criterion's position in the rubric, which a joint
call over all criteria is not (small models there tend to give every criterion the same verdict).
Calls run in rubric order, so a local engine reuses the shared question-and-answer prefix. Binary by
default; graded mode allows 0 / 0.5 / 1. Frozen: optimizers never see it. `programs.judge_evidence`
builds on it.
"""

from __future__ import annotations

from typing import Literal

import dspy

from programs.judge import JudgeModule
from programs.judge_prompts import CriterionSignature, criterion_line
from programs.records import Criterion
from programs.signatures import GRADED_NOTE


def graded_variant(signature: type[dspy.Signature], graded: bool) -> type[dspy.Signature]:
    """`signature` as is, or with 0 / 0.5 / 1 verdicts and the note saying what they mean."""
    if not graded:
        return signature
    sig = signature.with_instructions(signature.instructions + GRADED_NOTE)
    # DSPy takes any annotation here (as Signature.append does); its hint says `type`, which Literal is not.
    return sig.with_updated_fields("met", type_=Literal[0, 0.5, 1])  # type: ignore[arg-type]


class CriterionJudge(JudgeModule):
    signature: type[dspy.Signature] = CriterionSignature

    def __init__(self, graded: bool = False) -> None:
        super().__init__(graded)
        self.verdict = dspy.Predict(graded_variant(self.signature, graded))

    def verdicts(
        self, question: str, rubric: list[Criterion], answer: str, context: str, reference: str
    ) -> list[float]:
        return [self.one(question, answer, criterion) for criterion in rubric]

    def one(self, question: str, answer: str, criterion: Criterion) -> float:
        out = self.verdict(question=question, answer=answer, criterion=criterion_line(criterion))
        return self.verdict_of(out, answer)

    def verdict_of(self, out: dspy.Prediction, answer: str) -> float:
        return min(1.0, max(0.0, float(out.met)))
