"""`python -m experiments.shard`: generate over a large corpus with several workers sharing a queue of documents.

The queue is an Optuna study used as a work-item store (any storage worker.py accepts): `--create` queues
one WAITING item per document (re-running it re-queues documents whose items all failed); each worker
claims items atomically (WAITING -> RUNNING), runs the exported harness on that document, writes its rounds
to DIR/worker-<host>-<pid>/ and marks the item COMPLETE with the worker's id. On RDB storages a dead
worker's item becomes FAIL by heartbeat. `--merge` keeps, per document, only the rows of the worker that
completed its item, so a document run twice is never counted twice, and writes DIR/rounds.jsonl,
DIR/accepted.jsonl and the `datasets` folder with its card, as generate does. Every worker must see the
same --docs (a shared folder, or the same copy at the same ids).

    python -m experiments.shard --create --queue Q --storage URL --harness RUN --docs PATH --out DIR
    python -m experiments.shard --queue Q --storage URL --harness RUN --docs PATH --out DIR   # on each worker
    python -m experiments.shard --merge --queue Q --storage URL --harness RUN --docs PATH --out DIR
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import optuna

from experiments.config import ConfigError
from experiments.records.files import JsonlLog, atomic_write_json, read_jsonl
from experiments.run.cli import add_common, run_cli
from experiments.study.local import TrialFailed
from experiments.study.shared import join_study, run_queued, worker_id
from experiments.study.storage import shared_storage

DONE = optuna.trial.TrialState.COMPLETE


def setup(args: argparse.Namespace):
    """The harness program, its config and record, and the documents, as generate builds them."""
    from experiments.config import build_config, merge
    from experiments.corpus import load_corpus
    from experiments.generate import _explicit
    from experiments.run.cli import load_config
    from experiments.run.harness import load_harness, read_harness

    record = read_harness(args.harness)
    base = load_config(args)
    models = {role: {"model": name} for role, name in record["models"].items()}
    cfg = build_config(merge({"models": models}, _explicit(args)), args.overrides)
    corpus = base.corpus.model_copy(update={"source": str(args.docs)})
    cfg = cfg.model_copy(update={"corpus": corpus, "tracking": base.tracking})
    program, cfg, record = load_harness(args.harness, cfg)
    return program, cfg, record, load_corpus(cfg.corpus).documents


def create(args: argparse.Namespace) -> dict[str, Any]:
    *_, docs = setup(args)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=args.queue, storage=shared_storage(args.storage), load_if_exists=True)
    settled = {t.user_attrs.get("doc_id") for t in study.trials if t.state != optuna.trial.TrialState.FAIL}
    queued = [d.id for d in docs if d.id not in settled]
    for doc_id in queued:
        study.enqueue_trial({}, user_attrs={"doc_id": doc_id}, skip_if_exists=False)
    study.set_user_attr("harness", str(Path(args.harness).resolve()))
    return {"queue": args.queue, "documents": len(docs), "queued": len(queued), "items": len(study.trials)}


def work(args: argparse.Namespace, lms=None) -> dict[str, Any]:
    from experiments.records.progress import Progress
    from experiments.records.sink import PhaseContext, RoundSink
    from experiments.run.build import bind_lms, configure_dspy, thresholds
    from experiments.run.phase import run_phase
    from experiments.tracking import Tracker

    study = join_study(args.queue, shared_storage(args.storage, args.heartbeat, args.grace), seed=os.getpid())
    program, cfg, _, docs = setup(args)
    by_id = {d.id: d for d in docs}
    if lms is None:
        from experiments.lms.factory import build_lms

        lms = build_lms(cfg.models)
    configure_dspy(cfg, use_cache=not args.no_cache)
    bind_lms(program, lms)
    wid = worker_id()
    folder = args.out / f"worker-{wid}"
    with Tracker(cfg.tracking, run_name=f"shard-{args.queue}-{wid}", tags={"autodata.command": "shard"}) as tracker:
        sink = RoundSink(folder, tracker, Progress(quiet=args.quiet))
        splits = {d.id: "generate" for d in docs}
        t = thresholds(cfg)

        def item(trial) -> float:
            doc = by_id.get(trial.user_attrs["doc_id"])
            if doc is None:
                raise ConfigError(f"document {trial.user_attrs['doc_id']} is queued but not in {args.docs}")
            trial.set_user_attr("worker", wid)
            ctx = PhaseContext(
                "generate", tracker.parent_id, splits, cfg.acceptance.preset, t, program.policy.structure
            )
            outcome = run_phase(program, [doc], sink, ctx)[0]
            if outcome.error:
                raise TrialFailed(outcome.error)
            return float(outcome.accepted)

        ran = run_queued(study, item, budget=len(study.trials), max_trials=args.max_docs)
    summary = {"worker": wid, "items": ran, "documents": [study.trials[n].user_attrs["doc_id"] for n in ran]}
    atomic_write_json(folder / "worker.json", summary)
    return summary


def merge_results(args: argparse.Namespace) -> dict[str, Any]:
    """Per document, the rows of the worker that completed its item; written as one generate output."""
    from experiments.report.dataset_card import write_dataset
    from experiments.report.summary import summarize

    study = optuna.load_study(study_name=args.queue, storage=shared_storage(args.storage))
    _, cfg, record, docs = setup(args)
    owner: dict[str, str] = {}
    for trial in study.trials:
        if trial.state == DONE:
            owner.setdefault(trial.user_attrs["doc_id"], trial.user_attrs["worker"])
    rows = []
    for doc_id, wid in owner.items():
        rows += [r for r in read_jsonl(args.out / f"worker-{wid}" / "rounds.jsonl") if r["doc_id"] == doc_id]
    for name in ("rounds.jsonl", "accepted.jsonl"):
        (args.out / name).unlink(missing_ok=True)
    rounds, accepted = JsonlLog(args.out / "rounds.jsonl"), JsonlLog(args.out / "accepted.jsonl")
    for row in rows:
        rounds.append(row)
        if row["accepted"]:
            accepted.append(row)
    info = write_dataset(args.out, [r for r in rows if r["accepted"]], docs, record, cfg)
    missing = sorted({d.id for d in docs} - set(owner))
    summary = {"documents": len(docs), "done": len(owner), "missing": missing, "dataset": info}
    summary["stats"] = summarize(rows, sorted(owner))
    atomic_write_json(args.out / "summary.json", summary)
    return summary


def run(args: argparse.Namespace, lms=None) -> dict[str, Any]:
    if args.out is None:
        raise ConfigError("--out is required: the shared output directory of the queue")
    if not Path(args.harness).exists():
        raise ConfigError(f"--harness {args.harness}: no such directory")
    if args.create:
        return create(args)
    return merge_results(args) if args.merge else work(args, lms)


def _main(args: argparse.Namespace) -> int:
    print(run(args))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m experiments.shard",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
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


def main(argv: list[str] | None = None) -> int:
    return run_cli(_main, parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
