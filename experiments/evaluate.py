"""`python -m experiments.evaluate`: the paper's comparison on one split, with intervals.

Methods (--methods, comma-separated): cot, grounded, self_instruct (one-shot baselines), agentic (the
loop with the configured harness) and compiled (the loop with a compiled harness from --harness: a
compile run directory or an exported harness). All methods run on the same documents (--split of the
configured corpus), with the same role models, loop settings (samples, rounds, sanity checks) and
acceptance criterion; a compiled harness brings only its instructions, demos and rubric structure.

Writes to --out: rounds.jsonl (phase = method), table.md, table.csv, evaluation.json, plots/*.png and,
with --judge-repeats or --second-judge, judge reliability. MLflow: one parent run, a nested run per
method. --from-rounds PATH rebuilds table and plots from a recorded rounds.jsonl without any LM call
(unless --judge-repeats or --second-judge ask to re-judge its recorded answers). A budget stops the
methods (or the re-judging) cleanly; the table is written from what ran.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Unpack

from experiments.config import ConfigError, RunConfig
from experiments.corpus import load_splits
from experiments.lms.factory import build_second_judge
from experiments.records.files import read_jsonl
from experiments.report import method_table as mt
from experiments.report.evaluation import NOTE, table_metrics, write_report
from experiments.report.reliability import judge_reliability
from experiments.run.cli import add_common, command_main, command_parser, default_out, load_config, reject_unused
from experiments.run.dryrun import methods_plans, regrade_plans, render
from experiments.run.methods import build_method, parse_methods
from experiments.run.session import RunOptions, Session
from metrics.methods import METHODS, method_stats
from programs.loop import LOOP_ROLES

log = logging.getLogger("autodata.evaluate")


@dataclass
class Options:
    """What to evaluate beyond the run config: split, compiled harness, bootstrap, judge reliability."""

    split: str = "test"
    harness: Path | None = None
    n_boot: int = 2000
    judge_repeats: int = 0
    judge_items: int = 8
    judge_temperature: float = 1.0
    second_judge: str | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Options:
        names = ("split", "harness", "judge_repeats", "judge_items", "judge_temperature", "second_judge")
        return cls(n_boot=args.bootstrap, **{name: getattr(args, name) for name in names})


def _used_to_compile(harness: Path | None) -> tuple[set[str], list[dict[str, Any]] | None]:
    """The train/val document ids and the trials of the compile a harness directory came from."""
    file = harness / "summary.json" if harness and harness.is_dir() else None
    summary = json.loads(file.read_text(encoding="utf-8")) if file and file.exists() else {}
    splits = (summary.get("corpus") or {}).get("splits", {})
    return set(splits.get("train", [])) | set(splits.get("val", [])), summary.get("trials")


def _reliability(s: Session, rows: list[dict[str, Any]], opts: Options) -> dict[str, Any] | None:
    """Judge reliability on these rows with the session's judge (and a second judge, when there is one)."""
    second = s.lms.get("second_judge") or (
        build_second_judge(s.cfg.models, opts.second_judge) if opts.second_judge else None
    )
    if not (opts.judge_repeats or second):
        return None
    s.note(f"== judge reliability: {opts.judge_items} answers x {opts.judge_repeats} regrades")
    lm, n = s.lms["judge"], opts.judge_items
    return judge_reliability(
        rows,
        lm,
        repeats=opts.judge_repeats,
        n_items=n,
        temperature=opts.judge_temperature,
        second_lm=second,
        settings=s.cfg.judge,
    )


def evaluate_run(
    cfg: RunConfig,
    methods: list[str],
    out: Path,
    opts: Options,
    **options: Unpack[RunOptions],
) -> dict[str, Any]:
    """Run every method on the split's documents into `out`; returns the evaluation record."""
    started = time.monotonic()
    programs = {m: build_method(m, cfg, opts.harness) for m in methods}  # config errors before any loading
    splits, corpus = load_splits(cfg.corpus)
    docs, doc_ids = splits[opts.split], [d.id for d in splits[opts.split]]
    seen, trials = _used_to_compile(opts.harness)
    if seen & set(doc_ids):
        log.warning("%d evaluation document(s) were used to compile the harness", len(seen & set(doc_ids)))
    params = {"evaluate.methods": ",".join(methods), "split": opts.split}
    session = Session(cfg, out, "evaluate", roles=LOOP_ROLES, params=params, **options)
    rows: list[dict[str, Any]] = []
    ran: list[str] = []  # the methods that started (all of them, unless a budget stopped the run)
    with session as s:
        s.note_corpus(corpus, f"; evaluating on {opts.split}: {len(docs)} document(s)")
        reliability = None
        with s.running():
            for m, program in programs.items():
                ran.append(m)
                structure = s.bind(program).policy.structure
                run_id = s.tracker.child(m, params={"method": m, "structure": structure.model_dump_json()})
                ctx = s.phase(m, structure, dict.fromkeys(doc_ids, opts.split), run_id=run_id)
                try:
                    s.run_phase(program, docs, ctx)
                finally:
                    rows += ctx.rows
                    s.tracker.log_metrics(run_id, table_metrics(method_stats(ctx.rows, doc_ids, m, n_boot=opts.n_boot)))
                    s.tracker.end(run_id)
            reliability = _reliability(s, rows, opts)
        extra = {
            "split": opts.split,
            "harness": str(opts.harness) if opts.harness else None,
            "preset": cfg.preset,
            "acceptance": {"preset": cfg.acceptance.preset, "thresholds": s.thresholds.to_dict()},
            "corpus": corpus.summary(),
            "wall_seconds": round(time.monotonic() - started, 1),
            "mlflow": {"tracking_uri": s.tracker.uri, "parent_run_id": s.tracker.parent_id},
            "crashed_documents": s.sink.crashed,  # document runs that raised outside any LM call
            "stopped_by": s.stopped_by,
        }
        record = write_report(
            rows, doc_ids, ran, out, n_boot=opts.n_boot, reliability=reliability, trials=trials, extra=extra
        )
        for name in ("table.md", "table.csv", "evaluation.json", "rounds.jsonl", "config.json"):
            s.tracker.log_artifact(s.tracker.parent_id, out / name, "evaluation")
        s.tracker.log_artifacts(s.tracker.parent_id, out / "plots", "plots")
    return record


