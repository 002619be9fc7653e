"""A scripted world for the harness: keyword rubrics, solvers that know some keywords, a keyword judge.

Round n's candidate (n = failed attempts listed in the feedback + 1) has criteria "the answer names
KW<i> ..." and a reference answer containing every keyword. `plan[n]` says which keywords the weak and
strong solvers put in their answers for that round's question, so a test fixes each round's outcome.
The judge marks a criterion met when its keyword appears in the answer, under every judge protocol (the
probability judge reads P(yes) 0.95 or 0.05 from the same rule).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import dspy

from testkit.scripted import Prompt, ScriptedEngine


@dataclass
class World:
    n_positive: int = 4
    n_penalty: int | None = 0  # None: follow the rubric rules in the prompt
    weight: int = 5
    plan: dict[int, dict[str, list[int]]] = field(default_factory=dict)
    verifier_ok: bool = True
    challenger_reply: object = None  # overrides the candidate (e.g. a malformed string)

    def round_of(self, feedback: str) -> int:
        return len(re.findall(r'^- "', feedback, re.M)) + 1

    def challenger(self, p: Prompt) -> dict | str:
        if self.challenger_reply is not None:
            return self.challenger_reply(p) if callable(self.challenger_reply) else self.challenger_reply
        n = self.round_of(p.inputs.get("feedback", ""))
        rubric = [
            {"criterion": f"the answer names KW{i} as the key mechanism", "weight": self.weight}
            for i in range(1, self.n_positive + 1)
        ]
        n_penalty = self.n_penalty
        if n_penalty is None:
            found = re.search(r"Write (\d+) to \d+ penalty", p.inputs.get("rubric_rules", ""))
            n_penalty = int(found.group(1)) if found else 0
        penalties = [
            {"criterion": f"the answer wrongly claims ERR{i} holds", "weight": -3} for i in range(1, n_penalty + 1)
        ]
        if "penalty_criteria" not in p.outputs:
            # Like a provider that ignores the reply schema: penalty items land among the positives.
            rubric, penalties = rubric + penalties, []
        keywords = " ".join(f"KW{i}" for i in range(1, self.n_positive + 1))
        return {
            "question_type": "analysis",
            "skill_tags": ["causal reasoning", "design"],
            "insight": "The mechanism rests on its key words.",
            "context": f"Setup for question {n}.",
            "question": f"Question {n}: explain the mechanism?",
            "positive_criteria": rubric,
            "penalty_criteria": penalties,
            "reference_answer": f"The mechanism involves {keywords}.",
        }

    def verifier(self, p: Prompt) -> dict:
        ok = self.verifier_ok
        return {
            "no_leakage": ok,
            "not_recall": True,
            "rubric_well_formed": True,
            "type_consistent": True,
            "feedback": "ok" if ok else "the context leaks the answer",
        }

    def solver(self, role: str):
        def reply(p: Prompt) -> dict:
            n = int(re.search(r"Question (\d+)", p.inputs["question"]).group(1))
            keys = self.plan.get(n, {}).get(role, [])
            return {"answer": "I think " + " ".join(f"KW{k}" for k in keys) if keys else "I do not know."}

        return reply

    def judge(self, p: Prompt) -> dict | float:
        logprobs = p.config.get("logprobs") if isinstance(p.config, dict) else getattr(p.config, "logprobs", None)
        if logprobs:  # the probability judge: "Answer to grade: ... <criterion>"
            answer, criterion = p.user.split("Answer to grade:\n", 1)[1].rsplit("\n\nA ", 1)
            key = re.search(r"(KW\d+|ERR\d+)", criterion)
            return 0.95 if key and re.search(rf"\b{key.group(1)}\b", answer) else 0.05
        answer = p.inputs.get("answer", "")
        if "criterion" in p.inputs:  # per_criterion / evidence judges: one criterion per call
            key = re.search(r"(KW\d+|ERR\d+)", p.inputs["criterion"])
            met = bool(key and re.search(rf"\b{key.group(1)}\b", answer))
            return {"quote": answer if met else "NONE", "met": met}
        verdicts = {}
        for name, desc in p.outputs.items():
            key = re.search(r"(KW\d+|ERR\d+)", desc)
            verdicts[name] = bool(key and re.search(rf"\b{key.group(1)}\b", answer))
        return verdicts

    def engines(self) -> dict[str, ScriptedEngine]:
        return {
            "challenger": ScriptedEngine(self.challenger),
            "verifier": ScriptedEngine(self.verifier),
            "weak": ScriptedEngine(self.solver("weak")),
            "strong": ScriptedEngine(self.solver("strong")),
            "judge": ScriptedEngine(self.judge),
        }


def bind(program, engines: dict[str, ScriptedEngine]) -> dict[str, dspy.LM]:
    lms = {
        role: dspy.LM(f"scripted/{role}", engine=engine, cache=False, num_retries=0) for role, engine in engines.items()
    }
    for role, lm in lms.items():
        getattr(program, role).set_lm(lm)
    return lms


REFLECTION_ADVICE = "Ask about the paper's specific mechanism."


def reflection_reply(p: Prompt) -> dict | str:
    """A prompt model (GEPA's reflection, MIPROv2's and COPRO's proposers): the same advice in every output
    field the request asks for (JSONAdapter replies), or in a fenced block for a request with none."""
    if not p.outputs:
        return f"```\n{REFLECTION_ADVICE}\n```"
    return dict.fromkeys(p.outputs, REFLECTION_ADVICE)
