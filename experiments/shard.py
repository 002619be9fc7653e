"""`python -m experiments.shard`: generate over a large corpus with several workers sharing a queue of documents.

The queue is an Optuna study used as a work-item store (any storage worker.py accepts): `--create` queues
one WAITING item per document (re-running it re-queues documents whose items all failed); each worker
claims items atomically (WAITING -> RUNNING), runs the exported harness on that document, writes its rounds
to DIR/worker-<host>-<pid>/ and marks the item COMPLETE with the worker's id. On RDB storages a dead
worker's item becomes FAIL by heartbeat, and so does an item a budget stopped. `--merge` keeps, per
document, only the rows of the worker that completed its item, so a document run twice is never counted
twice, and writes DIR/rounds.jsonl, DIR/accepted.jsonl and the `datasets` folder with its card, as
generate does. Every worker must see the same --docs (a shared folder, or the same copy at the same ids).
`--dry-run` estimates the calls of the documents to queue (with --create) or of this worker's share.

    python -m experiments.shard --create --queue Q --storage URL --harness RUN --docs PATH --out DIR
    python -m experiments.shard --queue Q --storage URL --harness RUN --docs PATH --out DIR   # on each worker
    python -m experiments.shard --merge --queue Q --storage URL --harness RUN --docs PATH --out DIR
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Unpack

import optuna

from experiments.config import ConfigError, RunConfig
from experiments.corpus import Document, load_corpus
from experiments.records.files import JsonlLog, atomic_write_json, read_jsonl
from experiments.report.dataset_card import write_dataset
from experiments.report.summary import summarize
from experiments.run.cli import add_common, command_main, command_parser, harness_run_config, reject_unused
from experiments.run.dryrun import estimate, render
from experiments.run.harness import load_harness, read_harness
from experiments.run.session import RunOptions, Session
from experiments.study.local import TrialFailed
from experiments.study.shared import join_study, run_queued, worker_id
from experiments.study.storage import shared_storage
from programs.loop import LOOP_ROLES

DONE = optuna.trial.TrialState.COMPLETE


def unsettled(study: optuna.Study, docs: list[Document]) -> list[str]:
    """The documents with no item that is waiting, running or done (all of them failed, or none exists)."""
    settled = {t.user_attrs.get("doc_id") for t in study.trials if t.state != optuna.trial.TrialState.FAIL}
    return [d.id for d in docs if d.id not in settled]


def create(cfg: RunConfig, harness: Path, queue: str, storage: str) -> dict[str, Any]:
    """Queue one item per document of `cfg.corpus` not yet settled in the queue."""
    docs = load_corpus(cfg.corpus).documents
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=queue, storage=shared_storage(storage), load_if_exists=True)
    queued = unsettled(study, docs)
    for doc_id in queued:
        study.enqueue_trial({}, user_attrs={"doc_id": doc_id}, skip_if_exists=False)
    study.set_user_attr("harness", str(harness.resolve()))
    return {"queue": queue, "documents": len(docs), "queued": len(queued), "items": len(study.trials)}


def work(
    cfg: RunConfig,
    harness: Path,
    study: optuna.Study,
    out: Path,
    *,
    max_docs: int | None = None,
    **options: Unpack[RunOptions],
) -> dict[str, Any]:
    """Claim and run the queue's items as one worker, in DIR/worker-<id>/; returns its summary."""
    program, cfg, _ = load_harness(harness, cfg)
    by_id = {d.id: d for d in load_corpus(cfg.corpus).documents}
    wid = worker_id()
    folder = out / f"worker-{wid}"
    with Session(cfg, folder, "shard", roles=LOOP_ROLES, **options) as s:
        s.bind(program)
        splits = dict.fromkeys(by_id, "generate")

        def item(trial: optuna.Trial) -> float:
            doc = by_id.get(trial.user_attrs["doc_id"])
            if doc is None:
                raise ConfigError(f"document {trial.user_attrs['doc_id']} is queued but not in {cfg.corpus.source}")
            trial.set_user_attr("worker", wid)
            outcome = s.run_phase(program, [doc], s.phase("generate", program.policy.structure, splits))[0]
            if outcome.error:
                raise TrialFailed(outcome.error)
            return float(outcome.accepted)

        with s.running():
            run_queued(study, item, budget=len(study.trials), max_trials=max_docs)
    mine = sorted((t for t in study.trials if t.user_attrs.get("worker") == wid), key=lambda t: t.number)
    summary = {
        "worker": wid,
        "items": [t.number for t in mine],
        "documents": [t.user_attrs["doc_id"] for t in mine],
        "stopped_by": s.stopped_by,
    }
    atomic_write_json(folder / "worker.json", summary)
    return summary


