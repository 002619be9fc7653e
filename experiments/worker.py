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
corpus.source, thread counts, retries, budget). Rounds go to DIR/worker-<host>-<pid>/rounds.jsonl, one file
per process, with its trials' optimizer logs and candidate harnesses under it. It does not run the
baseline or the final test phase: that is compile's job once the study is done. `--dry-run` estimates
the calls of the study (with --create) or of this worker's share, and creates or claims nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Unpack

import optuna

from experiments.config import ConfigError, RunConfig
from experiments.corpus import load_splits
from experiments.records.files import atomic_write_json
from experiments.run.cli import add_common, command_main, command_parser, config_file, load_config, reject_unused
from experiments.run.dryrun import render, trials_plan
from experiments.run.overrides import build_config, dotted_keys, merge
from experiments.run.session import RunOptions, Session
from experiments.study.local import best_trial
from experiments.study.shared import create_shared_study, finished_count, join_study, run_queued, worker_id
from experiments.study.storage import redact, shared_storage
from experiments.study.trial import TrialRunner
from experiments.tracking import Tracker

# Keys a worker may set for itself; everything else must match the study's config.
LOCAL_KEYS = (
    *("models.", "tracking.", "workers", "corpus.source", "budget."),
    *("loop.sample_workers", "loop.infra_retries", "loop.backoff", "optimizer.num_threads"),
)


def create(cfg: RunConfig, out: Path) -> dict[str, Any]:
    """Create the study `cfg.search` names, with `cfg.search.n_trials` queued; on an existing study, only
    queue up to the new budget. Its MLflow parent run stays RUNNING: the worker that sees the study
    done ends it."""
    name, storage, n_trials = cfg.search.study_name or "", cfg.search.storage or "", cfg.search.n_trials
    splits, _ = load_splits(cfg.corpus)
    study = create_shared_study(cfg, out, n_trials)
    attrs = dict(study.user_attrs)  # a top-up keeps the study's config, splits and MLflow run
    if "config" not in attrs:
        tags = {"autodata.command": "study", "autodata.preset": cfg.preset}
        with Tracker(cfg.tracking, f"study-{name}", tags, end_on_exit=False) as tracker:
            tracker.log_params(tracker.parent_id, cfg.flat())
        attrs = {
            "config": cfg.public_dict(),
            "splits": {split: [d.id for d in docs] for split, docs in splits.items()},
            "mlflow_parent_run_id": tracker.parent_id,
            "mlflow_tracking_uri": tracker.uri,
        }
    attrs["n_trials"] = max(n_trials, attrs.get("n_trials", 0))
    for key, value in attrs.items():
        study.set_user_attr(key, value)
    info = {"study": name, "storage": redact(storage), "trials": len(study.trials), **attrs}
    atomic_write_json(out / "study.json", info)
    return info


def worker_config(stored: dict[str, Any], changes: dict[str, Any], overrides: list[str]) -> RunConfig:
    """The study's config with this worker's per-machine changes (a --config file's, then --set) over it."""
    keys = [o.split("=", 1)[0].strip() for o in overrides] + dotted_keys(changes)
    bad = [k for k in keys if not k.startswith(LOCAL_KEYS)]
    if bad:
        raise ConfigError(f"{bad[0]}: a worker runs the study's config; it may change only {', '.join(LOCAL_KEYS)}")
    return build_config(merge(stored, changes), overrides)