def from_rounds(
    cfg: RunConfig,
    rows: list[dict[str, Any]],
    methods: list[str],
    out: Path,
    opts: Options,
    **options: Unpack[RunOptions],
) -> dict[str, Any]:
    """The table and plots of recorded rows; with regrades asked for (`opts`), judge reliability too,
    in a session of the judge alone."""
    doc_ids = sorted({r["doc_id"] for r in rows if r["phase"] in methods})
    reliability, stopped = None, None
    if opts.judge_repeats or opts.second_judge:
        # The judge alone: no round sink, and the recorded run's config.json stays as it is.
        judge_only: dict[str, Any] = {"roles": ("judge",), "sink": False, "write_config": False}
        with Session(cfg, out, "evaluate", run_name=f"rejudge-{out.name}", **judge_only, **options) as s:
            with s.running():
                reliability = _reliability(s, [r for r in rows if r["phase"] in methods], opts)
            stopped = s.stopped_by
    return write_report(
        rows, doc_ids, methods, out, n_boot=opts.n_boot, reliability=reliability, extra={"stopped_by": stopped}
    )


def _main(args: argparse.Namespace, options: RunOptions) -> int:
    cfg, opts, p = load_config(args), Options.from_args(args), parser()
    if args.from_rounds:
        reject_unused(args, p, ("--harness", "--split"), "--from-rounds reads the methods and documents it recorded")
        rows = read_jsonl(args.from_rounds)
        if not rows:
            raise ConfigError(f"--from-rounds {args.from_rounds}: no rows")
        present = [m for m in METHODS if any(r["phase"] == m for r in rows)]
        methods = [m for m in parse_methods(args.methods) if m in present] if args.methods else present
        if args.dry_run:
            picked = [r for r in rows if r["phase"] in methods]
            plans = regrade_plans(cfg, picked, opts.judge_items, opts.judge_repeats, bool(opts.second_judge))
            print("\n\n".join(map(render, plans)) or "Dry run: rebuilding the table makes no LM call.")
            return 0
        out = args.out or args.from_rounds.parent
        record = from_rounds(cfg, rows, methods, out, opts, **options)
    else:
        methods = parse_methods(
            args.methods or "cot,grounded,self_instruct,agentic" + (",compiled" * bool(args.harness))
        )
        if args.dry_run:
            print("\n\n".join(map(render, methods_plans(cfg, methods, load_splits(cfg.corpus)[0][args.split]))))
            return 0
        out = default_out(args.out, "evaluate")
        record = evaluate_run(cfg, methods, out, opts, **options)
    print("\n" + mt.markdown_table(record["stats"]) + "\n\n" + mt.markdown_pairs(record["paired"]))
    print(f"\n{NOTE}\nplots: {', '.join(record['plots']) or 'none'}")
    crashed = record.get("crashed_documents") or []
    if crashed:
        print(f"CRASHED: {len(crashed)} document run(s); see crashed_documents in evaluation.json")
    if record.get("stopped_by"):
        print(f"STOPPED EARLY: {record['stopped_by']}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = command_parser("evaluate", __doc__ or "")
    p.add_argument("--methods", help=f"comma-separated, from {','.join(METHODS)} (default: all that apply)")
    p.add_argument("--harness", type=Path, help="compiled harness for method 'compiled' (a compile run directory)")
    p.add_argument("--split", default="test", choices=("train", "val", "test"), help="documents (default: test)")
    p.add_argument(
        "--from-rounds", type=Path, help="rebuild table and plots from this rounds.jsonl (LM calls only to re-judge)"
    )
    p.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples (seed 0; default: %(default)s)")
    p.add_argument("--judge-repeats", type=int, default=0, help="regrade sampled answers this many times")
    p.add_argument("--judge-items", type=int, default=8, help="answers sampled for judge reliability")
    p.add_argument("--judge-temperature", type=float, default=1.0, help="temperature of the regrades")
    p.add_argument("--second-judge", metavar="MODEL", help="a second judge model for cross-judge agreement")
    add_common(p)
    return p


main = command_main(_main, parser)


if __name__ == "__main__":
    sys.exit(main())
