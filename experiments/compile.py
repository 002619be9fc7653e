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

from experiments.build import bind_lms, build_program, configure_dspy, thresholds
from experiments.cli import add_common, load_config, run_cli
from experiments.config import RunConfig
from experiments.harness import export_harness, load_harness, log_model
from experiments.outputs import atomic_write_json
from experiments.progress import Progress
from experiments.report import comparison_table, summarize
from experiments.runner import PhaseContext, RoundSink, fingerprint, run_phase
from experiments.study import best_trial, open_study, run_study
from experiments.tracking import Tracker
from experiments.trials import TrialRunner


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
    splits_of = {d.id: name for name, docs in splits.items() for d in docs}
    t = thresholds(cfg)
    with Tracker(
        cfg.tracking,
        run_name=f"compile-{out.name}",
        tags={"autodata.command": "compile", "autodata.preset": cfg.preset},
    ) as tracker:
        tracker.log_params(tracker.parent_id, cfg.flat())
        sink = RoundSink(out, tracker, progress)

        # 1. baseline on val and test
        baseline = bind_lms(build_program(cfg), lms)
        run_id = tracker.child("baseline", tags={"autodata.phase": "baseline"})
        ctx = PhaseContext("baseline", run_id, splits_of, cfg.acceptance.preset, t, cfg.rubric)
        run_phase(baseline, splits["val"] + splits["test"], sink, ctx, workers=cfg.workers)
        base_stats = {s: summarize(ctx.rows, [d.id for d in splits[s]]) for s in ("val", "test")}
        tracker.log_metrics(run_id, {f"{s}_pass_rate": base_stats[s]["pass_rate"] or 0.0 for s in base_stats})
        tracker.end(run_id)

        # 2. the study over rubric structure, each trial with its DSPy optimizer
        study = open_study(cfg, out)
        runner = TrialRunner(cfg, lms, splits, sink, tracker, out, workers=cfg.workers)
        run_study(study, runner, cfg.search.n_trials)
        best = best_trial(study)

        # 3. the best harness on the held-out test documents
        if best is None:
            progress.note("no trial finished; the baseline harness is exported as the compiled one")
            compiled, best_info = baseline, {"trial": None, "reason": "all trials failed"}
        else:
            compiled, _, _ = load_harness(Path(best.user_attrs["harness_dir"]), cfg)
            bind_lms(compiled, lms)
            best_info = {
                "trial": best.number,
                "params": best.params,
                "val_pass_rate": best.value,
                "mean_gap": best.user_attrs.get("mean_gap"),
            }
        run_id = tracker.child("final", tags={"autodata.phase": "final"})
        ctx = PhaseContext(
            "final", run_id, splits_of, cfg.acceptance.preset, t, compiled.policy.structure, trial=best_info["trial"]
        )
        run_phase(compiled, splits["test"], sink, ctx, workers=cfg.workers)
        final_stats = summarize(ctx.rows, [d.id for d in splits["test"]])
        tracker.log_metrics(run_id, {"test_pass_rate": final_stats["pass_rate"] or 0.0})
        tracker.end(run_id)

        export_harness(compiled, cfg, out, {"command": "compile", "candidate": fingerprint(compiled), **best_info})
        log_model(tracker, compiled)
        summary = {
            "preset": cfg.preset,
            "out": str(out),
            "corpus": {
                "summary": corpus.summary(),
                "licences": corpus.licences(),
                "splits": {k: [d.id for d in v] for k, v in splits.items()},
            },
            "acceptance": {"preset": cfg.acceptance.preset, "thresholds": t.to_dict()},
            "baseline": base_stats,
            "compiled": {"test": final_stats, **best_info},
            "trials": [_trial_row(tr) for tr in study.trials],
            "study": {"name": study.study_name, "storage": _storage_of(cfg, out)},
            "mlflow": {"tracking_uri": tracker.uri, "parent_run_id": tracker.parent_id, "failures": tracker.failures},
            "wall_seconds": round(time.monotonic() - started, 1),
        }
        atomic_write_json(out / "summary.json", summary)
        for name in ("config.json", "summary.json", "rounds.jsonl", "accepted.jsonl", "program.json", "harness.json"):
            tracker.log_artifact(tracker.parent_id, out / name, "run")
        tracker.log_metrics(
            tracker.parent_id,
            {
                "baseline_test_pass_rate": base_stats["test"]["pass_rate"] or 0.0,
                "compiled_test_pass_rate": final_stats["pass_rate"] or 0.0,
            },
        )
    return summary


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


def print_summary(summary: dict[str, Any], stream=sys.stdout) -> None:
    columns = {"baseline (test)": summary["baseline"]["test"], "compiled (test)": summary["compiled"]["test"]}
    print("\n" + comparison_table(columns), file=stream)
    trials = ", ".join(
        f"#{t['number']} {t['state'].lower()} {t['value'] if t['value'] is not None else '-'}"
        for t in summary["trials"]
    )
    print(f"\ntrials (val pass rate): {trials}", file=stream)
    print(f"best trial: {summary['compiled'].get('trial')}  params: {summary['compiled'].get('params')}", file=stream)
    print(f"outputs: {summary['out']}  (program.json, harness.json, rounds.jsonl, summary.json)", file=stream)
    print(f"MLflow: {summary['mlflow']['tracking_uri']}  run {summary['mlflow']['parent_run_id']}", file=stream)
    print(
        "Note: small local models with a lenient judge; these numbers exercise the system, they do not "
        "measure data quality."
        if summary["preset"] in ("quick", "default")
        else "",
        file=stream,
    )


def _main(args: argparse.Namespace) -> int:
    cfg = load_config(args)
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
