"""The challenger role: reads a document (and the grouped failures so far) and proposes a Candidate.

This is the module optimizers improve: its predictor's instructions and demos are the trainable part
of the harness. It is built for one rubric structure, whose counts and weight bounds are its reply's
schema (`programs.rubric_fields`). It does not check or score anything.
"""

from __future__ import annotations

import dspy

from programs.bound import BoundPredict
from programs.records import Candidate
from programs.rubric_fields import rubric_of, with_rubric_fields
from programs.signatures import ChallengeSignature
from programs.structure import RubricStructure

NO_FEEDBACK = "No earlier attempts on this paper."


def candidate_of(out: dspy.Prediction) -> Candidate:
    """The Candidate in a challenger prediction; the rubric is one list, positives then penalties."""
    return Candidate(
        question_type=str(out.question_type).strip(),
        skill_tags=[str(t).strip() for t in out.skill_tags if str(t).strip()],
        insight=str(getattr(out, "insight", "") or "").strip(),
        context=str(out.context).strip(),
        question=str(out.question).strip(),
        reference_answer=str(out.reference_answer).strip(),
        rubric=rubric_of(out),
    )


class Challenger(dspy.Module):
    def __init__(self, structure: RubricStructure) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # dspy.Module.__init__ is unannotated
        self.generate: dspy.Module = BoundPredict(with_rubric_fields(ChallengeSignature, structure))

    def forward(self, document: str, rubric_rules: str, feedback: str = "") -> Candidate:
        out = self.generate(document=document, rubric_rules=rubric_rules, feedback=feedback or NO_FEEDBACK)
        return candidate_of(out)
