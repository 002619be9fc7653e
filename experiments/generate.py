"""`python -m experiments.generate`: run an exported harness on new documents and build a dataset.

It loads `harness.json` + `program.json` from a compile run (JSON state only, no pickle), binds role
LMs from the harness's model names unless --config/--set say otherwise (keys come from the environment),
runs the loop on every document of --docs (any corpus source: a folder of .txt/.md files, a
JSONL/CSV/Parquet file, aclsum, hf:org/name) and writes `rounds.jsonl`, `accepted.jsonl`,
`accepted.parquet` and `dataset/` (Parquet plus a dataset card) that `datasets.load_dataset` reads.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from experiments.config import ConfigError, build_config, merge
from experiments.records.files import atomic_write_json, read_jsonl
from experiments.records.progress import Progress
from experiments.records.sink import PhaseContext, RoundSink
from experiments.report.dataset_card import write_dataset
from experiments.report.summary import summarize
from experiments.run.build import bind_lms, configure_dspy, thresholds
from experiments.run.cli import add_common, load_config, run_cli
from experiments.run.harness import load_harness, read_harness
from experiments.run.phase import run_phase
from experiments.tracking import Tracker


def generate_run(args: argparse.Namespace, lms=None) -> dict:
    from experiments.corpus import load_corpus

    record = read_harness(args.harness)
    base = load_config(args)
    # Role models default to the ones the harness was compiled with; --set/--config still win.
    models = {role: {"model": name} for role, name in record["models"].items()}
    cfg = build_config(merge({"models": models}, _explicit(args)), args.overrides)
    cfg = cfg.model_copy(
        update={"corpus": base.corpus.model_copy(update={"source": str(args.docs)}), "tracking": base.tracking}
    )
    program, cfg, record = load_harness(args.harness, cfg)
    corpus = load_corpus(cfg.corpus)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    progress = Progress(quiet=args.quiet)
    progress.note(f"corpus: {corpus.summary()}")
    for source, reason in corpus.skipped:
        progress.note(f"skipped {source}: {reason}")
    if lms is None:
        from experiments.lms.factory import build_lms

        lms = build_lms(cfg.models)
    configure_dspy(cfg, use_cache=not args.no_cache)
    bind_lms(program, lms)
    atomic_write_json(out / "config.json", cfg.public_dict())
    docs = corpus.documents
    tracking = Tracker(cfg.tracking, run_name=f"generate-{out.name}", tags={"autodata.command": "generate"})
    with progress.display(), tracking as tracker:
        sink = RoundSink(out, tracker, progress)
        ctx = PhaseContext(
            "generate",
            tracker.parent_id,
            {d.id: "generate" for d in docs},
            cfg.acceptance.preset,
            thresholds(cfg),
            program.policy.structure,
        )
        run_phase(program, docs, sink, ctx, workers=cfg.workers)
        stats = summarize(read_jsonl(out / "rounds.jsonl"), [d.id for d in docs])
        accepted = read_jsonl(out / "accepted.jsonl")
        info = write_dataset(out, accepted, docs, record, cfg, failure_mix=stats["failure_mix"])
        summary = {
            "harness": str(args.harness),
            "docs": str(args.docs),
            "stats": stats,
            "dataset": info,
            "skipped": corpus.skipped,
            "crashed_documents": sink.crashed,
        }
        atomic_write_json(out / "summary.json", summary)
        for name in ("summary.json", "accepted.jsonl", "rounds.jsonl"):
            tracker.log_artifact(tracker.parent_id, out / name, "run")
    if args.push_to_hub:
        push(out / "dataset", args.push_to_hub)
    return summary


def _explicit(args: argparse.Namespace) -> dict:
    """Only what the user set explicitly (config file), so preset model names do not override the harness."""
    if not args.config:
        return {}
    from experiments.run.cli import config_file

    return config_file(args.config)


def push(folder: Path, repo: str) -> None:
    import datasets

    from experiments.corpus.hub import hub_endpoint, probe_hub

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


def _main(args: argparse.Namespace) -> int:
    if not args.harness.exists():
        raise ConfigError(f"--harness {args.harness}: no such directory")
    if args.dry_run:
        from experiments.corpus import load_corpus
        from experiments.run.dryrun import estimate, render

        cfg = load_config(args)
        cfg = cfg.model_copy(update={"corpus": cfg.corpus.model_copy(update={"source": str(args.docs)})})
        docs = load_corpus(cfg.corpus).documents
        print(render(estimate(cfg, {"generate": len(docs)}, [len(d.text) for d in docs])))
        return 0
    if args.out is None:
        args.out = Path("runs") / f"{time.strftime('%Y%m%d-%H%M%S')}-generate"
    summary = generate_run(args)
    s = summary["stats"]
    print(
        f"\n{s['accepted']} accepted of {s['documents']} documents (pass rate {s['pass_rate']}), "
        f"{s['rounds']} rounds; dataset: {summary['dataset']['path']} ({summary['dataset']['rows']} rows)"
    )
    if not summary["dataset"]["rows"]:
        print(f"nothing was accepted (rejected rounds: {s['failure_mix']}); the dataset is empty and says so")
    if summary["crashed_documents"]:
        print(f"CRASHED: {len(summary['crashed_documents'])} document(s); see crashed_documents in summary.json")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m experiments.generate",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument("--harness", type=Path, required=True, help="a compile run directory or exported harness")
    p.add_argument("--docs", type=Path, required=True, help="documents: folder of .txt/.md, .jsonl/.csv/.parquet")
    p.add_argument("--push-to-hub", metavar="ORG/NAME", help="also push the dataset to the Hugging Face hub")
    add_common(p)
    return p


def main(argv: list[str] | None = None) -> int:
    return run_cli(_main, parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
