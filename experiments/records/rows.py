"""The `rounds.jsonl` row: one challenger round, flat and self-contained, with its writer and reader.

`RoundRow` names every field a row holds. `round_row(record, ...)` writes one from the loop's
`RoundRecord` and the phase it ran in; `record_from_row(row)` reads the `RoundRecord` back from a row
read from disk (to continue an interrupted document). A row holds everything needed to recompute its
scores and decision from the raw verdicts: the rubric (criteria and weights in order), every attempt's
verdicts, the preset and thresholds, and the rubric structure in force; `recompute(row)` does exactly
that, with the same metric code. `fingerprint(program)` is the `candidate` field: a short id of a
harness's trainable state.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, TypedDict

import dspy

from metrics.acceptance import Thresholds, decide, weak_gate
from metrics.scoring import exact_score
from programs.records import Attempt, Candidate, Criterion, RoundRecord, VerifierReport
from programs.structure import RubricStructure


class RoundRow(TypedDict):
    phase: str  # baseline, optimize, select, final, generate, probe, or an evaluated method's name
    candidate: str  # fingerprint of the harness's trainable instructions and demos
    trial: int | None
    split: str
    doc_id: str
    round: int
    question_type: str | None
    skill_tags: list[str]
    insight: str | None  # the paper's insight the challenger targeted (rows written before it: absent)
    context: str | None
    question: str | None
    reference_answer: str | None
    rubric: list[dict[str, Any]]  # {criterion, weight} in order
    verifier: dict[str, Any] | None  # a VerifierReport
    weak: list[dict[str, Any]]  # Attempts
    strong: list[dict[str, Any]]
    weak_mean: float | None
    strong_mean: float | None
    gap: float | None
    preset: str
    thresholds: dict[str, Any]
    structure: dict[str, Any]
    accepted: bool
    reason: str
    detail: str
    direction: str | None  # what the next attempt should change (rows written before it: absent)
    usage: dict[str, dict[str, float]]  # per role: calls, tokens, seconds, cache hits
    errors: list[str]
    seconds: float
    time: float


def fingerprint(program: dspy.Module) -> str:
    """A short id of a harness candidate: its trainable instructions and demos."""
    parts = []
    for name, predictor in program.named_predictors():
        demos = [d.toDict() if hasattr(d, "toDict") else dict(d) for d in predictor.demos]
        parts.append([name, predictor.signature.instructions, demos])
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:10]


def round_row(
    record: RoundRecord,
    *,
    phase: str,
    split: str,
    candidate: str,
    preset: str,
    thresholds: Thresholds,
    structure: RubricStructure,
    trial: int | None = None,
) -> RoundRow:
    c = record.candidate
    v = record.verifier
    return {
        "phase": phase,
        "candidate": candidate,
        "trial": trial,
        "split": split,
        "doc_id": record.doc_id,
        "round": record.round,
        "question_type": c.question_type if c else None,
        "skill_tags": c.skill_tags if c else [],
        "insight": c.insight if c else None,
        "context": c.context if c else None,
        "question": c.question if c else None,
        "reference_answer": c.reference_answer if c else None,
        "rubric": [{"criterion": x.criterion, "weight": x.weight} for x in c.rubric] if c else [],
        "verifier": v.model_dump(mode="json") if v else None,
        "weak": [a.model_dump(mode="json") for a in record.weak],
        "strong": [a.model_dump(mode="json") for a in record.strong],
        "weak_mean": record.weak_mean,
        "strong_mean": record.strong_mean,
        "gap": record.gap,
        "preset": preset,
        "thresholds": thresholds.to_dict(),
        "structure": structure.model_dump(mode="json"),
        "accepted": record.accepted,
        "reason": record.reason,
        "detail": record.detail,
        "direction": record.direction,
        "usage": record.usage,
        "errors": record.errors,
        "seconds": record.seconds,
        "time": round(time.time(), 3),
    }


def record_from_row(row: Mapping[str, Any]) -> RoundRecord:
    """The RoundRecord a row was written from (for continuing an interrupted document)."""
    candidate = None
    if row.get("question") is not None:
        candidate = Candidate(
            question_type=row.get("question_type") or "",
            skill_tags=row.get("skill_tags") or [],
            insight=row.get("insight") or "",
            context=row.get("context") or "",
            question=row["question"] or "",
            reference_answer=row.get("reference_answer") or "",
            rubric=[Criterion(**c) for c in row["rubric"]],
        )
    return RoundRecord(
        doc_id=row["doc_id"],
        round=row["round"],
        candidate=candidate,
        verifier=VerifierReport(**row["verifier"]) if row.get("verifier") else None,
        weak=[Attempt(**a) for a in row["weak"]],
        strong=[Attempt(**a) for a in row["strong"]],
        weak_mean=row["weak_mean"],
        strong_mean=row["strong_mean"],
        gap=row["gap"],
        accepted=row["accepted"],
        reason=row["reason"],
        detail=row.get("detail", ""),
        direction=row.get("direction"),
        usage=row.get("usage") or {},
        errors=row.get("errors") or [],
        seconds=row.get("seconds", 0.0),
    )


def recompute(row: Mapping[str, Any]) -> tuple[bool, str]:
    """Recompute (accepted, reason) of a row from its raw verdicts with the metric code.

    Rows that ended before the solvers (invalid, quality, error) keep their recorded reason: there is
    nothing numeric to recompute. Scores of every attempt are checked against the verdicts, and the
    recorded means and gap against the decision's, which is taken on exact scores as in the loop.
    """
    weights = [item["weight"] for item in row["rubric"]]
    t = Thresholds(**row["thresholds"])
    exact: dict[str, list[Fraction]] = {"weak": [], "strong": []}
    for side, attempts in (("weak", row["weak"]), ("strong", row["strong"])):
        for attempt in attempts:
            if attempt.get("score") is not None:
                score = exact_score(weights, attempt["verdicts"])
                if abs(float(score) - attempt["score"]) > 1e-6:
                    return False, f"score mismatch in {side}: {attempt['score']} vs {float(score)}"
                exact[side].append(score)
    weak, strong = exact["weak"], exact["strong"]
    if not weak:
        return row["accepted"], row["reason"]
    if not strong:
        decision = weak_gate(t, weak)
        if decision is None:
            return row["accepted"], row["reason"]
    else:
        decision = decide(t, weak, strong)
    recorded = {"weak_mean": row["weak_mean"], "strong_mean": row["strong_mean"], "gap": row["gap"]}
    for key, value in recorded.items():
        expected = getattr(decision, key)
        if expected is not None and (value is None or abs(value - expected) > 1e-6):
            return False, f"{key} mismatch: {value} vs {expected}"
    return decision.accepted, decision.reason
