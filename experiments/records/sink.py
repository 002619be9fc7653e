"""The round sink: every round the loop finishes, recorded as it completes, once.

`RoundSink.observer(ctx)` is the loop's observer hook for one phase (`PhaseContext`: the phase's name,
MLflow run, splits, preset, thresholds and rubric structure). Each round becomes a `rounds.jsonl` row
(accepted ones also go to `accepted.jsonl`), its metrics are logged to the phase's MLflow run with a
step, its usage is added to the run's budget, and progress is updated. A round already recorded (an
optimizer re-evaluating a candidate on a document, or a resumed run) is not written twice, but its LM
calls were made: the budget counts them and `repeats.jsonl` keeps their usage for the run's totals.
Documents that crash outside any LM call are kept in `crashed` for the summaries. The sink runs no
program and makes no LM call (`experiments.run.phase` runs documents).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dspy

from experiments.records.files import JsonlLog, read_jsonl
from experiments.records.progress import Progress
from experiments.records.resume import Recorded, row_key
from experiments.records.rows import fingerprint, round_row
from experiments.tracking import Tracker
from metrics.acceptance import Thresholds
from programs import hooks
from programs.hooks import Observer
from programs.records import RoundRecord
from programs.structure import RubricStructure
from programs.usage import total_tokens

REPEAT_FIELDS = ("phase", "candidate", "trial", "split", "doc_id", "round", "reason", "usage", "errors", "seconds")


@dataclass
class PhaseContext:
    """Where a phase's rounds go and what each row is stamped with; `rows` collects the phase's rows."""

    phase: str
    run_id: str | None
    splits: dict[str, str]  # doc_id -> split
    preset: str
    thresholds: Thresholds
    structure: RubricStructure
    trial: int | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.phase if self.trial is None else f"{self.phase} trial {self.trial}"


def repeat_row(row: dict[str, Any]) -> dict[str, Any]:
    """What `repeats.jsonl` keeps of a re-run round: its key and what the re-run cost."""
    return {k: row.get(k) for k in (*REPEAT_FIELDS, "time")}


class RoundSink:
    """Records rounds; rows already in `rounds.jsonl` (an interrupted earlier run) are not written twice."""

    def __init__(self, out_dir: Path, tracker: Tracker, progress: Progress):
        self.rounds = JsonlLog(out_dir / "rounds.jsonl")
        self.accepted = JsonlLog(out_dir / "accepted.jsonl")
        self.repeats = JsonlLog(out_dir / "repeats.jsonl")
        self.recorded = Recorded(read_jsonl(out_dir / "rounds.jsonl"))
        self._restore_accepted(out_dir / "accepted.jsonl")
        self.tracker, self.progress = tracker, progress
        self.crashed: list[dict[str, Any]] = []  # documents that raised outside any LM call, by phase
        self._steps: dict[str | None, int] = {}
        self._lock = threading.Lock()

    def _restore_accepted(self, path: Path) -> None:
        # A kill between the two appends of `record` leaves an accepted round in rounds.jsonl only:
        # rounds.jsonl is the record, so accepted.jsonl is completed from it on resume.
        have = {row_key(r) for r in read_jsonl(path)}
        for row in self.recorded.by_key.values():
            if row["accepted"] and row_key(row) not in have:
                self.accepted.append(row)

    def record(self, row: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Write a row unless the same round is already recorded; returns the row that stands and
        whether it is new."""
        key = row_key(row)
        with self._lock:
            existing = self.recorded.by_key.get(key)
            if existing is None:
                self.recorded.by_key[key] = row
        if existing is not None:
            self.repeats.append(repeat_row(row))
            return existing, False
        self.rounds.append(row)
        if row["accepted"]:
            self.accepted.append(row)
        return row, True

    def recorded_rows(self) -> list[dict[str, Any]]:
        """A snapshot of every row recorded so far, earlier processes' included."""
        with self._lock:
            return list(self.recorded.by_key.values())

    def prior(self, ctx: PhaseContext, candidate: str, doc_id: str) -> list[dict[str, Any]]:
        """The rows already recorded for this phase, harness and document (a resumed run), which then
        count as the phase's rows too."""
        rows = self.recorded.rows_for(ctx.phase, candidate, ctx.structure.model_dump(mode="json"), doc_id)
        with self._lock:
            ctx.rows.extend(rows)
        return rows

    def crash(self, ctx: PhaseContext, doc_id: str, error: str) -> None:
        with self._lock:
            self.crashed.append({"phase": ctx.phase, "trial": ctx.trial, "doc_id": doc_id, "error": error})

    def observer(self, ctx: PhaseContext) -> Observer:
        def observe(record: RoundRecord, program: dspy.Module) -> None:
            row = round_row(
                record,
                phase=ctx.phase,
                split=ctx.splits.get(record.doc_id, "unknown"),
                candidate=fingerprint(program),
                preset=ctx.preset,
                thresholds=ctx.thresholds,
                structure=ctx.structure,
                trial=ctx.trial,
            )
            stands, _ = self.record(dict(row))
            budget = hooks.current().budget
            if budget is not None:
                budget.add(record.usage)  # every call made, also for a round recorded before
            with self._lock:
                ctx.rows.append(stands)
                step = self._steps[ctx.run_id] = self._steps.get(ctx.run_id, 0) + 1
            self.tracker.log_metrics(ctx.run_id, round_metrics(record), step=step)
            tokens = sum(total_tokens(u) for u in record.usage.values())
            self.progress.round_done(record.doc_id, record.summary_line(), record.accepted, tokens)
            if ctx.phase == "optimize" and (record.accepted or record.round >= getattr(program, "max_rounds", 0)):
                self.progress.doc_done()  # an optimizer drives these document runs, not run_phase

        return observe


def round_metrics(record: RoundRecord) -> dict[str, float]:
    """A round's MLflow metrics: accepted, the means and gap it reached, its rubric validation."""
    metrics = {"accepted": float(record.accepted)}
    for key, value in (("weak_mean", record.weak_mean), ("strong_mean", record.strong_mean), ("gap", record.gap)):
        if value is not None:
            metrics[key] = value
    if record.verifier and record.verifier.validation is not None:
        metrics["rubric_validation"] = record.verifier.validation
    return metrics
