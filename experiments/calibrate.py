"""`python -m experiments.calibrate`: choose acceptance thresholds from recorded rounds, without LM calls.

--rounds PATH: every recorded round's attempt scores are recomputed from its verdicts (metrics code),
then decided under each acceptance preset and a grid of thresholds, as recorded and with penalty items
ignored (the paper's finding). Per setting: the share of scored candidates that meet it, rounds the
weak-first gate left without strong scores that would now pass the weak side ("undetermined"), and the
gap distribution of the candidates that meet it; plus weak/strong score distributions. A loop's later
rounds depended on its earlier decisions, so this says which recorded candidates qualify, not what a
re-run would accept.
Warnings use the preset recorded in the rows (below for --probe).
--probe: runs the grounded one-shot generator (both solvers answer every verified candidate) on a few
documents (train split, then unused ones; never val or test) and warns when the configured preset is
out of reach: "weak model too strong", "strong model too weak", or the gap never reached.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from experiments.records.files import read_jsonl
from experiments.report.calibration import calibrate_rows, markdown, shortlist
from metrics.acceptance import Thresholds
from metrics.calibration import probe_warnings

log = logging.getLogger("autodata.calibrate")


def probe(args: argparse.Namespace, out: Path, lms=None) -> dict:
    from experiments.corpus import load_corpus, split_documents
    from experiments.corpus.split import split_key
    from experiments.records.progress import Progress
    from experiments.records.sink import PhaseContext, RoundSink
    from experiments.run.build import bind_lms, configure_dspy, thresholds
    from experiments.run.cli import load_config
    from experiments.run.methods import build_method
    from experiments.run.phase import run_phase
    from experiments.tracking import Tracker

    cfg = load_config(args)
    c = cfg.corpus
    load = load_corpus(c)
    splits = split_documents(load.documents, c.n_train, c.n_val, c.n_test, c.seed)
    taken = {d.id for docs in splits.values() for d in docs}
    ordered = sorted(load.documents, key=lambda d: (split_key(c.seed, d.id), d.id))
    docs = (splits["train"] + [d for d in ordered if d.id not in taken])[: args.docs]
    if lms is None:
        from experiments.lms.factory import build_lms

        lms = build_lms(cfg.models)
    configure_dspy(cfg, use_cache=not args.no_cache)
    program, t = bind_lms(build_method("grounded", cfg), lms), thresholds(cfg)
    with Tracker(cfg.tracking, run_name=f"probe-{out.name}", tags={"autodata.command": "calibrate"}) as tracker:
        sink = RoundSink(out, tracker, Progress(quiet=args.quiet))
        ctx = PhaseContext(
            "probe", tracker.parent_id, {d.id: "probe" for d in docs}, cfg.acceptance.preset, t, cfg.rubric
        )
        run_phase(program, docs, sink, ctx, workers=cfg.workers)
        warnings = probe_warnings(ctx.rows, t)
        record = calibrate_rows(ctx.rows, out, warnings)
        tracker.log_artifact(tracker.parent_id, out / "calibration.md", "calibration")
    return record


def _main(args: argparse.Namespace) -> int:
    out = args.out or (args.rounds.parent if args.rounds else Path("runs") / f"{time.strftime('%Y%m%d-%H%M%S')}-probe")
    if args.probe:
        record = probe(args, out)
    else:
        from experiments.config import ConfigError

        rows = [r for r in read_jsonl(args.rounds) if not args.phase or r["phase"] in args.phase]
        if not rows:
            raise ConfigError(f"--rounds {args.rounds}: no rows{' for those phases' if args.phase else ''}")
        warnings = probe_warnings(rows, Thresholds(**rows[0]["thresholds"])) if rows[0].get("thresholds") else []
        record = calibrate_rows(rows, out, warnings)
    print(markdown(shortlist(record["settings"]), record["distributions"], record["warnings"]))
    for warning in record["warnings"]:
        log.warning(warning)
    print(f"written: {out / 'calibration.md'}, {out / 'calibration.json'}")
    return 0


def parser() -> argparse.ArgumentParser:
    from experiments.run.cli import add_common

    p = argparse.ArgumentParser(
        prog="python -m experiments.calibrate",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--rounds", type=Path, help="a recorded rounds.jsonl to re-score (no LM calls)")
    mode.add_argument("--probe", action="store_true", help="run a few documents one shot and check reachability")
    p.add_argument("--phase", action="append", help="only rows of this phase (repeatable; default: all)")
    p.add_argument("--docs", type=int, default=3, help="probe: documents to run (default: %(default)s)")
    add_common(p)
    return p


def main(argv: list[str] | None = None) -> int:
    from experiments.run.cli import run_cli

    return run_cli(_main, parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
