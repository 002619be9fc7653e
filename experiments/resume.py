"""What an earlier, interrupted run already recorded: rows by key, and rounds to continue from.

A round's key is (phase, candidate, structure, doc_id, round): the harness candidate's fingerprint and
its rubric structure identify the computation, so the same round re-run after a restart (an optimizer
re-evaluating, or a phase resuming) is recognised and not written twice. Trial numbers are not part of
the key, because a trial interrupted mid-way is re-run under a new number with the same parameters.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from programs.records import Attempt, Candidate, RoundRecord, VerifierReport


def structure_key(structure: dict[str, Any]) -> str:
    return hashlib.sha1(json.dumps(structure, sort_keys=True).encode()).hexdigest()[:8]


def row_key(row: dict[str, Any]) -> tuple:
    return (row["phase"], row["candidate"], structure_key(row["structure"]), row["doc_id"], row["round"])


def record_from_row(row: dict[str, Any]) -> RoundRecord:
    """Rebuild the RoundRecord a row was written from (for continuing an interrupted document)."""
    candidate = None
    if row.get("question") is not None:
        candidate = Candidate(
            question_type=row.get("question_type") or "",
            skill_tags=row.get("skill_tags") or [],
            context=row.get("context") or "",
            question=row["question"],
            reference_answer=row.get("reference_answer") or "",
            rubric=row["rubric"],
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
        usage=row.get("usage") or {},
        errors=row.get("errors") or [],
        seconds=row.get("seconds", 0.0),
    )


class Recorded:
    """Rows of earlier runs in this run directory, indexed for resuming."""

    def __init__(self, rows: list[dict[str, Any]]):
        self.by_key: dict[tuple, dict[str, Any]] = {}
        for row in rows:
            self.by_key.setdefault(row_key(row), row)

    def rows_for(self, phase: str, candidate: str, structure: dict[str, Any], doc_id: str) -> list[dict[str, Any]]:
        prefix = (phase, candidate, structure_key(structure), doc_id)
        found = [row for key, row in self.by_key.items() if key[:4] == prefix]
        return sorted(found, key=lambda r: r["round"])

    def take(self, phase: str, candidate: str, structure: dict[str, Any], doc_id: str) -> list[dict[str, Any]]:
        """`rows_for`, removed from the index: an earlier process's rounds are replayed once, not each time
        an optimizer evaluates the same harness on the same document again."""
        found = self.rows_for(phase, candidate, structure, doc_id)
        for row in found:
            del self.by_key[row_key(row)]
        return found
