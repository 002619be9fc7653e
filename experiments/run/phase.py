"""Running a harness over documents as one named phase, every round recorded by the run's sink.

`run_phase(program, docs, sink, ctx)` runs the program on each document (concurrently with `workers`),
with the sink's observer for `ctx` installed as the loop's hook. A document whose rounds were all
recorded before a restart is not run again; one that was interrupted continues after its recorded
rounds. A document that crashes (an exception outside any LM call) is recorded in `sink.crashed` and
the phase goes on, while a `FatalLMError` (bad key, unknown model, an unexpected error in a role call)
or `BudgetExceeded` stops the run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import dspy

from experiments.records.rows import fingerprint, record_from_row
from experiments.records.sink import PhaseContext, RoundSink
from programs import hooks
from programs.budget import BudgetExceeded
from programs.errors import FatalLMError
from programs.parallel import map_parallel

log = logging.getLogger("autodata.phase")


@dataclass
class DocOutcome:
    doc_id: str
    accepted: bool
    rounds: int
    error: str | None = None


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0][:300]}" if text else type(exc).__name__


def run_phase(
    program: dspy.Module, docs: list[Any], sink: RoundSink, ctx: PhaseContext, workers: int = 1
) -> list[DocOutcome]:
    """Run `program` on each document (objects with .id and .text) under `ctx`; returns per-doc outcomes."""
    sink.progress.start_phase(ctx.label, len(docs))
    candidate = fingerprint(program)
    max_rounds = getattr(program, "max_rounds", 1)

    def one(doc: Any) -> DocOutcome:
        try:
            prior = sink.prior(ctx, candidate, doc.id)
            if prior and (any(r["accepted"] for r in prior) or len(prior) >= max_rounds):
                return DocOutcome(doc.id, any(r["accepted"] for r in prior), len(prior))  # done before a restart
            kwargs = {"prior": [record_from_row(r) for r in prior]} if prior else {}
            pred = program(document=doc.text, doc_id=doc.id, **kwargs)
            return DocOutcome(doc.id, pred.accepted is not None, len(pred.rounds))
        except (FatalLMError, BudgetExceeded):
            raise
        except Exception as exc:  # one document's fault must not end the phase
            error = one_line(exc)
            log.warning("document %s crashed: %s", doc.id, error)
            sink.crash(ctx, doc.id, error)
            return DocOutcome(doc.id, False, 0, error=error)
        finally:
            sink.progress.doc_done()

    with hooks.installed(observer=sink.observer(ctx)):
        return map_parallel(one, docs, workers)
