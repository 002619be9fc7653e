"""The quality verifier role: an LM review of one candidate against its document.

It returns the four checks and feedback; `passed` is computed here by code, never taken from the model:
true when every check of its `gate` holds (all four by default). A check left out of the gate is still
asked and recorded, but cannot reject a candidate; that is for verifier models measured to be unreliable
on a check the loop measures another way (leakage by the judge's anchors and the reference sanity check,
difficulty by the weak solver). Programmatic rubric checks and judge sanity checks are added by the loop.
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
    def __init__(self, gate: tuple[str, ...] = CHECKS) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # dspy.Module.__init__ is unannotated
        unknown = sorted(set(gate) - set(CHECKS))
        if unknown:
            raise ValueError(f"unknown verifier checks {unknown}; choose from {list(CHECKS)}")
        self.review = BoundPredict(VerifySignature)
        self.gate = tuple(name for name in CHECKS if name in gate)

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
        passed = all(checks[name] for name in self.gate)
        return VerifierReport(passed=passed, feedback=str(out.feedback).strip(), checks=checks, gate=list(self.gate))
