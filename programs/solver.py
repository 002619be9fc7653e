"""The solver role. Weak and strong are two instances of this one class with different LMs.

A solver sees the context and the question only: never the document, the rubric or the reference
answer. It is frozen (`_compiled = True`), so optimizers cannot edit its prompt: the paper saw agents
make the weak solver weak on purpose, and this closes that door.
"""

from __future__ import annotations

import dspy

from programs.signatures import SolveSignature


class Solver(dspy.Module):
    def __init__(self, reasoning: bool = False) -> None:
        super().__init__()
        self.reasoning = reasoning
        self.solve = dspy.ChainOfThought(SolveSignature) if reasoning else dspy.Predict(SolveSignature)
        self._compiled = True

    def forward(self, context: str, question: str, sample: int = 0, temperature: float | None = None) -> str:
        # A distinct rollout_id per sample makes independent samples instead of cache hits.
        config: dict = {"rollout_id": sample}
        if temperature is not None:
            config["temperature"] = temperature
        out = self.solve(context=context, question=question, config=config)
        return str(out.answer).strip()
