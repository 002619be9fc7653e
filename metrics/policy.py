"""`HarnessPolicy`: the scoring, checks and acceptance rules the loop is built with.

It implements `programs.policy.Policy` from a rubric structure and acceptance thresholds, plus the
judge sanity bounds: the reference answer must score at least `min_reference` under its own rubric,
and a generic off-topic answer at most `max_offtopic`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from metrics import acceptance
from metrics.acceptance import Thresholds
from metrics.rubric_checks import check_rubric
from metrics.scoring import Number, as_exact, exact_score, rubric_score
from programs.records import Candidate, Criterion, Decision, VerifierReport
from programs.structure import RubricStructure
from programs.text import clip


@dataclass
class HarnessPolicy:
    structure: RubricStructure
    thresholds: Thresholds
    min_reference: float = 0.6
    max_offtopic: float = 0.3

    def check_rubric(self, candidate: Candidate) -> list[str]:
        return check_rubric(candidate, self.structure)

    def score(self, rubric: list[Criterion], verdicts: list[float]) -> float:
        return rubric_score([c.weight for c in rubric], verdicts)

    def exact_score(self, rubric: list[Criterion], verdicts: list[float]) -> Fraction:
        return exact_score([c.weight for c in rubric], verdicts)

    def weak_gate(self, weak_scores: Sequence[Number]) -> Decision | None:
        return acceptance.weak_gate(self.thresholds, weak_scores)

    def decide(self, weak_scores: Sequence[Number], strong_scores: Sequence[Number]) -> Decision:
        return acceptance.decide(self.thresholds, weak_scores, strong_scores)

    def sanity_problem(
        self, reference_score: float | None, offtopic_score: float | None, reference_misses: Sequence[str] = ()
    ) -> str | None:
        # Exact comparisons, like acceptance: a stored score is read back as the rational it stands for.
        if reference_score is not None and as_exact(reference_score) < as_exact(self.min_reference):
            scored = (
                f"the reference answer scores only {reference_score:.2f} under its own rubric "
                f"(need >= {self.min_reference})"
            )
            if not reference_misses:
                return f"{scored}: rubric and answer disagree"
            # Named, so the next attempt knows which criteria to rewrite; a point the context already
            # states is one no answer makes more convincingly than the context (the anchored judge).
            named = "; ".join(f"'{clip(text, 120)}'" for text in reference_misses)
            return (
                f"{scored}; it fails {named}. Each criterion must be a point the reference answer makes and "
                "the context does not state"
            )
        if offtopic_score is not None and as_exact(offtopic_score) > as_exact(self.max_offtopic):
            return (
                f"a generic off-topic answer scores {offtopic_score:.2f} (need <= {self.max_offtopic}): "
                "the criteria are too vague to separate answers"
            )
        return None

    def validation(self, report: VerifierReport) -> float:
        return validation_score(report, self.min_reference, self.max_offtopic)


def validation_score(report: VerifierReport, min_reference: float = 0.6, max_offtopic: float = 0.3) -> float:
    """The rubric validation metric in [0, 1]: the mean of four parts, a part not reached counting 0.

    Parts: programmatic rubric checks (1 minus 0.2 per problem), the verifier's gated checks (share true;
    checks outside the verifier's gate are advice and count for nothing, and with none gated the part is
    left out), the reference answer's own score (relative to `min_reference`), and how low a generic
    off-topic answer scores (relative to `max_offtopic`). When sanity checks are switched off (the
    verifier ran and passed, but no sanity scores exist) the last two parts are left out.
    """
    parts = [max(0.0, 1.0 - 0.2 * len(report.rubric_problems))]
    if report.rubric_problems or not report.checks:
        return round(sum(parts) / 4, 6)
    gated = list(report.gated().values())
    if gated:
        parts.append(sum(gated) / len(gated))
    verifier_passed = all(gated)
    if verifier_passed and report.reference_score is None and report.offtopic_score is None:
        return round(sum(parts) / len(parts), 6)
    ref, off = report.reference_score, report.offtopic_score
    parts.append(0.0 if ref is None else min(1.0, ref / min_reference))
    parts.append(0.0 if off is None else min(1.0, (1.0 - off) / (1.0 - max_offtopic)))
    return round(sum(parts) / len(parts), 6)
