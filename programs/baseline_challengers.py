"""The challengers of the one-shot baselines; each returns the same `Candidate` as `Challenger`, and each
is built for one rubric structure with the same constrained rubric fields (`programs.rubric_fields`).

- `CoTChallenger` (CoT Self-Instruct): the grounded challenge signature with a reasoning field that
  the model fills first (`dspy.ChainOfThought`), so it plans the question before writing it.
- `TopicChallenger` (Self-Instruct, ungrounded): sees only the document's title, never its text.
  The title is the first non-empty line of the document (aclsum texts and Markdown files begin with
  it), clipped to 200 characters.
Grounded Self-Instruct uses the plain `Challenger`. None of these see feedback: they run one shot.
"""

from __future__ import annotations

import dspy

from programs.challenger import NO_FEEDBACK, Challenger, candidate_of
from programs.records import Candidate
from programs.rubric_fields import with_rubric_fields
from programs.signatures import ChallengeSignature
from programs.structure import RubricStructure

TITLE_CHARS = 200


def topic_of(document: str) -> str:
    """The title line of a document: its first non-empty line without Markdown heading marks."""
    first = next((line.strip() for line in document.splitlines() if line.strip()), "")
    first = first.lstrip("#").strip()
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 3].rstrip() + "..."


class CoTChallenger(Challenger):
    def __init__(self, structure: RubricStructure) -> None:
        super().__init__(structure)
        # The reasoning field comes first in the output, as in CoT Self-Instruct; kept short so small
        # models decoding under a JSON schema still have tokens left for the candidate itself.
        self.generate = dspy.ChainOfThought(
            with_rubric_fields(ChallengeSignature, structure),
            rationale_field=dspy.OutputField(
                desc="think first, briefly: which paper-specific insight to test, and why a solver without "
                "the paper would find it hard"
            ),
        )


# Self-Instruct (ungrounded): the same output fields as ChallengeSignature, given only a title; the rubric
# fields are added per structure, as for the grounded challenger.
class TopicChallengeSignature(dspy.Signature):
    """You are a data scientist writing one hard evaluation question about the topic of a research paper.

    You are given only the paper's title. The question must need expert reasoning about this topic,
    not general background. The context describes only the problem setup a solver needs; it never
    reveals the answer. A solver will see only the context and the question. Give a reference answer
    that fully answers the question, and a rubric that a strict grader can apply criterion by
    criterion to a solver's answer."""

    topic: str = dspy.InputField(desc="the title of a research paper")
    rubric_rules: str = dspy.InputField(desc="rules the rubric must follow")
    question_type: str = dspy.OutputField(desc="e.g. explanation, derivation, design, comparison, analysis")
    skill_tags: list[str] = dspy.OutputField(desc="2-3 reasoning skills the question exercises")
    context: str = dspy.OutputField(desc="problem setup only, self-contained, without the solution")
    question: str = dspy.OutputField(desc="one question answerable from the context plus expertise")
    reference_answer: str = dspy.OutputField(desc="a complete, correct answer")


class TopicChallenger(dspy.Module):
    def __init__(self, structure: RubricStructure) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # dspy.Module.__init__ is unannotated
        self.generate = dspy.Predict(with_rubric_fields(TopicChallengeSignature, structure))

    def forward(self, document: str, rubric_rules: str, feedback: str = NO_FEEDBACK) -> Candidate:
        return candidate_of(self.generate(topic=topic_of(document), rubric_rules=rubric_rules))
