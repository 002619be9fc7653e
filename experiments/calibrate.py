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
out of reach: "weak model too strong", "strong model too weak", or the gap never reached. A budget
stops the probe cleanly; what it recorded is calibrated. --dry-run estimates the probe's calls.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any, Unpack

from experiments.config import ConfigError, RunConfig
from experiments.corpus import Document, load_corpus, split_documents
from experiments.corpus.split import split_key
from experiments.records.files import read_jsonl
from experiments.report.calibration import calibrate_rows, markdown, shortlist
from experiments.run.cli import add_common, command_main, command_parser, default_out, load_config, reject_unused
from experiments.run.dryrun import estimate, render
from experiments.run.methods import build_method
from experiments.run.session import RunOptions, Session
from metrics.acceptance import Thresholds
from metrics.calibration import probe_warnings
from programs.loop import LOOP_ROLES

log = logging.getLogger("autodata.calibrate")


def probe_documents(cfg: RunConfig, n: int) -> list[Document]:
    """`n` documents for the probe: the train split first, then documents no split uses; never val/test."""
    c = cfg.corpus
    load = load_corpus(c)
    splits = split_documents(load.documents, c.n_train, c.n_val, c.n_test, c.seed)
    taken = {d.id for docs in splits.values() for d in docs}
    ordered = sorted(load.documents, key=lambda d: (split_key(c.seed, d.id), d.id))
    return (splits["train"] + [d for d in ordered if d.id not in taken])[:n]


def probe(
    cfg: RunConfig,
    out: Path,
    n_docs: int,
    **options: Unpack[RunOptions],
) -> dict[str, Any]:
    """The grounded one-shot generator on `n_docs` probe documents, then calibrated; returns the record."""
    docs = probe_documents(cfg, n_docs)
    program = build_method("grounded", cfg)
    with Session(cfg, out, "calibrate", roles=LOOP_ROLES, run_name=f"probe-{out.name}", **options) as s:
        ctx = s.phase("probe", cfg.rubric, {d.id: "probe" for d in docs})
        with s.running():
            s.run_phase(s.bind(program), docs, ctx)
        warnings = probe_warnings(ctx.rows, s.thresholds)
        if s.stopped_by:
            warnings.append(f"the probe stopped early ({s.stopped_by}): {len(ctx.rows)} round(s) recorded")
        record = calibrate_rows(ctx.rows, out, warnings)
        s.tracker.log_artifact(s.tracker.parent_id, out / "calibration.md", "calibration")
    return record


def _main(args: argparse.Namespace, options: RunOptions) -> int:
    p = parser()
    if args.probe:
        reject_unused(args, p, ("--phase",), "--probe records its own rows (phase probe)")
        cfg = load_config(args)
        if args.dry_run:
            docs = probe_documents(cfg, args.docs)
            one_round = cfg.model_copy(update={"loop": cfg.loop.model_copy(update={"max_rounds": 1})})
            print(render(estimate(one_round, {"probe": len(docs)}, [len(d.text) for d in docs])))
            return 0
        out = default_out(args.out, "probe")
        record = probe(cfg, out, args.docs, **options)
    else:
        why = "--rounds re-scores recorded rows: no config, no LM call"
        reject_unused(args, p, ("--docs", "--dry-run", "--no-cache", "--set", "--config", "--preset"), why)
        out = args.out or args.rounds.parent
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
    p = command_parser("calibrate", __doc__ or "")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--rounds", type=Path, help="a recorded rounds.jsonl to re-score (no LM calls)")
    mode.add_argument("--probe", action="store_true", help="run a few documents one shot and check reachability")
    p.add_argument("--phase", action="append", help="only rows of this phase (repeatable; default: all)")
    p.add_argument("--docs", type=int, default=3, help="probe: documents to run (default: %(default)s)")
    add_common(p)
    return p


main = command_main(_main, parser)


if __name__ == "__main__":
    sys.exit(main())
