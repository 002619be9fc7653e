"""The rubric structure: the part of the harness the Optuna study searches.

A `RubricStructure` says whether penalty items are allowed, how many criteria of each sign, the weight
caps and whether the judge grades partially. It renders itself as plain-language rules that go into the
challenger's and verifier's inputs; `metrics.rubric_checks` enforces the same rules in code.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class RubricStructure(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    allow_penalties: bool = True
    min_positive: int = Field(default=4, ge=1)
    max_positive: int = Field(default=10, ge=1)
    min_penalties: int = Field(default=3, ge=0)
    max_penalties: int = Field(default=5, ge=0)
    weight_cap: int = Field(default=10, ge=1, le=10)
    penalty_cap: int = Field(default=10, ge=1, le=10)
    graded: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> RubricStructure:
        if self.min_positive > self.max_positive:
            raise ValueError(f"min_positive {self.min_positive} > max_positive {self.max_positive}")
        if self.allow_penalties and self.min_penalties > self.max_penalties:
            raise ValueError(f"min_penalties {self.min_penalties} > max_penalties {self.max_penalties}")
        return self

    @property
    def penalty_range(self) -> tuple[int, int]:
        return (self.min_penalties, self.max_penalties) if self.allow_penalties else (0, 0)

    def render(self) -> str:
        """The rules as the challenger and the verifier read them."""
        lines = [
            "Every criterion describes something the ANSWER must contain or must avoid; never describe "
            "the question itself (no 'the question is clear').",
            "Each criterion names one specific, checkable insight from the document, not a generic "
            "quality such as 'correctness', 'relevance' or 'clarity'.",
            f"Write {self.min_positive} to {self.max_positive} positive criteria, each with an integer "
            f"weight from 1 to {self.weight_cap} (more important insight, higher weight).",
        ]
        if self.allow_penalties:
            lo, hi = self.penalty_range
            lines.append(
                f"Write {lo} to {hi} penalty criteria, each naming one specific reasoning error, with an "
                f"integer weight from -1 to -{self.penalty_cap}."
            )
        else:
            lines.append("Do not write penalty criteria: every weight is a positive integer.")
        lines.append("No two criteria may say the same thing.")
        if self.graded:
            lines.append("The judge may award partial credit (0, 0.5 or 1) per criterion.")
        return "\n".join(f"- {line}" for line in lines)

    @classmethod
    def paper_baseline(cls) -> RubricStructure:
        """The paper's baseline rubric rules: 7-10 positive (+1..+10), 3-5 penalties (-1..-10)."""
        return cls(min_positive=7, max_positive=10, min_penalties=3, max_penalties=5)

    @classmethod
    def paper_optimized(cls) -> RubricStructure:
        """What the paper's meta-optimizer converged to: no penalties, positive weights capped at 7."""
        return cls(allow_penalties=False, min_positive=7, max_positive=10, weight_cap=7, min_penalties=0)
