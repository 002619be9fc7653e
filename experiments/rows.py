"""The `rounds.jsonl` row: one challenger round, flat and self-contained.

A row holds everything needed to recompute its scores and its decision from the raw verdicts: the
rubric (criteria and weights in order), every attempt's verdicts, the preset and thresholds, and the
rubric structure in force. `recompute(row)` does exactly that, with the same metric code.
"""

from __future__ import annotations

import time
from typing import Any

from metrics.acceptance import Thresholds, decide, weak_gate
from metrics.scoring import exact_score
from programs.records import RoundRecord
from programs.structure import RubricStructure


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
) -> dict[str, Any]:
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
        "usage": record.usage,
        "errors": record.errors,
        "seconds": record.seconds,
        "time": round(time.time(), 3),
    }


def recompute(row: dict[str, Any]) -> tuple[bool, str]:
    """Recompute (accepted, reason) of a row from its raw verdicts with the metric code.

    Rows that ended before the solvers (invalid, quality, error) keep their recorded reason: there is
    nothing numeric to recompute. Scores of every attempt are checked against the verdicts, and the
    recorded means and gap against the decision's, which is taken on exact scores as in the loop.
    """
    weights = [item["weight"] for item in row["rubric"]]
    t = Thresholds(**row["thresholds"])
    exact: dict[str, list] = {"weak": [], "strong": []}
    for side in ("weak", "strong"):
        for attempt in row[side]:
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
    for key in ("weak_mean", "strong_mean", "gap"):
        expected = getattr(decision, key)
        if expected is not None and (row.get(key) is None or abs(row[key] - expected) > 1e-6):
            return False, f"{key} mismatch: {row.get(key)} vs {expected}"
    return decision.accepted, decision.reason
