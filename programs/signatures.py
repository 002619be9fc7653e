"""DSPy signatures of the five roles. Their docstrings are the prompts the models read.

Developer notes go in comments, never in docstrings. Output fields are ordered short-first, because
small models decoding under a JSON schema can run out of tokens in a long field and truncate the rest.
The challenger's rubric fields are added per rubric structure (`programs.rubric_fields`); the judge's
signature is built per rubric (one output field per criterion) in `programs.judge`.
"""

from __future__ import annotations

import dspy


# The challenger is the only role whose instructions optimizers rewrite (with the verifier, optionally).
# Its rubric fields are added per rubric structure, before reference_answer (programs.rubric_fields), so
# their item counts and weight bounds are part of the reply's schema.
class ChallengeSignature(dspy.Signature):
    """You are a data scientist writing one evaluation question grounded in a research paper.

    Work in this order. First pick one specific insight of this paper (a finding, a mechanism, a design
    decision and why it works) that a solver could work out with careful reasoning but would not know
    from general background. Then write the context: a self-contained description of the problem and
    setting a solver needs, written as a task (not as a summary of "the study"), that never states or
    hints at that insight, the paper's solution or its results. Then ask one question whose answer is
    that insight: ask the solver to explain why, predict what happens, propose a design, or compare
    options; never ask what the paper, study or authors found or said. A solver will see only the
    context and the question, never the paper. Give a reference answer that fully answers the
    question, and a rubric that a strict grader can apply criterion by criterion to a solver's answer:
    each criterion states what a good ANSWER does, starting with a verb such as "Explains that ...",
    "Proposes ...", "Identifies ..." (or, for a mistake, "Claims that ..."), never what the paper or
    the question does. Order the points from basic to specific, so the rubric separates a partial answer
    from a full one: the first is a basic step of reasoning that a careful answer reaches from the context
    alone (a consequence of the setup, never a restatement of it), and the later ones need the insight
    and weigh more. If earlier attempts failed, follow the direction the feedback gives and write
    an entirely new question from a different angle, not a rephrasing."""

    document: str = dspy.InputField(desc="the source paper")
    rubric_rules: str = dspy.InputField(desc="rules the rubric must follow")
    feedback: str = dspy.InputField(desc="earlier failed attempts on this paper, grouped by failure")
    question_type: str = dspy.OutputField(desc="e.g. explanation, prediction, design, comparison, analysis")
    skill_tags: list[str] = dspy.OutputField(desc="2-3 reasoning skills the question exercises")
    insight: str = dspy.OutputField(desc="the paper's specific insight the question asks for, in one sentence")
    context: str = dspy.OutputField(desc="2-4 sentences setting up the problem for the solver, without the insight")
    question: str = dspy.OutputField(desc="one question whose answer is the insight")
    reference_answer: str = dspy.OutputField(desc="a complete, correct answer")


class VerifySignature(dspy.Signature):
    """You are a strict reviewer of a candidate evaluation question written from a research paper.

    Check each property and answer true only when it clearly holds:
    no_leakage: the context does not state or strongly hint at the answer.
    not_recall: answering needs reasoning with the paper's specific ideas, not recalling a fact from
    the abstract or general knowledge, and is not trivially easy.
    rubric_well_formed: every criterion is specific, checkable on an answer, and follows the rules.
    type_consistent: the question matches its stated question type.
    Then give short feedback naming the most important problem, or 'ok'."""

    document: str = dspy.InputField(desc="the source paper")
    rubric_rules: str = dspy.InputField(desc="rules the rubric must follow")
    question_type: str = dspy.InputField()
    context: str = dspy.InputField()
    question: str = dspy.InputField()
    rubric: str = dspy.InputField(desc="numbered criteria with weights")
    no_leakage: bool = dspy.OutputField()
    not_recall: bool = dspy.OutputField()
    rubric_well_formed: bool = dspy.OutputField()
    type_consistent: bool = dspy.OutputField()
    feedback: str = dspy.OutputField(desc="one or two sentences")


# Solvers are frozen: optimizers never see or edit this prompt (the paper's cheating lesson).
class SolveSignature(dspy.Signature):
    """Answer the question using the context and your own expertise. Be specific and complete, and
    explain the key reasoning steps briefly."""

    context: str = dspy.InputField()
    question: str = dspy.InputField()
    answer: str = dspy.OutputField()


# The strong solver's privileged mode (loop.strong_sees_document): the paper's "privileged information"
# lever, the same model answering with the source open. Frozen like the plain solver prompt.
class SolveWithDocumentSignature(dspy.Signature):
    """Answer the question using the context, the source paper it was written from, and your own
    expertise. Answer every part of the question, and for each part state the paper's specific findings,
    mechanisms or design choices that bear on it and why they hold, in your own words. Be specific and
    complete."""

    document: str = dspy.InputField(desc="the source paper")
    context: str = dspy.InputField()
    question: str = dspy.InputField()
    answer: str = dspy.OutputField()


# The judge's base instructions; the per-criterion output fields are added per rubric.
JUDGE_INSTRUCTIONS = """You are a strict grader. For each rubric criterion, decide whether the answer \
fully and unambiguously meets it. If in doubt, the criterion is not met. A penalty criterion names an \
error: mark it met only if the answer actually makes that error. Judge only what the answer says."""

GRADED_NOTE = " Give 1 when fully met, 0.5 when partly met, 0 when not met."
