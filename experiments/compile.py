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

from experiments.config import RunConfig
from experiments.records.files import atomic_write_json, atomic_write_text
from experiments.records.progress import Progress
from experiments.records.rows import fingerprint
from experiments.records.sink import PhaseContext, RoundSink
from experiments.report import comparison_md
from experiments.report.compile_print import print_summary
from experiments.report.compile_summary import build_summary, headline
from experiments.report.costs import prices
from experiments.report.instructions import instructions_of
from experiments.report.summary import summarize
from experiments.run.budget import BudgetGuard
from experiments.run.build import bind_lms, build_program, configure_dspy, metric_record, role_limits, thresholds
from experiments.run.cli import add_common, load_config, run_cli
from experiments.run.harness import export_harness, load_harness, log_model
from experiments.run.phase import run_phase
from experiments.study.local import best_trial, open_study, run_study
from experiments.study.shared import join_study, wait_for_trials
from experiments.study.storage import shared_storage
from experiments.study.trial import TrialRunner
from experiments.tracking import Tracker
from programs import hooks
from programs.budget import BudgetExceeded


def compile_run(
    cfg: RunConfig,
    out: Path,
    *,
    lms: dict[str, dspy.LM] | None = None,
    use_cache: bool = True,
    quiet: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    progress = progress or Progress(quiet=quiet)
    with progress.display():
        return _run(cfg, out, lms, use_cache, progress, started)


def _run(cfg: RunConfig, out: Path, lms, use_cache: bool, progress: Progress, started: float) -> dict[str, Any]:
    from experiments.corpus import load_splits

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
        state["crashed"] = sink.crashed
        try:
            with hooks.installed(budget=guard, limits=role_limits(cfg)):
                _phases(cfg, out, lms, sink, tracker, progress, state)
        except BudgetExceeded as stop:
            state["stopped_by"] = str(stop)
            progress.note(f"stopped: {stop}; every output so far is written")
        if cfg.tracking.log_pickled_model and state.get("program") is not None:
            # Only when asked for: this MLflow flavour pickles the program and DSPy's settings. Outside the
            # budget/limits context, which the settings pickle would otherwise carry.
            log_model(tracker, state["program"])
        summary = build_summary(cfg, out, corpus, state, tracker, table, time.monotonic() - started)
        atomic_write_json(out / "summary.json", summary)
        if summary["comparison"] is not None:
            atomic_write_text(out / "comparison.md", comparison_md.render(summary))
        for name in (
            "config.json",
            "summary.json",
            "comparison.md",
            "rounds.jsonl",
            "accepted.jsonl",
            "program.json",
            "harness.json",
        ):
            tracker.log_artifact(tracker.parent_id, out / name, "run")
        tracker.log_metrics(tracker.parent_id, headline(summary))
    return summary


def _phases(cfg, out, lms, sink, tracker, progress, state) -> None:
    splits = state["splits"]
    splits_of = {d.id: name for name, docs in splits.items() for d in docs}
    t = thresholds(cfg)

    # 1. baseline on val and test
    baseline = bind_lms(build_program(cfg), lms)
    state["instructions"] = {"baseline": instructions_of(baseline), "compiled": None}
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
    state["instructions"]["compiled"] = instructions_of(compiled)
    source = {"command": "compile", "candidate": fingerprint(compiled), "optimizer": metric_record(cfg), **info}
    export_harness(compiled, cfg, out, source)
    state["program"] = compiled


def _main(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    if args.dry_run:
        from experiments.corpus import load_splits
        from experiments.run.dryrun import compile_plan, render

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
