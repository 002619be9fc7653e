"""`python -m experiments.compile`: compile an optimized Agentic Self-Instruct harness.

Phases, each recorded round by round in `rounds.jsonl` and in MLflow (one parent run, nested runs):
1. baseline: the configured harness (by default the paper's baseline rubric rules, with penalties) on
   the validation and test documents;
2. study: an Optuna study over rubric structure; each trial runs a DSPy optimizer on the training
   documents ("optimize") and is scored by its pass rate on the validation documents ("select");
3. final: the best trial's harness on the held-out test documents, which neither step saw.
It exports the best harness (`program.json`, `harness.json`) and writes `summary.json`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import dspy

from experiments.build import bind_lms, build_program, configure_dspy, role_limits, thresholds
from experiments.cli import add_common, load_config, run_cli
from experiments.config import RunConfig
from experiments.harness import export_harness, load_harness, log_model
from experiments.budget import BudgetGuard
from experiments.costs import cost, prices
from experiments.outputs import atomic_write_json, read_jsonl
from experiments.progress import Progress
from experiments.report import comparison_table, summarize
from experiments.runner import PhaseContext, RoundSink, fingerprint, run_phase
from experiments.study import best_trial, join_study, open_study, run_study, shared_storage, wait_for_trials
from experiments.tracking import Tracker
from experiments.trials import TrialRunner
from programs.budget import BUDGET_KEY, BudgetExceeded
from programs.limits import LIMITS_KEY


def compile_run(
    cfg: RunConfig,
    out: Path,
    *,
    lms: dict[str, dspy.LM] | None = None,
    use_cache: bool = True,
    quiet: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    from experiments.corpus import load_splits

    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    progress = progress or Progress(quiet=quiet)
    atomic_write_json(out / "config.json", cfg.public_dict())
    splits, corpus = load_splits(cfg.corpus)
    progress.note(f"corpus: {corpus.summary()}")
    for source, reason in corpus.skipped:
        progress.note(f"skipped {source}: {reason}")
    if lms is None:
        from experiments.lms.factory import build_lms

        lms = build_lms(cfg.models)
    configure_dspy(cfg, use_cache=use_cache)
    table = prices(cfg)
    guard = BudgetGuard(cfg.budget, table)
    state: dict[str, Any] = {"splits": splits, "baseline": None, "compiled": None, "study": None}
    tags = {"autodata.command": "compile", "autodata.preset": cfg.preset}
    with Tracker(cfg.tracking, run_name=f"compile-{out.name}", tags=tags) as tracker:
        tracker.log_params(tracker.parent_id, cfg.flat())
        sink = RoundSink(out, tracker, progress)
        try:
            with dspy.context(**{BUDGET_KEY: guard, LIMITS_KEY: role_limits(cfg)}):
                _phases(cfg, out, lms, sink, tracker, progress, state)
        except BudgetExceeded as stop:
            state["stopped_by"] = str(stop)
            progress.note(f"stopped: {stop}; every output so far is written")
        if state.get("program") is not None:
            # Outside the budget/limits context: MLflow pickles DSPy's settings with the model.
            log_model(tracker, state["program"])
        summary = _summary(cfg, out, corpus, state, tracker, table, time.monotonic() - started)
        atomic_write_json(out / "summary.json", summary)
        for name in ("config.json", "summary.json", "rounds.jsonl", "accepted.jsonl", "program.json", "harness.json"):
            tracker.log_artifact(tracker.parent_id, out / name, "run")
        tracker.log_metrics(tracker.parent_id, _headline(summary))
    return summary


def _phases(cfg, out, lms, sink, tracker, progress, state) -> None:
    splits = state["splits"]
    splits_of = {d.id: name for name, docs in splits.items() for d in docs}
    t = thresholds(cfg)

    # 1. baseline on val and test
    baseline = bind_lms(build_program(cfg), lms)
    run_id = tracker.child("baseline", tags={"autodata.phase": "baseline"})
    ctx = PhaseContext("baseline", run_id, splits_of, cfg.acceptance.preset, t, cfg.rubric)
    try:
        run_phase(baseline, splits["val"] + splits["test"], sink, ctx, workers=cfg.workers)
    finally:
        state["baseline"] = {s: summarize(ctx.rows, [d.id for d in splits[s]]) for s in ("val", "test")}
        tracker.log_metrics(
            run_id, {f"{s}_pass_rate": state["baseline"][s]["pass_rate"] or 0.0 for s in ("val", "test")}
        )
        tracker.end(run_id)

    # 2. the study over rubric structure, each trial with its DSPy optimizer
    if cfg.search.external:
        study = state["study"] = join_study(cfg.search.study_name, shared_storage(cfg.search.storage), cfg.search.seed)
        progress.note(f"waiting for the workers of study {study.study_name} ({cfg.search.n_trials} trials)")
        wait_for_trials(study, cfg.search.n_trials, timeout=cfg.search.wait_minutes * 60)
    else:
        study = state["study"] = open_study(cfg, out)
        run_study(study, TrialRunner(cfg, lms, splits, sink, tracker, out, workers=cfg.workers), cfg.search.n_trials)
    best = best_trial(study)

    # 3. the best harness on the held-out test documents
    if best is None:
        progress.note("no trial finished; the baseline harness is exported as the compiled one")
        compiled, info = baseline, {"trial": None, "reason": "all trials failed"}
    else:
        compiled, _, _ = load_harness(Path(best.user_attrs["harness_dir"]), cfg)
        bind_lms(compiled, lms)
        info = {
            "trial": best.number,
            "params": best.params,
            "val_pass_rate": best.value,
            "mean_gap": best.user_attrs.get("mean_gap"),
        }
    run_id = tracker.child("final", tags={"autodata.phase": "final"})
    ctx = PhaseContext(
        "final", run_id, splits_of, cfg.acceptance.preset, t, compiled.policy.structure, trial=info["trial"]
    )
    try:
        run_phase(compiled, splits["test"], sink, ctx, workers=cfg.workers)
    finally:
        state["compiled"] = {"test": summarize(ctx.rows, [d.id for d in splits["test"]]), **info}
        tracker.log_metrics(run_id, {"test_pass_rate": state["compiled"]["test"]["pass_rate"] or 0.0})
        tracker.end(run_id)
    export_harness(compiled, cfg, out, {"command": "compile", "candidate": fingerprint(compiled), **info})
    state["program"] = compiled


def _summary(cfg, out, corpus, state, tracker, table, seconds) -> dict[str, Any]:
    study = state["study"]
    rows = read_jsonl(out / "rounds.jsonl")
    everything = summarize(rows, sorted({r["doc_id"] for r in rows})) if rows else None
    usage = everything["usage_by_role"] if everything else {}
    return {
        "preset": cfg.preset,
        "out": str(out),
        "stopped_by": state.get("stopped_by"),
        "corpus": {
            "summary": corpus.summary(),
            "licences": corpus.licences(),
            "splits": {k: [d.id for d in v] for k, v in state["splits"].items()},
        },
        "acceptance": {"preset": cfg.acceptance.preset, "thresholds": thresholds(cfg).to_dict()},
        "baseline": state["baseline"],
        "compiled": state["compiled"],
        "trials": [_trial_row(tr) for tr in study.trials] if study else [],
        "study": {"name": study.study_name, "storage": _storage_of(cfg, out)} if study else None,
        "usage_by_role": usage,
        # Totals over every recorded round of every phase (trials' optimize/select rounds included).
        "all_rounds": {k: everything[k] for k in ("rounds", "failure_mix", "lm_errors", "calls_by_role")}
        if everything
        else None,
        "cost": cost(usage, table),
        "mlflow": {"tracking_uri": tracker.uri, "parent_run_id": tracker.parent_id, "failures": tracker.failures},
        "wall_seconds": round(seconds, 1),
    }


def _headline(summary: dict[str, Any]) -> dict[str, float]:
    metrics = {
        "tokens_total": float(
            sum(u.get("prompt_tokens", 0) + u.get("completion_tokens", 0) for u in summary["usage_by_role"].values())
        )
    }
    if summary["cost"]["usd"] is not None:
        metrics["usd_total"] = summary["cost"]["usd"]
    if summary["baseline"]:
        metrics["baseline_test_pass_rate"] = summary["baseline"]["test"]["pass_rate"] or 0.0
    if summary["compiled"]:
        metrics["compiled_test_pass_rate"] = summary["compiled"]["test"]["pass_rate"] or 0.0
    return metrics


def _trial_row(trial) -> dict[str, Any]:
    return {
        "number": trial.number,
        "state": trial.state.name,
        "value": trial.value,
        "params": trial.params,
        "mean_gap": trial.user_attrs.get("mean_gap"),
        "candidate": trial.user_attrs.get("candidate"),
    }


def _storage_of(cfg: RunConfig, out: Path) -> str:
    from experiments.study import storage_url

    return storage_url(cfg, out)


def print_summary(summary: dict[str, Any], stream=None) -> None:
    stream = stream or sys.stdout
    columns = {}
    if summary["baseline"]:
        columns["baseline (test)"] = summary["baseline"]["test"]
    if summary["compiled"]:
        columns["compiled (test)"] = summary["compiled"]["test"]
    if columns:
        print("\n" + comparison_table(columns), file=stream)
    trials = ", ".join(
        f"#{t['number']} {t['state'].lower()} {t['value'] if t['value'] is not None else '-'}"
        for t in summary["trials"]
    )
    print(f"\ntrials (val pass rate): {trials or '-'}", file=stream)
    if summary["compiled"]:
        print(
            f"best trial: {summary['compiled'].get('trial')}  params: {summary['compiled'].get('params')}", file=stream
        )
    c = summary["cost"]
    usd = f"${c['usd']:.4f}" if c["usd"] is not None else f"unknown (no price for: {', '.join(c['unknown'])})"
    tokens = sum(u.get("prompt_tokens", 0) + u.get("completion_tokens", 0) for u in summary["usage_by_role"].values())
    print(f"tokens: {tokens:,}  cost: {usd}  wall time: {summary['wall_seconds']:.0f}s", file=stream)
    if summary.get("stopped_by"):
        print(f"STOPPED EARLY: {summary['stopped_by']}", file=stream)
    print(f"outputs: {summary['out']}  (program.json, harness.json, rounds.jsonl, summary.json)", file=stream)
    print(f"MLflow: {summary['mlflow']['tracking_uri']}  run {summary['mlflow']['parent_run_id']}", file=stream)
    if summary["preset"] in ("quick", "default"):
        print(
            "Note: small local models with a lenient judge; these numbers exercise the system, they do not "
            "measure data quality.",
            file=stream,
        )


def _main(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    if args.dry_run:
        from experiments.corpus import load_splits
        from experiments.dryrun import compile_plan, render

        print(render(compile_plan(cfg, load_splits(cfg.corpus)[0])))
        return 0
    out = args.out or Path("runs") / f"{time.strftime('%Y%m%d-%H%M%S')}-{cfg.preset}"
    summary = compile_run(cfg, out, use_cache=not args.no_cache, quiet=args.quiet)
    print_summary(summary)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m experiments.compile",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    add_common(p)
    return p


def main(argv: list[str] | None = None) -> int:
    return run_cli(_main, parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
