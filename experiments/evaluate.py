"""`python -m experiments.evaluate`: the paper's comparison on one split, with intervals.

Methods (--methods, comma-separated): cot, grounded, self_instruct (one-shot baselines), agentic (the
loop with the configured harness) and compiled (the loop with a compiled harness from --harness: a
compile run directory or an exported harness). All methods run on the same documents (--split of the
configured corpus), with the same role models, loop settings (samples, rounds, sanity checks) and
acceptance criterion; a compiled harness brings only its instructions, demos and rubric structure.

Writes to --out: rounds.jsonl (phase = method), table.md, table.csv, evaluation.json, plots/*.png and,
with --judge-repeats or --second-judge, judge reliability. MLflow: one parent run, a nested run per
method. --from-rounds PATH rebuilds table and plots from a recorded rounds.jsonl without any LM call
(unless --judge-repeats or --second-judge ask to re-judge its recorded answers).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from experiments.config import ConfigError, RunConfig
from experiments.lms.factory import build_second_judge
from experiments.records.files import atomic_write_json, read_jsonl
from experiments.records.progress import Progress
from experiments.records.sink import PhaseContext, RoundSink
from experiments.report import method_table as mt
from experiments.report.evaluation import NOTE, table_metrics, write_report
from experiments.report.reliability import judge_reliability
from experiments.run.build import bind_lms, configure_dspy, thresholds
from experiments.run.cli import add_common, load_config, run_cli
from experiments.run.methods import build_method, parse_methods
from experiments.run.phase import run_phase
from experiments.tracking import Tracker
from metrics import methods as mm
from metrics.methods import method_stats

log = logging.getLogger("autodata.evaluate")


def _compile_summary(harness: Path | None) -> dict:
    file = harness / "summary.json" if harness and harness.is_dir() else None
    return json.loads(file.read_text(encoding="utf-8")) if file and file.exists() else {}


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


def evaluate_run(
    cfg: RunConfig, methods: list[str], out: Path, opts: Options, *, lms=None, use_cache=True, progress=None
) -> dict:
    from experiments.corpus import load_splits

    out.mkdir(parents=True, exist_ok=True)
    started, progress = time.monotonic(), progress or Progress()
    split, harness, n_boot = opts.split, opts.harness, opts.n_boot
    programs = {m: build_method(m, cfg, harness) for m in methods}  # config errors before any loading
    splits, corpus = load_splits(cfg.corpus)
    docs, doc_ids = splits[split], [d.id for d in splits[split]]
    progress.note(f"corpus: {corpus.summary()}; evaluating on {split}: {len(docs)} document(s)")
    compile_summary = _compile_summary(harness)
    seen = set().union(*((compile_summary.get("corpus") or {}).get("splits", {}).get(s, []) for s in ("train", "val")))
    if seen & set(doc_ids):
        log.warning("%d evaluation document(s) were used to compile the harness", len(seen & set(doc_ids)))
    if lms is None:
        from experiments.lms.factory import build_lms

        lms = build_lms(cfg.models)
        if opts.second_judge:
            lms["second_judge"] = build_second_judge(cfg.models, opts.second_judge)
    configure_dspy(cfg, use_cache=use_cache)
    atomic_write_json(out / "config.json", cfg.public_dict())
    t, rows = thresholds(cfg), []
    tags = {"autodata.command": "evaluate", "autodata.preset": cfg.preset}
    with progress.display(), Tracker(cfg.tracking, run_name=f"evaluate-{out.name}", tags=tags) as tracker:
        tracker.log_params(tracker.parent_id, {**cfg.flat(), "evaluate.methods": ",".join(methods), "split": split})
        sink = RoundSink(out, tracker, progress)
        for m, program in programs.items():
            bind_lms(program, lms)
            structure = program.policy.structure
            run_id = tracker.child(m, params={"method": m, "structure": structure.model_dump_json()})
            ctx = PhaseContext(m, run_id, {d: split for d in doc_ids}, cfg.acceptance.preset, t, structure)
            run_phase(program, docs, sink, ctx, workers=cfg.workers)
            rows += ctx.rows
            tracker.log_metrics(run_id, table_metrics(method_stats(ctx.rows, doc_ids, m, n_boot=n_boot)))
            tracker.end(run_id)
        reliability = None
        if opts.judge_repeats or lms.get("second_judge"):
            progress.note(f"== judge reliability: {opts.judge_items} answers x {opts.judge_repeats} regrades")
            reliability = judge_reliability(
                rows,
                lms["judge"],
                repeats=opts.judge_repeats,
                n_items=opts.judge_items,
                temperature=opts.judge_temperature,
                second_lm=lms.get("second_judge"),
                settings=cfg.judge,
            )
        extra = {
            "split": split,
            "harness": str(harness) if harness else None,
            "preset": cfg.preset,
            "acceptance": {"preset": cfg.acceptance.preset, "thresholds": t.to_dict()},
            "corpus": corpus.summary(),
            "wall_seconds": round(time.monotonic() - started, 1),
            "mlflow": {"tracking_uri": tracker.uri, "parent_run_id": tracker.parent_id},
            "crashed_documents": sink.crashed,  # document runs that raised outside any LM call
        }
        record = write_report(
            rows,
            doc_ids,
            methods,
            out,
            n_boot=n_boot,
            reliability=reliability,
            trials=compile_summary.get("trials"),
            extra=extra,
        )
        for name in ("table.md", "table.csv", "evaluation.json", "rounds.jsonl", "config.json"):
            tracker.log_artifact(tracker.parent_id, out / name, "evaluation")
        tracker.log_artifacts(tracker.parent_id, out / "plots", "plots")
    return record


def rejudge(args: argparse.Namespace, rows: list[dict]) -> dict | None:
    """Judge reliability on recorded answers (--from-rounds): the configured judge, and --second-judge."""
    if not (args.judge_repeats or args.second_judge):
        return None
    from experiments.lms.factory import build_lm

    cfg = load_config(args)
    configure_dspy(cfg, use_cache=not args.no_cache)
    judge = build_lm("judge", cfg.models.judge, cfg.models)
    second = build_second_judge(cfg.models, args.second_judge) if args.second_judge else None
    o = Options.from_args(args)
    return judge_reliability(
        rows,
        judge,
        repeats=o.judge_repeats,
        n_items=o.judge_items,
        temperature=o.judge_temperature,
        second_lm=second,
        settings=cfg.judge,
    )


def dry_run(cfg: RunConfig, methods: list[str], split: str) -> str:
    """Estimated calls and tokens (experiments.run.dryrun): baselines as one-round runs, loops at full budget."""
    from experiments.corpus import load_splits
    from experiments.run.dryrun import estimate, render

    docs = load_splits(cfg.corpus)[0][split]
    one_round = cfg.model_copy(update={"loop": cfg.loop.model_copy(update={"max_rounds": 1})})
    parts = [(one_round, [m for m in methods if m in mm.ONE_SHOT]), (cfg, [m for m in methods if m in mm.LOOPS])]
    chars = [len(d.text) for d in docs]
    return "\n\n".join(render(estimate(c, {m: len(docs) for m in ms}, chars)) for c, ms in parts if ms)


def _main(args: argparse.Namespace) -> int:
    if args.dry_run and not args.from_rounds:
        cfg = load_config(args)
        print(dry_run(cfg, parse_methods(args.methods or "cot,grounded,self_instruct,agentic"), args.split))
        return 0
    if args.from_rounds:
        rows = read_jsonl(args.from_rounds)
        if not rows:
            raise ConfigError(f"--from-rounds {args.from_rounds}: no rows")
        present = [m for m in mm.METHODS if any(r["phase"] == m for r in rows)]
        methods = [m for m in parse_methods(args.methods) if m in present] if args.methods else present
        doc_ids = sorted({r["doc_id"] for r in rows if r["phase"] in methods})
        reliability = rejudge(args, [r for r in rows if r["phase"] in methods])
        out = args.out or args.from_rounds.parent
        record = write_report(rows, doc_ids, methods, out, n_boot=args.bootstrap, reliability=reliability)
    else:
        cfg = load_config(args)
        methods = parse_methods(
            args.methods or "cot,grounded,self_instruct,agentic" + (",compiled" * bool(args.harness))
        )
        out = args.out or Path("runs") / f"{time.strftime('%Y%m%d-%H%M%S')}-evaluate"
        progress = Progress(quiet=args.quiet)
        record = evaluate_run(
            cfg, methods, out, Options.from_args(args), use_cache=not args.no_cache, progress=progress
        )
    print("\n" + mt.markdown_table(record["stats"]) + "\n\n" + mt.markdown_pairs(record["paired"]))
    print(f"\n{NOTE}\nplots: {', '.join(record['plots']) or 'none'}")
    crashed = record.get("crashed_documents") or []
    if crashed:
        print(f"CRASHED: {len(crashed)} document run(s); see crashed_documents in evaluation.json")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m experiments.evaluate",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument("--methods", help=f"comma-separated, from {','.join(mm.METHODS)} (default: all that apply)")
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


def main(argv: list[str] | None = None) -> int:
    return run_cli(_main, parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