def work(
    cfg: RunConfig,
    study: optuna.Study,
    out: Path,
    *,
    budget: int,
    max_trials: int | None = None,
    **options: Unpack[RunOptions],
) -> dict[str, Any]:
    """Claim and run the study's queued trials (numbered below `budget`) as one worker, in its own
    folder under `out`; returns the worker's summary (also written to worker.json)."""
    attrs, wid = study.user_attrs, worker_id()
    splits, _ = load_splits(cfg.corpus)
    if {k: [d.id for d in v] for k, v in splits.items()} != attrs["splits"]:
        raise ConfigError(f"corpus {cfg.corpus.source}: its splits differ from the study's; use the same documents")
    # Everything this process writes lives in its own folder: its rounds, and its trials' optimizer logs and
    # candidate harnesses (trial folders are keyed by parameters, which two workers may both sample).
    folder = out.resolve() / f"worker-{wid}"
    session = Session(
        cfg,
        folder,
        "worker",
        run_name=f"worker-{wid}",
        tags={"autodata.worker": wid},
        attach_to=attrs.get("mlflow_parent_run_id"),  # every worker's trials nest under the study's run
        **options,
    )
    with session as s:
        runner = TrialRunner(s, splits)

        def objective(trial: optuna.Trial) -> float:
            trial.set_user_attr("worker", wid)
            return runner(trial)

        with s.running():
            run_queued(study, objective, budget, max_trials)
        done, best = finished_count(study), best_trial(study)
        if done >= budget and s.tracker.parent_id:
            s.tracker.log_metrics(s.tracker.parent_id, {"best_val_pass_rate": (best.value or 0.0) if best else 0.0})
            s.tracker.end(s.tracker.parent_id)
    summary = {
        "worker": wid,
        "trials": sorted(t.number for t in study.trials if t.user_attrs.get("worker") == wid),
        "study_finished": done,
        "budget": budget,
        "best_trial": best.number if best else None,
        "stopped_by": s.stopped_by,
    }
    atomic_write_json(folder / "worker.json", summary)
    return summary


def status(name: str, storage: str) -> dict[str, Any]:
    """Trials by state and the best trial so far, with its harness folder (for `generate --harness`)."""
    study = join_study(name, shared_storage(storage), seed=0)
    states: dict[str, int] = {}
    for trial in study.trials:
        states[trial.state.name] = states.get(trial.state.name, 0) + 1
    best = best_trial(study)
    found = None
    if best is not None:
        found = {"trial": best.number, "value": best.value, "params": best.params}
        found["harness_dir"] = best.user_attrs.get("harness_dir")
    return {"study": name, "states": states, "budget": study.user_attrs.get("n_trials"), "best": found}


def _main(args: argparse.Namespace, options: RunOptions) -> int:
    p = parser()
    if args.status:
        flags = ("--set", "--config", "--preset", "--out", "--n-trials", "--max-trials", "--dry-run")
        reject_unused(args, p, flags, "--status only reads the study")
        print(json.dumps(status(args.study, args.storage), indent=2))
        return 0
    if args.out is None:
        raise ConfigError("--out is required: the shared run directory of the study")
    if args.create:
        reject_unused(args, p, ("--max-trials",), "it is a worker's option; --create only queues the trials")
        cfg = load_config(args)
        n_trials = args.n_trials or cfg.search.n_trials
        search = cfg.search.model_copy(update={"storage": args.storage, "study_name": args.study, "n_trials": n_trials})
        cfg = cfg.model_copy(update={"search": search})
        if args.dry_run:
            print(render(trials_plan(cfg, load_splits(cfg.corpus)[0], n_trials)))
            return 0
        info = create(cfg, args.out)
        print(
            f"study {info['study']}: {info['trials']} trials queued in {info['storage']}; start workers "
            f"with: python -m experiments.worker --study {info['study']} --storage URL --out {args.out}"
        )
        return 0
    reject_unused(args, p, ("--preset",), "a worker runs the study's config (change per-machine keys with --set)")
    study = join_study(args.study, shared_storage(args.storage, args.heartbeat, args.grace), seed=os.getpid())
    if "config" not in study.user_attrs:
        raise ConfigError(f"study {args.study!r} was not created with `python -m experiments.worker --create`")
    changes = config_file(args.config) if args.config else {}
    cfg = worker_config(study.user_attrs["config"], changes, args.overrides)
    budget = args.n_trials or study.user_attrs["n_trials"]
    if args.dry_run:
        left = sum(t.state == optuna.trial.TrialState.WAITING and t.number < budget for t in study.trials)
        print(render(trials_plan(cfg, load_splits(cfg.corpus)[0], min(left, args.max_trials or left))))
        return 0
    s = work(
        cfg,
        study,
        args.out,
        budget=budget,
        max_trials=args.max_trials,
        **options,
    )
    print(
        f"worker {s['worker']}: ran trials {s['trials']}; the study holds {s['study_finished']}/{s['budget']} "
        f"finished trials; best so far: {s['best_trial']}"
        + (f"; STOPPED: {s['stopped_by']}" if s["stopped_by"] else "")
    )
    return 0


def parser() -> argparse.ArgumentParser:
    p = command_parser("worker", __doc__ or "")
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


main = command_main(_main, parser)


if __name__ == "__main__":
    sys.exit(main())
