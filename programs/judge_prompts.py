"""The prompts of the one-criterion judges (per_criterion, probability, likelihood, evidence). Frozen.

Every one-criterion prompt puts the question and the answer first and the criterion last, so the calls
for the criteria of one answer share a long prompt prefix: a local engine evaluates it once and each
further criterion costs only its own tokens. A criterion is shown as what it is: a point the answer must
make (positive weight) or a mistake it must avoid (negative weight); weights are not shown, so a verdict
cannot lean on them.
"""

from __future__ import annotations

import dspy

from programs.records import Criterion

POINT = "A point the answer must make: {text}"
MISTAKE = "A mistake the answer must avoid: {text}"


def criterion_line(criterion: Criterion) -> str:
    return (MISTAKE if criterion.is_penalty else POINT).format(text=criterion.criterion.strip())


# Read as the prompt by the per_criterion judge (through DSPy's adapter).
class CriterionSignature(dspy.Signature):
    """You are a strict grader checking one rubric criterion against one answer to an exam question.
    For a point the answer must make: true only if the answer clearly makes that specific point (a
    paraphrase counts; a vague, generic or merely related statement does not). For a mistake the answer
    must avoid: true only if the answer actually makes that mistake. If in doubt, false."""

    question: str = dspy.InputField()
    answer: str = dspy.InputField(desc="the answer to grade")
    criterion: str = dspy.InputField()
    met: bool = dspy.OutputField(desc="the verdict for this one criterion")


# Read as the prompt by the evidence judge: the quote comes first, so the verdict follows the evidence.
class EvidenceSignature(dspy.Signature):
    """You are a strict grader checking one rubric criterion against one answer to an exam question.
    First copy, word for word, the one sentence of the answer that makes the point (or makes the
    mistake); write NONE if no sentence does. Then give the verdict: for a point, true only if that
    sentence clearly makes that specific point (a paraphrase counts; a vague or merely related
    statement does not); for a mistake, true only if that sentence actually makes the mistake."""

    question: str = dspy.InputField()
    answer: str = dspy.InputField(desc="the answer to grade")
    criterion: str = dspy.InputField()
    quote: str = dspy.OutputField(desc="one sentence copied exactly from the answer, or NONE")
    met: bool = dspy.OutputField(desc="the verdict for this one criterion")


# Sent as chat messages by the probability judge, which reads the first token of the reply.
PROBABILITY_SYSTEM = (
    "You are a strict grader. You check one rubric criterion at a time against an answer to an exam "
    "question. Reply with one word: yes or no."
)
PROBABILITY_USER = "Question:\n{question}\n\nAnswer to grade:\n{answer}\n\n{criterion}\n{ask}"
ASK_POINT = "Does the answer clearly make this point? Reply yes or no."
ASK_MISTAKE = "Does the answer make this mistake? Reply yes or no."


def probability_messages(question: str, answer: str, criterion: Criterion) -> list[dict[str, str]]:
    user = PROBABILITY_USER.format(
        question=question.strip(),
        answer=answer.strip(),
        criterion=criterion_line(criterion),
        ask=ASK_MISTAKE if criterion.is_penalty else ASK_POINT,
    )
    return [{"role": "system", "content": PROBABILITY_SYSTEM}, {"role": "user", "content": user}]


# Sent by the likelihood judge, which scores the criterion's own text as the reply (it generates nothing):
# how likely is a faithful restatement of this answer to say what the criterion says?
LIKELIHOOD_SYSTEM = "You are a careful reader. You restate what an answer says, faithfully, without adding anything."
LIKELIHOOD_USER = "Question:\n{question}\n\nAnswer:\n{answer}\n\n{ask}"
ASK_STATE_POINT = "State one point that this answer makes."
ASK_STATE_CLAIM = "State one claim that this answer makes."


def likelihood_messages(question: str, answer: str, criterion: Criterion) -> list[dict[str, str]]:
    """System, user, and the criterion's text as the assistant's reply (the tokens to score)."""
    user = LIKELIHOOD_USER.format(
        question=question.strip(),
        answer=answer.strip(),
        ask=ASK_STATE_CLAIM if criterion.is_penalty else ASK_STATE_POINT,
    )
    return [
        {"role": "system", "content": LIKELIHOOD_SYSTEM},
        {"role": "user", "content": user},
        {"role": "assistant", "content": criterion.criterion.strip()},
    ]
