"""What an earlier, interrupted run already recorded: its rows by key, to resume from and not write twice.

A round's key is (phase, candidate, structure, doc_id, round): the harness candidate's fingerprint and
its rubric structure identify the computation, so the same round re-run after a restart (an optimizer
re-evaluating, or a phase resuming) is recognised and not written twice. Trial numbers are not part of
the key, because a trial interrupted mid-way is re-run under a new number with the same parameters.
`records.rows.record_from_row` turns a row back into the round the loop continues after.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def structure_key(structure: dict[str, Any]) -> str:
    return hashlib.sha1(json.dumps(structure, sort_keys=True).encode()).hexdigest()[:8]


def row_key(row: dict[str, Any]) -> tuple:
    return (row["phase"], row["candidate"], structure_key(row["structure"]), row["doc_id"], row["round"])


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
