"""Typed records at the seams of the harness: criteria, candidates, attempts, verifier reports, rounds.

Invariants live in validators so a malformed record fails where it is born. These are plain data:
no LM calls, no scoring policy (that is injected, see `programs.policy`), no I/O.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Reason codes a round can end with. "accepted" is the only success.
Reason = Literal[
    "accepted",
    "too_easy",  # the weak solver did too well
    "failed_on_strong",  # the strong solver did not pass, or the gap is too small
    "failed_quality",  # the verifier, the rubric checks or the sanity checks rejected it
    "invalid",  # the challenger's reply could not be parsed into a candidate
    "error",  # infrastructure errors outlasted the retries
]
REASONS: tuple[Reason, ...] = get_args(Reason)
# What the next attempt should change after a rejection by the scores (programs/feedback.py words it):
# a harder question, an easier one, a first point within the weak solver's reach (after a weak attempt
# scored 0), or the same difficulty with a rubric a strong answer cannot ace.
Direction = Literal["harder", "easier", "reachable", "stricter_rubric"]


class Criterion(BaseModel):
    """One rubric item: what an answer must contain (weight > 0) or an error it must avoid (weight < 0)."""

    model_config = ConfigDict(extra="forbid")

    criterion: str = Field(max_length=300)
    weight: int = Field(ge=-10, le=10)

    @field_validator("weight")
    @classmethod
    def _nonzero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("a criterion weight of 0 carries no information")
        return value

    @property
    def is_penalty(self) -> bool:
        return self.weight < 0


class Candidate(BaseModel):
    """One challenger proposal: a grounded question with its reference answer and rubric."""

    question_type: str = ""
    skill_tags: list[str] = Field(default_factory=list)
    # The paper's insight the question targets, as the challenger planned it (not shown to solvers).
    insight: str = ""
    context: str = ""
    question: str
    reference_answer: str = ""
    rubric: list[Criterion]

    @property
    def weights(self) -> list[int]:
        return [c.weight for c in self.rubric]


class VerifierReport(BaseModel):
    """The quality gate's outcome. `passed` is computed by code from the individual checks."""

    passed: bool
    feedback: str = ""
    checks: dict[str, bool] = Field(default_factory=dict)
    # The checks that could reject (the verifier's gate); None on records written before the gate existed
    # (every check gated then).
    gate: list[str] | None = None
    # Problems found by the programmatic rubric checks (empty when they passed).
    rubric_problems: list[str] = Field(default_factory=list)
    # Judge sanity: the reference answer's score under its own rubric, and an off-topic answer's.
    reference_score: float | None = None
    offtopic_score: float | None = None
    # The reference answer's verdicts in rubric order (None on records written before they were kept).
    reference_verdicts: list[float] | None = None
    # The rubric validation metric for this candidate, in [0, 1].
    validation: float | None = None

    def gated(self) -> dict[str, bool]:
        """The checks that could reject, with their outcomes (every check on records without a gate)."""
        return {name: ok for name, ok in self.checks.items() if self.gate is None or name in self.gate}


class Attempt(BaseModel):
    """One solver sample and its judged verdicts, aligned with the rubric order."""

    answer: str
    verdicts: list[float] = Field(default_factory=list)
    score: float | None = None
    error: str | None = None

    @field_validator("verdicts")
    @classmethod
    def _unit_interval(cls, values: list[float]) -> list[float]:
        if any(not 0.0 <= v <= 1.0 for v in values):
            raise ValueError("verdicts must lie in [0, 1]")
        return values


class RoundRecord(BaseModel):
    """Everything one challenger round produced, enough to recompute its scores and decision."""

    doc_id: str
    round: int = Field(ge=1)
    candidate: Candidate | None = None
    verifier: VerifierReport | None = None
    weak: list[Attempt] = Field(default_factory=list)
    strong: list[Attempt] = Field(default_factory=list)
    weak_mean: float | None = None
    strong_mean: float | None = None
    gap: float | None = None
    accepted: bool = False
    reason: Reason = "invalid"
    detail: str = ""
    direction: Direction | None = None  # set by score rejections (Decision.direction)
    usage: dict[str, dict[str, float]] = Field(default_factory=dict)  # calls, tokens, seconds per role
    errors: list[str] = Field(default_factory=list)
    seconds: float = 0.0

    def summary_line(self) -> str:
        """A short human line for logs: round, reason, scores."""
        parts = [f"round {self.round}: {self.reason}"]
        if self.weak_mean is not None:
            parts.append(f"weak {self.weak_mean:.2f}")
        if self.strong_mean is not None:
            parts.append(f"strong {self.strong_mean:.2f}")
        if self.gap is not None:
            parts.append(f"gap {self.gap:+.2f}")
        return ", ".join(parts)


class Decision(BaseModel):
    """An acceptance decision with its reason code and a human explanation."""

    accepted: bool
    reason: Reason
    detail: str = ""
    direction: Direction | None = None  # for rejections by the scores: what the next attempt should change
    # The means and gap the decision was taken on, as records store them (None when not reached).
    weak_mean: float | None = None
    strong_mean: float | None = None
    gap: float | None = None
