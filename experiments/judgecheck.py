"""`python -m experiments.judgecheck`: how well the configured judge agrees with gold verdicts.

--labels FILE holds answers with a gold 0/1 verdict per rubric criterion (format: docs/judging.md,
"Labelled data format"). The judge of the run config (models.judge and the judge settings, built by
`experiments.run.build.build_judge`) grades every answer once, through the loop's error handling: one
failed judging is recorded as an error for that answer and the run goes on; a permanent LM error (bad
key, unknown model) stops the run with one line. The LM cache is off, so seconds are measured.
`budget.*` and the judge's `models.judge.{max_concurrent,rpm,tpm}` apply; a budget stops the run cleanly.

Writes to --out: config.json; verdicts.jsonl (one line per answer, appended and fsynced as answers
are judged: id, verdicts in rubric order, seconds, and error when judging failed); judgecheck.json and
judgecheck.md (agreement, Cohen's kappa, met rates, score correlation and error, mean score by answer
source, each with a 95% bootstrap interval over questions; see experiments/report/judgecheck_figures.py).
The same command with the same --out resumes: answers already judged are not judged again.
--sample N judges a seeded sample that represents every answer source (quick iteration).
--from-verdicts PATH rebuilds judgecheck.json and the table from a verdicts.jsonl and --labels with no
LM call: this is how anyone recomputes the figures. --dry-run checks the labels and shows the answers
that would be judged. MLflow: one run, judge settings as params, figures as metrics, files as artifacts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import dspy

from experiments.config import ConfigError, RunConfig
from experiments.records.files import JsonlLog, atomic_write_json, atomic_write_text
from experiments.records.labels import JudgedAnswer, LabelledAnswer, load_labels, read_verdicts, stratified_sample
from experiments.records.progress import Progress
from experiments.report.costs import prices
from experiments.report.judgecheck_figures import figures, file_sha256, markdown
from experiments.run.budget import BudgetGuard
from experiments.run.build import build_judge, configure_dspy, role_limits
from experiments.run.cli import add_common, load_config, run_cli
from experiments.tracking import Tracker
from programs import hooks
from programs.budget import BudgetExceeded
from programs.retry import RoleCaller, RoundFailure
from programs.usage import UsageMeter

VERDICTS, RECORD, TABLE = "verdicts.jsonl", "judgecheck.json", "judgecheck.md"


def judge_lm(cfg: RunConfig) -> dspy.LM:
    from experiments.lms.factory import build_lm

    return build_lm("judge", cfg.models.judge, cfg.models)


def judge_settings(cfg: RunConfig) -> dict[str, str]:
    """The judge's model and settings as MLflow params (any `judge.*` section, the judge role, graded)."""
    flat = cfg.flat()
    keep = {k: v for k, v in flat.items() if k.startswith(("judge.", "models.judge."))}
    return {**keep, "rubric.graded": flat["rubric.graded"]}


def judge_one(judge, caller: RoleCaller, a: LabelledAnswer) -> JudgedAnswer:
    started = time.monotonic()
    verdicts: list[float] | None
    error: str | None
    try:
        got: list[float] = caller.call(
            "judge",
            lambda: judge(a.question, a.rubric, a.answer, context=a.context, reference=a.reference_answer),
        )
        verdicts, error = got, None
        if len(got) != len(a.rubric):
            verdicts, error = None, f"judge: {len(got)} verdicts for {len(a.rubric)} criteria"
    except RoundFailure as failure:
        verdicts, error = None, f"judge: {failure.detail}"
    return JudgedAnswer(a.id, verdicts, round(time.monotonic() - started, 3), error)


def judge_all(cfg: RunConfig, judge, todo: list[LabelledAnswer], log: JsonlLog, progress: Progress) -> str | None:
    """Judge `todo` in order under the configured budget and rate limits, appending a line per answer;
    returns why the budget stopped it, or None."""
    guard = BudgetGuard(cfg.budget, prices(cfg))
    with hooks.installed(budget=guard, limits=role_limits(cfg)):
        for i, a in enumerate(todo, 1):
            meter = UsageMeter()
            caller = RoleCaller(SimpleNamespace(judge=judge), meter, cfg.loop.infra_retries, cfg.loop.backoff)
            try:
                judged = judge_one(judge, caller, a)
            except BudgetExceeded as stop:
                progress.note(f"stopped: {stop}; the answers judged so far are written")
                return str(stop)
            guard.add(meter.snapshot())
            log.append(judged.to_row())
            state = f"{len(judged.verdicts)} verdicts" if judged.verdicts is not None else judged.error
            progress.note(f"[judgecheck] {i}/{len(todo)} {a.id}: {state} ({judged.seconds:.1f}s)")
    return None


def _resumable(out: Path, cfg: RunConfig, answers: list[LabelledAnswer], chosen: list[LabelledAnswer]) -> set[str]:
    """Ids already judged in `out` (their verdicts are kept); errors when `out` holds another run."""
    done = read_verdicts(out / VERDICTS, answers) if (out / VERDICTS).is_file() else []
    if not done:
        return set()
    recorded = out / "config.json"
    if recorded.is_file() and json.loads(recorded.read_text(encoding="utf-8")) != cfg.public_dict():
        raise ConfigError(f"--out {out} holds verdicts of another configuration; choose a new --out")
    if {j.id for j in done} - {a.id for a in chosen}:
        raise ConfigError(f"--out {out} holds verdicts of other answers (another --sample or --seed?); use a new --out")
    return {j.id for j in done if j.verdicts is not None}


