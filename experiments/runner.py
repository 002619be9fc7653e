"""Running a harness over documents as one named phase, with every round recorded as it completes.

`RoundSink` receives each round from the loop (through DSPy's context, so optimizer threads report
too), appends it to `rounds.jsonl` (and accepted ones to `accepted.jsonl`), logs its metrics to the
phase's MLflow run with a step, and updates progress. A round already recorded (an optimizer
re-evaluating a candidate on a document, or a resumed run) is not written twice, but its LM calls were
made: the budget counts them and `repeats.jsonl` keeps their usage for the run's totals. `run_phase`
runs a program over documents, concurrently when asked; a document that crashes (an exception outside
any LM call) is recorded in `sink.crashed` for the summaries and the phase goes on, while a
`FatalLMError` (bad key, unknown model, an unexpected error in a role call) stops the run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import dspy

from experiments.outputs import JsonlLog, read_jsonl
from experiments.progress import Progress
from experiments.resume import Recorded, record_from_row, row_key
from experiments.rows import round_row
from experiments.tracking import Tracker
from metrics.acceptance import Thresholds
from programs import hooks
from programs.budget import BudgetExceeded
from programs.errors import FatalLMError
from programs.parallel import map_parallel
from programs.records import RoundRecord
from programs.structure import RubricStructure

log = logging.getLogger("autodata.runner")


def fingerprint(program: dspy.Module) -> str:
    """A short id of a harness candidate: its trainable instructions and demos."""
    parts = []
    for name, predictor in program.named_predictors():
        demos = [d.toDict() if hasattr(d, "toDict") else dict(d) for d in predictor.demos]
        parts.append([name, predictor.signature.instructions, demos])
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:10]


@dataclass
class PhaseContext:
    phase: str
    run_id: str | None
    splits: dict[str, str]  # doc_id -> split
    preset: str
    thresholds: Thresholds
    structure: RubricStructure
    trial: int | None = None
    rows: list[dict] = field(default_factory=list)


class RoundSink:
    """Records rounds; rows already in `rounds.jsonl` (an interrupted earlier run) are not written twice."""

    def __init__(self, out_dir: Path, tracker: Tracker, progress: Progress):
        self.rounds = JsonlLog(out_dir / "rounds.jsonl")
        self.accepted = JsonlLog(out_dir / "accepted.jsonl")
        self.repeats = JsonlLog(out_dir / "repeats.jsonl")
        self.recorded = Recorded(read_jsonl(out_dir / "rounds.jsonl"))
        self.tracker, self.progress = tracker, progress
        self.crashed: list[dict] = []  # documents that raised outside any LM call, by phase
        self._steps: dict[str | None, int] = {}
        self._lock = threading.Lock()

    def record(self, row: dict) -> tuple[dict, bool]:
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

    def observer(self, ctx: PhaseContext):
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
            row, _ = self.record(row)
            guard = hooks.current().budget
            if guard is not None:
                guard.add(record.usage)  # every call made, also for a round recorded before
            with self._lock:
                ctx.rows.append(row)
                step = self._steps[ctx.run_id] = self._steps.get(ctx.run_id, 0) + 1
            metrics = {"accepted": float(record.accepted)}
            for key in ("weak_mean", "strong_mean", "gap"):
                if getattr(record, key) is not None:
                    metrics[key] = getattr(record, key)
            if record.verifier and record.verifier.validation is not None:
                metrics["rubric_validation"] = record.verifier.validation
            self.tracker.log_metrics(ctx.run_id, metrics, step=step)
            tokens = sum(u.get("prompt_tokens", 0) + u.get("completion_tokens", 0) for u in record.usage.values())
            self.progress.round_done(record.doc_id, record.summary_line(), record.accepted, tokens)
            if ctx.phase == "optimize" and (record.accepted or record.round >= getattr(program, "max_rounds", 0)):
                self.progress.doc_done()  # an optimizer drives these document runs, not run_phase

        return observe


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0][:300]}" if text else type(exc).__name__


def repeat_row(row: dict) -> dict:
    """What `repeats.jsonl` keeps of a re-run round: its key and what the re-run cost."""
    keep = ("phase", "candidate", "trial", "split", "doc_id", "round", "reason", "usage", "errors", "seconds", "time")
    return {k: row.get(k) for k in keep}


@dataclass
class DocOutcome:
    doc_id: str
    accepted: bool
    rounds: int
    error: str | None = None


def run_phase(
    program: dspy.Module, docs: list, sink: RoundSink, ctx: PhaseContext, workers: int = 1
) -> list[DocOutcome]:
    """Run `program` on each document (objects with .id and .text) under `ctx`; returns per-doc outcomes."""
    sink.progress.start_phase(ctx.phase if ctx.trial is None else f"{ctx.phase} trial {ctx.trial}", len(docs))

    candidate = fingerprint(program)
    structure = ctx.structure.model_dump(mode="json")
    max_rounds = getattr(program, "max_rounds", 1)

    def one(doc) -> DocOutcome:
        try:
            prior = sink.recorded.rows_for(ctx.phase, candidate, structure, doc.id)
            with sink._lock:
                ctx.rows.extend(prior)
            if prior and (any(r["accepted"] for r in prior) or len(prior) >= max_rounds):
                return DocOutcome(doc.id, any(r["accepted"] for r in prior), len(prior))  # done before a restart
            kwargs = {"prior": [record_from_row(r) for r in prior]} if prior else {}
            pred = program(document=doc.text, doc_id=doc.id, **kwargs)
            return DocOutcome(doc.id, pred.accepted is not None, len(pred.rounds))
        except (FatalLMError, BudgetExceeded):
            raise
        except Exception as exc:  # one document's fault must not end the phase
            error = _one_line(exc)
            log.warning("document %s crashed: %s", doc.id, error)
            with sink._lock:
                sink.crashed.append({"phase": ctx.phase, "trial": ctx.trial, "doc_id": doc.id, "error": error})
            return DocOutcome(doc.id, False, 0, error=error)
        finally:
            sink.progress.doc_done()

    with hooks.installed(observer=sink.observer(ctx)):
        return map_parallel(one, docs, workers)
