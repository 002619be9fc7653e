"""`python -m experiments.generate`: run an exported harness on new documents and build a dataset.

It loads `harness.json` + `program.json` from a compile run (JSON state only, no pickle), binds role
LMs from the harness's model names unless --config/--set say otherwise (keys come from the environment),
runs the loop on every document of --docs (any corpus source: a folder of .txt/.md files, a
JSONL/CSV/Parquet file, aclsum, hf:org/name) and writes `rounds.jsonl`, `accepted.jsonl`,
`accepted.parquet` and `dataset/` (Parquet plus a dataset card) that `datasets.load_dataset` reads.
A budget stop keeps what was accepted so far: the dataset and `summary.json` are written all the same.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Unpack

from experiments.config import ConfigError, RunConfig
from experiments.corpus import load_corpus
from experiments.corpus.hub import hub_endpoint, probe_hub
from experiments.records.files import atomic_write_json, read_jsonl
from experiments.report.dataset_card import write_dataset
from experiments.report.summary import summarize
from experiments.run.cli import add_common, command_main, command_parser, default_out, harness_run_config, reject_unused
from experiments.run.dryrun import estimate, render
from experiments.run.harness import load_harness
from experiments.run.session import RunOptions, Session
from programs.loop import LOOP_ROLES


def generate_run(
    cfg: RunConfig,
    harness: Path,
    out: Path,
    **options: Unpack[RunOptions],
) -> dict[str, Any]:
    """Run the harness on `cfg.corpus` into `out`; returns the summary (also written to summary.json)."""
    program, cfg, record = load_harness(harness, cfg)
    corpus = load_corpus(cfg.corpus)
    docs = corpus.documents
    with Session(cfg, out, "generate", roles=LOOP_ROLES, **options) as s:
        s.note_corpus(corpus)
        s.bind(program)
        ctx = s.phase("generate", program.policy.structure, {d.id: "generate" for d in docs})
        with s.running():
            s.run_phase(program, docs, ctx)
        stats = summarize(read_jsonl(out / "rounds.jsonl"), [d.id for d in docs])
        accepted = read_jsonl(out / "accepted.jsonl")
        info = write_dataset(out, accepted, docs, record, cfg, failure_mix=stats["failure_mix"])
        summary = {
            "harness": str(harness),
            "docs": cfg.corpus.source,
            "stats": stats,
            "dataset": info,
            "skipped": corpus.skipped,
            "crashed_documents": s.sink.crashed,
            "stopped_by": s.stopped_by,
        }
        atomic_write_json(out / "summary.json", summary)
        for name in ("summary.json", "accepted.jsonl", "rounds.jsonl"):
            s.tracker.log_artifact(s.tracker.parent_id, out / name, "run")
    return summary


def push(folder: Path, repo: str) -> None:
    import datasets  # about 1 s to import: only for --push-to-hub

    problem = probe_hub(hub_endpoint())  # fail in seconds offline, not after minutes of retries
    if problem:
        raise ConfigError(f"push_to_hub {repo} failed: the hub at {hub_endpoint()} is unreachable ({problem})")
    try:
        datasets.load_dataset(str(folder), split="train").push_to_hub(repo)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(
            f"push_to_hub {repo} failed (is the hub reachable and HF_TOKEN set?): {first[:200]}"
        ) from None


def _main(args: argparse.Namespace, options: RunOptions) -> int:
    cfg = harness_run_config(args)
    if args.dry_run:
        reject_unused(args, parser(), ("--push-to-hub",), "--dry-run runs nothing")
        docs = load_corpus(cfg.corpus).documents
        print(render(estimate(cfg, {"generate": len(docs)}, [len(d.text) for d in docs])))
        return 0
    out = default_out(args.out, "generate")
    summary = generate_run(cfg, args.harness, out, **options)
    s = summary["stats"]
    print(
        f"\n{s['accepted']} accepted of {s['documents']} documents (pass rate {s['pass_rate']}), "
        f"{s['rounds']} rounds; dataset: {summary['dataset']['path']} ({summary['dataset']['rows']} rows)"
    )
    if not summary["dataset"]["rows"]:
        print(f"nothing was accepted (rejected rounds: {s['failure_mix']}); the dataset is empty and says so")
    if summary["crashed_documents"]:
        print(f"CRASHED: {len(summary['crashed_documents'])} document(s); see crashed_documents in summary.json")
    if summary["stopped_by"]:
        print(f"STOPPED EARLY: {summary['stopped_by']}")
    if args.push_to_hub:
        push(out / "dataset", args.push_to_hub)
    return 0


def parser() -> argparse.ArgumentParser:
    p = command_parser("generate", __doc__ or "")
    p.add_argument("--harness", type=Path, required=True, help="a compile run directory or exported harness")
    p.add_argument("--docs", type=Path, required=True, help="documents: folder of .txt/.md, .jsonl/.csv/.parquet")
    p.add_argument("--push-to-hub", metavar="ORG/NAME", help="also push the dataset to the Hugging Face hub")
    add_common(p)
    return p


main = command_main(_main, parser)


if __name__ == "__main__":
    sys.exit(main())
