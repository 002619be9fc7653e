"""The challenger role: reads a document (and the grouped failures so far) and proposes a Candidate.

This is the module optimizers improve: its predictor's instructions and demos are the trainable part
of the harness. It does not check or score anything.
"""

from __future__ import annotations

import dspy

from programs.bound import BoundPredict
from programs.records import Candidate, Criterion
from programs.signatures import ChallengeSignature

NO_FEEDBACK = "No earlier attempts on this paper."


class Challenger(dspy.Module):
    def __init__(self) -> None:
        super().__init__()
        self.generate = BoundPredict(ChallengeSignature)

    def forward(self, document: str, rubric_rules: str, feedback: str = "") -> Candidate:
        out = self.generate(document=document, rubric_rules=rubric_rules, feedback=feedback or NO_FEEDBACK)
        rubric = [c if isinstance(c, Criterion) else Criterion.model_validate(c) for c in out.rubric]
        return Candidate(
            question_type=str(out.question_type).strip(),
            skill_tags=[str(t).strip() for t in out.skill_tags if str(t).strip()],
            context=str(out.context).strip(),
            question=str(out.question).strip(),
            reference_answer=str(out.reference_answer).strip(),
            rubric=rubric,
        )
