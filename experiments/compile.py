"""`python -m experiments.compile`: compile an optimized Agentic Self-Instruct harness.

Phases, each recorded round by round in `rounds.jsonl` and in MLflow (one parent run, nested runs):
1. baseline: the configured harness (by default the paper's baseline rubric rules, with penalties) on
   the validation and test documents;
2. study: an Optuna study over rubric structure; each trial runs a DSPy optimizer on the training
   documents ("optimize") and is scored by its pass rate on the validation documents ("select");
3. final: the best trial's harness on the held-out test documents, which neither step saw.
It exports the best harness (`program.json`, `harness.json`) and writes `summary.json` and, when the
baseline ran, `comparison.md` (baseline vs compiled on the test documents).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Unpack

import optuna

from experiments.config import RunConfig
from experiments.corpus import Document, load_splits
from experiments.records.files import atomic_write_json, atomic_write_text
from experiments.records.rows import fingerprint
from experiments.report import comparison_md
from experiments.report.compile_print import print_summary
from experiments.report.compile_summary import CompileOutcome, build_summary, headline
from experiments.report.instructions import instructions_of
from experiments.report.summary import summarize
from experiments.run.build import build_program, metric_record
from experiments.run.cli import add_common, command_main, command_parser, default_out, load_config
from experiments.run.dryrun import compile_plan, render
from experiments.run.harness import export_harness, load_harness, log_model
from experiments.run.session import RunOptions, Session
from experiments.study.local import best_trial, open_study, run_study
from experiments.study.shared import join_study, wait_for_trials
from experiments.study.storage import shared_storage, storage_url
from experiments.study.trial import TrialRunner
from programs.loop import AgenticSelfInstruct

OUTPUTS = (
    "config.json",
    "summary.json",
    "comparison.md",
    "rounds.jsonl",
    "accepted.jsonl",
    "program.json",
    "harness.json",
)


def compile_run(
    cfg: RunConfig,
    out: Path,
    **options: Unpack[RunOptions],
) -> dict[str, Any]:
    """Compile a harness into `out` and return the summary (also written to `summary.json`)."""
    started = time.monotonic()
    splits, corpus = load_splits(cfg.corpus)
    with Session(cfg, out, "compile", **options) as s:
        s.note_corpus(corpus)
        outcome = Compilation(s, splits).run()
        outcome.seconds = time.monotonic() - started
        if cfg.tracking.log_pickled_model and outcome.program is not None:
            # Only when asked for: this MLflow flavour pickles the program and DSPy's settings, so it is
            # logged outside `s.running()`, whose hooks the settings pickle would otherwise carry.
            log_model(s.tracker, outcome.program)
        summary = build_summary(cfg, out, corpus, outcome, s.tracker)
        atomic_write_json(out / "summary.json", summary)
        if summary["comparison"] is not None:
            atomic_write_text(out / "comparison.md", comparison_md.render(summary))
        for name in OUTPUTS:
            s.tracker.log_artifact(s.tracker.parent_id, out / name, "run")
        s.tracker.log_metrics(s.tracker.parent_id, headline(summary))
    return summary


class Compilation:
    """The three phases of a compile in one session; `run()` returns what they produced, also when a
    budget stopped them part-way."""

    def __init__(self, session: Session, splits: dict[str, list[Document]]):
        self.s, self.splits = session, splits
        self.splits_of = {d.id: name for name, docs in splits.items() for d in docs}
        cfg = session.cfg
        self.outcome = CompileOutcome(
            splits={name: [d.id for d in docs] for name, docs in splits.items()},
            acceptance={"preset": cfg.acceptance.preset, "thresholds": session.thresholds.to_dict()},
            optimizer={**metric_record(cfg), "max_metric_calls": cfg.optimizer.max_metric_calls},
            crashed=session.sink.crashed,
        )

    def run(self) -> CompileOutcome:
        with self.s.running():
            baseline = self.baseline()
            self.final(baseline, best_trial(self.study()))
        self.outcome.stopped_by = self.s.stopped_by
        return self.outcome

    def _ids(self, split: str) -> list[str]:
        return [d.id for d in self.splits[split]]

    def baseline(self) -> AgenticSelfInstruct:
        """The configured harness on the validation and test documents."""
        s = self.s
        program = s.bind(build_program(s.cfg))
        self.outcome.instructions["baseline"] = instructions_of(program)
        run_id = s.tracker.child("baseline", tags={"autodata.phase": "baseline"})
        ctx = s.phase("baseline", s.cfg.rubric, self.splits_of, run_id=run_id)
        try:
            s.run_phase(program, self.splits["val"] + self.splits["test"], ctx)
        finally:
            result = self.outcome.baseline = {split: summarize(ctx.rows, self._ids(split)) for split in ("val", "test")}
            s.tracker.log_metrics(run_id, {f"{split}_pass_rate": result[split]["pass_rate"] or 0.0 for split in result})
            s.tracker.end(run_id)
        return program

    def study(self) -> optuna.Study:
        """The study over rubric structure, each trial with its DSPy optimizer (or the workers' study)."""
        s, search = self.s, self.s.cfg.search
        self.outcome.study_storage = storage_url(s.cfg, s.out)
        if search.external:
            study = self.outcome.study = join_study(
                search.study_name or "", shared_storage(search.storage or ""), search.seed
            )
            s.note(f"waiting for the workers of study {study.study_name} ({search.n_trials} trials)")
            wait_for_trials(study, search.n_trials, timeout=search.wait_minutes * 60)
        else:
            study = self.outcome.study = open_study(s.cfg, s.out)
            run_study(study, TrialRunner(s, self.splits), search.n_trials)
        return study

    def final(self, baseline: AgenticSelfInstruct, best: optuna.trial.FrozenTrial | None) -> None:
        """The best trial's harness (or the baseline, when no trial finished) on the test documents,
        then exported."""
        s = self.s
        info: dict[str, Any] = {"trial": None, "reason": "all trials failed"}
        if best is None:
            s.note("no trial finished; the baseline harness is exported as the compiled one")
            compiled = baseline
        else:
            compiled = s.bind(load_harness(Path(best.user_attrs["harness_dir"]), s.cfg)[0])
            info = {
                "trial": best.number,
                "params": best.params,
                "val_pass_rate": best.value,
                "val_score": best.user_attrs.get("val_score"),
                "mean_gap": best.user_attrs.get("mean_gap"),
            }
        run_id = s.tracker.child("final", tags={"autodata.phase": "final"})
        ctx = s.phase("final", compiled.policy.structure, self.splits_of, run_id=run_id, trial=info["trial"])
        try:
            s.run_phase(compiled, self.splits["test"], ctx)
        finally:
            self.outcome.compiled = {"test": summarize(ctx.rows, self._ids("test")), **info}
            s.tracker.log_metrics(run_id, {"test_pass_rate": self.outcome.compiled["test"]["pass_rate"] or 0.0})
            s.tracker.end(run_id)
        self.outcome.instructions["compiled"] = instructions_of(compiled)
        source = {"command": "compile", "candidate": fingerprint(compiled), "optimizer": metric_record(s.cfg), **info}
        export_harness(compiled, s.cfg, s.out, source)
        self.outcome.program = compiled


def _main(args: argparse.Namespace, options: RunOptions) -> int:
    cfg = load_config(args)
    if args.dry_run:
        print(render(compile_plan(cfg, load_splits(cfg.corpus)[0])))
        return 0
    out = default_out(args.out, cfg.preset)
    print_summary(compile_run(cfg, out, **options))
    return 0


def parser() -> argparse.ArgumentParser:
    p = command_parser("compile", __doc__ or "")
    add_common(p)
    return p


main = command_main(_main, parser)


if __name__ == "__main__":
    sys.exit(main())