def _metrics(record: dict) -> dict[str, float]:
    out: dict[str, float] = {"answers": record["judged"]["answers"], "failed": record["judged"]["failed"]}
    for key, fig in record["figures"].items():
        out.update({key: fig["value"], f"{key}_lo": fig["lo"], f"{key}_hi": fig["hi"]})
    for source, s in record["by_source"].items():
        out.update({f"source.{source}.judge": s["judge"]["value"], f"source.{source}.gold": s["gold"]["value"]})
    out["seconds_per_answer"] = record["seconds_per_answer"]
    return {k: v for k, v in out.items() if v is not None}


def rebuild(labels: Path, verdicts: Path, out: Path, n_boot: int, *, allow_empty: bool = False) -> dict:
    """judgecheck.json and judgecheck.md from a verdicts file and its labels; no LM call."""
    answers = load_labels(labels)
    judged = read_verdicts(verdicts, answers)
    if not judged and not allow_empty:
        raise ConfigError(f"{verdicts}: no verdicts")
    record = figures(answers, judged, labels_sha256=file_sha256(labels), n_boot=n_boot)
    atomic_write_json(out / RECORD, record)
    atomic_write_text(out / TABLE, markdown(record))
    return record


def judgecheck_run(cfg: RunConfig, labels: Path, out: Path, *, sample=None, seed=0, n_boot=2000, progress=None):
    """Judge the (sampled) labelled answers into `out` and return the judgecheck.json record."""
    progress = progress or Progress()
    answers = load_labels(labels)
    chosen = stratified_sample(answers, sample, seed) if sample else answers
    out.mkdir(parents=True, exist_ok=True)
    JsonlLog(out / VERDICTS)  # drops a torn last line a killed run may have left
    done = _resumable(out, cfg, answers, chosen)
    judge = build_judge(cfg, judge_lm(cfg))
    configure_dspy(cfg, use_cache=False)
    atomic_write_json(out / "config.json", cfg.public_dict())
    todo = [a for a in chosen if a.id not in done]
    progress.note(f"judging {len(todo)} of {len(chosen)} answer(s) with {cfg.models.judge.model}")
    params = {"labels": str(labels), "labels.sha256": file_sha256(labels), "sample": sample, "seed": seed}
    tags = {"autodata.command": "judgecheck", "autodata.preset": cfg.preset}
    with Tracker(cfg.tracking, run_name=f"judgecheck-{out.name}", tags=tags) as tracker:
        tracker.log_params(tracker.parent_id, {**judge_settings(cfg), **params, "bootstrap": n_boot})
        stopped = judge_all(cfg, judge, todo, JsonlLog(out / VERDICTS), progress)
        if stopped:
            tracker.set_tags(tracker.parent_id, {"autodata.stopped_by": stopped})
        record = rebuild(labels, out / VERDICTS, out, n_boot, allow_empty=True)
        tracker.log_metrics(tracker.parent_id, _metrics(record))
        for name in (VERDICTS, RECORD, TABLE, "config.json"):
            tracker.log_artifact(tracker.parent_id, out / name, "judgecheck")
    return record


def _main(args: argparse.Namespace) -> int:
    if args.sample is not None and args.sample < 1:
        raise ConfigError(f"--sample {args.sample}: must be at least 1")
    if args.from_verdicts:
        out = args.out or args.from_verdicts.parent
        record = rebuild(args.labels, args.from_verdicts, out, args.bootstrap)
    elif args.dry_run:
        answers = load_labels(args.labels)
        chosen = stratified_sample(answers, args.sample, args.seed) if args.sample else answers
        counts = Counter(a.source for a in chosen)
        print(f"{args.labels}: {len(answers)} labelled answers; would judge {len(chosen)}:")
        print("\n".join(f"  {source}: {n}" for source, n in sorted(counts.items())))
        return 0
    else:
        cfg = load_config(args)
        out = args.out or Path("runs") / f"{time.strftime('%Y%m%d-%H%M%S')}-judgecheck"
        record = judgecheck_run(
            cfg,
            args.labels,
            out,
            sample=args.sample,
            seed=args.seed,
            n_boot=args.bootstrap,
            progress=Progress(quiet=args.quiet),
        )
        print(f"judge: {cfg.models.judge.model}")
    print(markdown(record))
    print(f"written: {out / RECORD}, {out / TABLE}" + ("" if args.from_verdicts else f", {out / VERDICTS}"))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m experiments.judgecheck",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument("--labels", type=Path, required=True, help="labelled answers (JSON Lines; see docs/judging.md)")
    p.add_argument("--sample", type=int, help="judge N answers, every answer source represented (seeded)")
    p.add_argument("--seed", type=int, default=0, help="seed of --sample (default: %(default)s)")
    p.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples (seed 0; default: %(default)s)")
    p.add_argument("--from-verdicts", type=Path, help="rebuild judgecheck.json and the table from this verdicts.jsonl")
    add_common(p)
    return p


def main(argv: list[str] | None = None) -> int:
    return run_cli(_main, parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
