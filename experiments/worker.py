"""`python -m experiments.worker`: run the trials of one shared Optuna study from several processes or machines.

First create the study, once, before any worker starts; it queues the whole trial budget and records the
config, the corpus splits and an MLflow parent run in the study:

    python -m experiments.worker --create --study S --storage URL --out DIR --n-trials 16 [--preset ...]

Then start any number of workers, on this machine or others sharing the storage (and DIR if the best
harness is to be read back from disk). Each claims queued trials and runs them with compile's TrialRunner:

    python -m experiments.worker --study S --storage URL --out DIR

Storage URLs: `journal:<file>` (one host), `sqlite:///<file>` (a few local workers),
`postgresql+psycopg2://user:pass@host/db` (many hosts; heartbeats fail a dead worker's trial). A worker
runs the study's config; `--set`/`--config` may only change per-machine keys (models, tracking, workers,
corpus.source, thread counts, retries). Rounds go to DIR/worker-<host>-<pid>/rounds.jsonl, one file per
process, with its trials' optimizer logs and candidate harnesses under it. It does not run the baseline or
the final test phase: that is compile's job once the study is done.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import Any

from experiments.config import ConfigError, RunConfig, build_config
from experiments.records.files import atomic_write_json
from experiments.records.progress import Progress
from experiments.run.cli import add_common, config_file, load_config, run_cli
from experiments.study.local import best_trial
from experiments.study.shared import create_shared_study, finished_count, join_study, run_queued, worker_id
from experiments.study.storage import redact, shared_storage
from experiments.tracking import Tracker

log = logging.getLogger("autodata.worker")

# Keys a worker may set for itself; everything else must match the study's config.
LOCAL_KEYS = ("models.", "tracking.", "workers", "corpus.source", "loop.sample_workers", "loop.infra_retries")
LOCAL_KEYS += ("loop.backoff", "optimizer.num_threads")


class StudyTracker(Tracker):
    """A Tracker whose parent is the study's MLflow run (made by --create), so all workers' trials nest there."""

    def __init__(self, cfg, parent_run_id: str | None, run_name: str, tags: dict[str, str] | None = None):
        super().__init__(cfg, run_name, tags)
        self.attach_to, self.owned = parent_run_id, False

    def __enter__(self) -> StudyTracker:
        if not self.enabled or not self.attach_to:
            self.owned = True
            return super().__enter__()
        try:
            import mlflow
            from mlflow.tracking import MlflowClient

            mlflow.set_tracking_uri(self.uri)
            self.client = MlflowClient(tracking_uri=self.uri)
            run = self.client.get_run(self.attach_to)
            self.experiment_id, self.parent_id = run.info.experiment_id, run.info.run_id
        except Exception as exc:
            log.warning(
                "the study's MLflow run %s is not in %s (%s); using a run of this worker",
                self.attach_to,
                self.uri,
                type(exc).__name__,
            )
            self.owned = True
            return super().__enter__()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.owned:
            super().__exit__(exc_type, exc, tb)


def create(args: argparse.Namespace, n_trials: int | None) -> dict[str, Any]:
    """Create the study with its budget queued; on an existing study, only queue up to the new budget."""
    from experiments.corpus import load_splits

    cfg = load_config(args)
    n_trials = n_trials or cfg.search.n_trials
    search = cfg.search.model_copy(update={"storage": args.storage, "study_name": args.study, "n_trials": n_trials})
    cfg = cfg.model_copy(update={"search": search})
    splits, _ = load_splits(cfg.corpus)
    study = create_shared_study(cfg, args.out, n_trials)
    attrs = dict(study.user_attrs)  # a top-up keeps the study's config, splits and MLflow run
    if "config" not in attrs:
        tracker = Tracker(cfg.tracking, run_name=f"study-{args.study}", tags={"autodata.command": "study"})
        tracker.__enter__()  # the parent stays RUNNING; the worker that sees the study done ends it
        tracker.log_params(tracker.parent_id, cfg.flat())
        attrs = {
            "config": cfg.public_dict(),
            "splits": {name: [d.id for d in docs] for name, docs in splits.items()},
            "mlflow_parent_run_id": tracker.parent_id,
            "mlflow_tracking_uri": tracker.uri,
        }
    attrs["n_trials"] = max(n_trials, attrs.get("n_trials", 0))
    for key, value in attrs.items():
        study.set_user_attr(key, value)
    info = {"study": args.study, "storage": redact(args.storage), "trials": len(study.trials), **attrs}
    atomic_write_json(args.out / "study.json", info)
    return info


def worker_config(stored: dict[str, Any], args: argparse.Namespace) -> RunConfig:
    """The study's config with this worker's per-machine changes (--config, --set) laid over it."""
    from experiments.config import merge

    changes = config_file(args.config) if args.config else {}
    keys = [o.split("=", 1)[0].strip() for o in args.overrides] + _dotted(changes)
    bad = [k for k in keys if not k.startswith(LOCAL_KEYS)]
    if bad:
        raise ConfigError(f"{bad[0]}: a worker runs the study's config; it may change only {', '.join(LOCAL_KEYS)}")
    return build_config(merge(stored, changes), args.overrides)


def _dotted(data: dict[str, Any], prefix: str = "") -> list[str]:
    keys: list[str] = []
    for key, value in data.items():
        if isinstance(value, dict) and value and key != "options":
            keys += _dotted(value, f"{prefix}{key}.")
        else:
            keys.append(f"{prefix}{key}")
    return keys


def join(args: argparse.Namespace, budget: int | None, lms=None) -> dict[str, Any]:
    from experiments.corpus import load_splits
    from experiments.records.sink import RoundSink
    from experiments.run.build import configure_dspy
    from experiments.study.trial import TrialRunner

    wid = worker_id()
    study = join_study(args.study, shared_storage(args.storage, args.heartbeat, args.grace), seed=os.getpid())
    attrs = study.user_attrs
    if "config" not in attrs:
        raise ConfigError(f"study {args.study!r} was not created with `python -m experiments.worker --create`")
    cfg = worker_config(attrs["config"], args)
    budget = budget or attrs["n_trials"]
    splits, _ = load_splits(cfg.corpus)
    if {k: [d.id for d in v] for k, v in splits.items()} != attrs["splits"]:
        raise ConfigError(f"corpus {cfg.corpus.source}: its splits differ from the study's; use the same documents")
    if lms is None:
        from experiments.lms.factory import build_lms

        lms = build_lms(cfg.models)
    configure_dspy(cfg, use_cache=not args.no_cache)
    # Everything this process writes lives in its own folder: its rounds, and its trials' optimizer logs and
    # candidate harnesses (trial folders are keyed by parameters, which two workers may both sample).
    folder = args.out.resolve() / f"worker-{wid}"
    progress = Progress(quiet=args.quiet)
    tags = {"autodata.command": "worker", "autodata.worker": wid}
    with (
        progress.display(),
        StudyTracker(cfg.tracking, attrs.get("mlflow_parent_run_id"), f"worker-{wid}", tags) as tracker,
    ):
        runner = TrialRunner(cfg, lms, splits, RoundSink(folder, tracker, progress), tracker, folder, cfg.workers)

        def objective(trial) -> float:
            trial.set_user_attr("worker", wid)
            return runner(trial)

        ran = run_queued(study, objective, budget, args.max_trials)
        done = finished_count(study)
        best = best_trial(study)
        if done >= budget and tracker.parent_id:
            tracker.log_metrics(tracker.parent_id, {"best_val_pass_rate": best.value if best else 0.0})
            tracker.end(tracker.parent_id)
    summary = {
        "worker": wid,
        "trials": ran,
        "study_finished": done,
        "budget": budget,
        "best_trial": best.number if best else None,
    }
    atomic_write_json(folder / "worker.json", summary)
    return summary


def status(args: argparse.Namespace) -> dict[str, Any]:
    """Trials by state and the best trial so far, with its harness folder (for `generate --harness`)."""
    study = join_study(args.study, shared_storage(args.storage), seed=0)
    states: dict[str, int] = {}
    for trial in study.trials:
        states[trial.state.name] = states.get(trial.state.name, 0) + 1
    best = best_trial(study)
    return {
        "study": args.study,
        "states": states,
        "budget": study.user_attrs.get("n_trials"),
        "best": None
        if best is None
        else {
            "trial": best.number,
            "value": best.value,
            "params": best.params,
            "harness_dir": best.user_attrs.get("harness_dir"),
        },
    }


def run(args: argparse.Namespace, lms=None) -> dict[str, Any]:
    """Create the study (--create), report on it (--status) or run as one of its workers; returns a summary."""
    if args.status:
        return status(args)
    if args.out is None:
        raise ConfigError("--out is required: the shared run directory of the study")
    return create(args, args.n_trials) if args.create else join(args, args.n_trials, lms=lms)


def _main(args: argparse.Namespace) -> int:
    summary = run(args)
    if args.status:
        print(json.dumps(summary, indent=2))
    elif args.create:
        print(
            f"study {summary['study']}: {summary['trials']} trials queued in {summary['storage']}; start workers "
            f"with: python -m experiments.worker --study {summary['study']} --storage URL --out {args.out}"
        )
    else:
        print(
            f"worker {summary['worker']}: ran trials {summary['trials']}; the study holds "
            f"{summary['study_finished']}/{summary['budget']} finished trials; best so far: {summary['best_trial']}"
        )
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m experiments.worker",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument("--study", required=True, help="the study's name")
    p.add_argument("--storage", required=True, help="journal:<file>, sqlite:///<file> or postgresql+psycopg2://...")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--create", action="store_true", help="create the study and queue its trials, then exit")
    mode.add_argument("--status", action="store_true", help="print trials by state and the best trial, then exit")
    p.add_argument("--n-trials", type=int, help="the study's total trial budget (default: the study's, or config)")
    p.add_argument("--max-trials", type=int, help="run at most this many trials in this worker")
    p.add_argument("--heartbeat", type=int, default=60, help="seconds between heartbeats (RDB storages)")
    p.add_argument("--grace", type=int, default=180, help="seconds without heartbeat before a trial is failed")
    add_common(p)
    return p


def main(argv: list[str] | None = None) -> int:
    return run_cli(_main, parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
