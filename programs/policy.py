"""The acceptance policy the loop is given: scoring, rubric checks and decisions, all plain code.

The loop depends only on this Protocol; `metrics.policy.HarnessPolicy` implements it. Keeping it out of
`programs` keeps the import direction (programs <- metrics) and keeps acceptance out of reach of any
optimizer: it is not a DSPy parameter, and an LM never computes a score or a decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Protocol

from programs.records import Candidate, Criterion, Decision, VerifierReport
from programs.structure import RubricStructure


class Policy(Protocol):
    structure: RubricStructure

    def check_rubric(self, candidate: Candidate) -> list[str]:
        """Problems with the candidate's rubric under the structure; empty when it is valid."""

    def score(self, rubric: list[Criterion], verdicts: list[float]) -> float:
        """One answer's score in [0, 1] from its per-criterion verdicts, as records store it."""

    def exact_score(self, rubric: list[Criterion], verdicts: list[float]) -> Fraction:
        """The same score as an exact fraction, which decisions compare with the thresholds."""

    def weak_gate(self, weak_scores: list[Fraction]) -> Decision | None:
        """A rejection when the weak solver did too well (the strong solver is then skipped), else None."""

    def decide(self, weak_scores: list[Fraction], strong_scores: list[Fraction]) -> Decision:
        """The final decision for a round from both solvers' exact scores, with the stored means."""

    def sanity_problem(
        self, reference_score: float | None, offtopic_score: float | None, reference_misses: Sequence[str] = ()
    ) -> str | None:
        """Why the judge/rubric pair fails its sanity checks, or None. `reference_misses`: the criteria
        the reference answer fails (points it does not fully make, mistakes it makes), to name them."""

    def validation(self, report: VerifierReport) -> float:
        """The rubric validation metric in [0, 1] for one verified candidate."""
