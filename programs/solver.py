"""The solver role. Weak and strong are two instances of this one class with different LMs.

A solver sees the context and the question only: never the rubric or the reference answer, and not the
document either, except a strong solver in the privileged mode (`sees_document`), one of the paper's
"strong modes" (the same or a small model answering with the source paper open). It is frozen
(`_compiled = True`), so optimizers cannot edit its prompt: the paper saw agents make the weak solver
weak on purpose, and this closes that door.
"""

from __future__ import annotations

import dspy

from programs.signatures import SolveSignature, SolveWithDocumentSignature


class Solver(dspy.Module):
    def __init__(self, reasoning: bool = False, sees_document: bool = False) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # dspy.Module.__init__ is unannotated
        self.reasoning, self.sees_document = reasoning, sees_document
        signature = SolveWithDocumentSignature if sees_document else SolveSignature
        self.solve = dspy.ChainOfThought(signature) if reasoning else dspy.Predict(signature)
        self._compiled = True

    def forward(
        self, context: str, question: str, sample: int = 0, temperature: float | None = None, document: str = ""
    ) -> str:
        # A distinct rollout_id per sample makes independent samples instead of cache hits.
        config: dict[str, float] = {"rollout_id": sample}
        if temperature is not None:
            config["temperature"] = temperature
        extra = {"document": document} if self.sees_document else {}
        out = self.solve(context=context, question=question, config=config, **extra)
        return str(out.answer).strip()