def merge_results(cfg: RunConfig, harness: Path, queue: str, storage: str, out: Path) -> dict[str, Any]:
    """Per document, the rows of the worker that completed its item; written as one generate output."""
    study = optuna.load_study(study_name=queue, storage=shared_storage(storage))
    record, docs = read_harness(harness), load_corpus(cfg.corpus).documents
    owner: dict[str, str] = {}
    for trial in study.trials:
        if trial.state == DONE:
            owner.setdefault(trial.user_attrs["doc_id"], trial.user_attrs["worker"])
    rows = []
    for doc_id, wid in owner.items():
        rows += [r for r in read_jsonl(out / f"worker-{wid}" / "rounds.jsonl") if r["doc_id"] == doc_id]
    for name in ("rounds.jsonl", "accepted.jsonl"):
        (out / name).unlink(missing_ok=True)
    rounds, accepted = JsonlLog(out / "rounds.jsonl"), JsonlLog(out / "accepted.jsonl")
    for row in rows:
        rounds.append(row)
        if row["accepted"]:
            accepted.append(row)
    info = write_dataset(out, [r for r in rows if r["accepted"]], docs, record, cfg)
    missing = sorted({d.id for d in docs} - set(owner))
    summary = {"documents": len(docs), "done": len(owner), "missing": missing, "dataset": info}
    summary["stats"] = summarize(rows, sorted(owner))
    atomic_write_json(out / "summary.json", summary)
    return summary


def _planned(args: argparse.Namespace, docs: list[Document]) -> list[str]:
    """The documents a --dry-run estimates: those --create would queue, or this worker's share of the
    waiting items. Reads the queue; creates and claims nothing."""
    if args.create:
        try:
            return unsettled(optuna.load_study(study_name=args.queue, storage=shared_storage(args.storage)), docs)
        except KeyError:  # no queue yet: every document would be queued
            return [d.id for d in docs]
    study = join_study(args.queue, shared_storage(args.storage), seed=0)
    waiting = [t.user_attrs["doc_id"] for t in study.trials if t.state == optuna.trial.TrialState.WAITING]
    return waiting[: args.max_docs] if args.max_docs else waiting


def _main(args: argparse.Namespace, options: RunOptions) -> int:
    if args.out is None:
        raise ConfigError("--out is required: the shared output directory of the queue")
    cfg, p = harness_run_config(args), parser()
    if args.merge:
        reject_unused(args, p, ("--dry-run", "--max-docs"), "--merge reads the workers' files and makes no LM call")
        print(merge_results(cfg, args.harness, args.queue, args.storage, args.out))
        return 0
    if args.create:
        reject_unused(args, p, ("--max-docs",), "it is a worker's option; --create only queues the documents")
    docs = load_corpus(cfg.corpus).documents
    if args.dry_run:
        ids = set(_planned(args, docs))
        chars = [len(d.text) for d in docs if d.id in ids]
        print(render(estimate(cfg, {"generate": len(chars)}, chars)))
        return 0
    if args.create:
        print(create(cfg, args.harness, args.queue, args.storage))
        return 0
    study = join_study(args.queue, shared_storage(args.storage, args.heartbeat, args.grace), seed=os.getpid())
    summary = work(
        cfg,
        args.harness,
        study,
        args.out,
        max_docs=args.max_docs,
        **options,
    )
    print(summary)
    return 0


def parser() -> argparse.ArgumentParser:
    p = command_parser("shard", __doc__ or "")
    p.add_argument("--queue", required=True, help="the queue's name (an Optuna study of documents)")
    p.add_argument("--storage", required=True, help="journal:<file>, sqlite:///<file> or postgresql+psycopg2://...")
    p.add_argument("--harness", type=Path, required=True, help="a compile run directory or exported harness")
    p.add_argument("--docs", type=Path, required=True, help="documents: folder of .txt/.md, .jsonl/.csv/.parquet")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--create", action="store_true", help="queue the documents (again: re-queue failed ones)")
    mode.add_argument("--merge", action="store_true", help="merge the workers' rows into one dataset")
    p.add_argument("--max-docs", type=int, help="process at most this many documents in this worker")
    p.add_argument("--heartbeat", type=int, default=60, help="seconds between heartbeats (RDB storages)")
    p.add_argument("--grace", type=int, default=180, help="seconds without heartbeat before an item is failed")
    add_common(p)
    return p


main = command_main(_main, parser)


if __name__ == "__main__":
    sys.exit(main())
