"""The quality verifier role: an LM review of one candidate against its document.

It returns the four checks and feedback; `passed` is computed here by code (all checks true), never
taken from the model. Programmatic rubric checks and judge sanity checks are added by the loop.
"""

from __future__ import annotations

import dspy

from programs.bound import BoundPredict
from programs.records import Candidate, VerifierReport
from programs.signatures import VerifySignature

CHECKS = ("no_leakage", "not_recall", "rubric_well_formed", "type_consistent")


def render_rubric(candidate: Candidate) -> str:
    return "\n".join(f"{i}. ({c.weight:+d}) {c.criterion}" for i, c in enumerate(candidate.rubric, 1))


class QualityVerifier(dspy.Module):
    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # dspy.Module.__init__ is unannotated
        self.review = BoundPredict(VerifySignature)

    def forward(self, document: str, rubric_rules: str, candidate: Candidate) -> VerifierReport:
        out = self.review(
            document=document,
            rubric_rules=rubric_rules,
            question_type=candidate.question_type,
            context=candidate.context,
            question=candidate.question,
            rubric=render_rubric(candidate),
        )
        checks = {name: bool(getattr(out, name)) for name in CHECKS}
        return VerifierReport(passed=all(checks.values()), feedback=str(out.feedback).strip(), checks=checks)
