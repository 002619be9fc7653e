"""`python -m experiments.judgecheck`: how well the configured judge agrees with gold verdicts.

--labels FILE holds answers with a gold 0/1 verdict per rubric criterion (format: docs/judging.md,
"Labelled data format"). The judge of the run config (models.judge and the judge settings, built by
`experiments.run.build.build_judge`) grades every answer once, through the loop's error handling: one
failed judging is recorded as an error for that answer and the run goes on; a permanent LM error (bad
key, unknown model) stops the run with one line. The LM cache is off, so seconds are measured. It runs
in a session of the judge alone (`experiments.run.session`): `budget.*` and the judge's
`models.judge.{max_concurrent,rpm,tpm}` apply, and a budget stops the run cleanly.

Writes to --out: config.json; verdicts.jsonl (one line per answer, appended and fsynced as answers
are judged: id, verdicts in rubric order, seconds, and error when judging failed); judgecheck.json and
judgecheck.md (agreement, Cohen's kappa, met rates, score correlation and error, mean score by answer
source, each with a 95% bootstrap interval over questions; see experiments/report/judgecheck_figures.py).
The same command with the same --out resumes: answers already judged are not judged again.
--sample N judges a seeded sample that represents every answer source (quick iteration).
--from-verdicts PATH rebuilds judgecheck.json and the table from a verdicts.jsonl and --labels with no
LM call: this is how anyone recomputes the figures. --dry-run checks the labels and shows the answers
that would be judged, with an estimate of the judge's calls. MLflow: one run, judge settings as params,
figures as metrics, files as artifacts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Unpack

import dspy

from experiments.config import ConfigError, RunConfig
from experiments.records.files import JsonlLog, atomic_write_json, atomic_write_text
from experiments.records.labels import JudgedAnswer, LabelledAnswer, load_labels, read_verdicts, stratified_sample
from experiments.report.judgecheck_figures import figures, file_sha256, markdown
from experiments.run.build import build_judge
from experiments.run.cli import add_common, command_main, command_parser, default_out, load_config, reject_unused
from experiments.run.dryrun import judging_plan, render
from experiments.run.session import RunOptions, Session
from programs.alone import call_alone
from programs.retry import RoundFailure

VERDICTS, RECORD, TABLE = "verdicts.jsonl", "judgecheck.json", "judgecheck.md"


def judge_settings(cfg: RunConfig) -> dict[str, str]:
    """The judge's model and settings as MLflow params (any `judge.*` section, the judge role, graded)."""
    flat = cfg.flat()
    keep = {k: v for k, v in flat.items() if k.startswith(("judge.", "models.judge."))}
    return {**keep, "rubric.graded": flat["rubric.graded"]}


def judge_one(judge: dspy.Module, a: LabelledAnswer, retries: int, backoff: float) -> JudgedAnswer:
    """One labelled answer judged through the loop's error policy; a failure is recorded, not raised."""
    started = time.monotonic()
    try:
        got: list[float] = call_alone(
            judge,
            "judge",
            lambda: judge(a.question, a.rubric, a.answer, context=a.context, reference=a.reference_answer),
            retries=retries,
            backoff=backoff,
        )
        verdicts, error = (
            (got, None)
            if len(got) == len(a.rubric)
            else (None, f"judge: {len(got)} verdicts for {len(a.rubric)} criteria")
        )
    except RoundFailure as failure:
        verdicts, error = None, f"judge: {failure.detail}"
    return JudgedAnswer(a.id, verdicts, round(time.monotonic() - started, 3), error)


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


def _metrics(record: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {"answers": record["judged"]["answers"], "failed": record["judged"]["failed"]}
    for key, fig in record["figures"].items():
        out.update({key: fig["value"], f"{key}_lo": fig["lo"], f"{key}_hi": fig["hi"]})
    for source, s in record["by_source"].items():
        out.update({f"source.{source}.judge": s["judge"]["value"], f"source.{source}.gold": s["gold"]["value"]})
    out["seconds_per_answer"] = record["seconds_per_answer"]
    return {k: v for k, v in out.items() if v is not None}


def without_sources(labels: Path, answers: list[LabelledAnswer], exclude: Sequence[str]) -> list[LabelledAnswer]:
    """The answers whose source is not in `exclude` (e.g. the anchored judge's own anchor answers)."""
    unknown = sorted(set(exclude) - {a.source for a in answers})
    if unknown:
        known = ", ".join(sorted({a.source for a in answers}))
        raise ConfigError(f"--exclude-source {', '.join(unknown)}: no such source in {labels} (sources: {known})")
    return [a for a in answers if a.source not in exclude]


def rebuild(
    labels: Path, verdicts: Path, out: Path, n_boot: int, *, allow_empty: bool = False, exclude: Sequence[str] = ()
) -> dict[str, Any]:
    """judgecheck.json and judgecheck.md from a verdicts file and its labels; no LM call."""
    answers = load_labels(labels)
    judged = read_verdicts(verdicts, answers)
    answers = without_sources(labels, answers, exclude)
    judged = [j for j in judged if j.id in {a.id for a in answers}]
    if not judged and not allow_empty:
        raise ConfigError(f"{verdicts}: no verdicts")
    record = figures(answers, judged, labels_sha256=file_sha256(labels), n_boot=n_boot)
    record["excluded_sources"] = sorted(exclude)
    atomic_write_json(out / RECORD, record)
    atomic_write_text(out / TABLE, markdown(record))
    return record


def chosen_answers(
    labels: Path, sample: int | None, seed: int, exclude: Sequence[str] = ()
) -> tuple[list[LabelledAnswer], list[LabelledAnswer]]:
    """Every labelled answer (of the sources kept), and the ones to judge (a stratified sample, or all)."""
    answers = without_sources(labels, load_labels(labels), exclude)
    return answers, stratified_sample(answers, sample, seed) if sample else answers


def judgecheck_run(
    cfg: RunConfig,
    labels: Path,
    out: Path,
    *,
    sample: int | None = None,
    seed: int = 0,
    n_boot: int = 2000,
    exclude: Sequence[str] = (),
    **options: Unpack[RunOptions],
) -> dict[str, Any]:
    """Judge the (sampled) labelled answers into `out` and return the judgecheck.json record."""
    answers, chosen = chosen_answers(labels, sample, seed, exclude)
    out.mkdir(parents=True, exist_ok=True)
    log = JsonlLog(out / VERDICTS)  # drops a torn last line a killed run may have left
    done = _resumable(out, cfg, answers, chosen)
    todo = [a for a in chosen if a.id not in done]
    params: dict[str, Any] = {**judge_settings(cfg), "labels": str(labels), "labels.sha256": file_sha256(labels)}
    params.update({"sample": sample, "seed": seed, "bootstrap": n_boot, "excluded_sources": ",".join(exclude)})
    options["use_cache"] = False  # every answer is judged anew, so its seconds are measured
    with Session(cfg, out, "judgecheck", roles=("judge",), params=params, sink=False, **options) as s:
        s.note(f"judging {len(todo)} of {len(chosen)} answer(s) with {cfg.models.judge.model}")
        judge = build_judge(cfg, s.lms["judge"])
        with s.running():
            for i, a in enumerate(todo, 1):
                judged = judge_one(judge, a, cfg.loop.infra_retries, cfg.loop.backoff)
                log.append(judged.to_row())
                state = judged.error or f"{len(judged.verdicts or [])} verdicts"
                s.note(f"[judgecheck] {i}/{len(todo)} {a.id}: {state} ({judged.seconds:.1f}s)")
        record = rebuild(labels, out / VERDICTS, out, n_boot, allow_empty=True, exclude=exclude)
        record["stopped_by"] = s.stopped_by
        s.tracker.log_metrics(s.tracker.parent_id, _metrics(record))
        for name in (VERDICTS, RECORD, TABLE, "config.json"):
            s.tracker.log_artifact(s.tracker.parent_id, out / name, "judgecheck")
    return record


def _main(args: argparse.Namespace, options: RunOptions) -> int:
    if args.sample is not None and args.sample < 1:
        raise ConfigError(f"--sample {args.sample}: must be at least 1")
    if args.from_verdicts:
        why = "--from-verdicts rebuilds the figures with no LM call"
        reject_unused(args, parser(), ("--sample", "--seed", "--dry-run", "--no-cache", "--set", "--config"), why)
        out = args.out or args.from_verdicts.parent
        record = rebuild(args.labels, args.from_verdicts, out, args.bootstrap, exclude=args.exclude_source)
    else:
        cfg = load_config(args)
        answers, chosen = chosen_answers(args.labels, args.sample, args.seed, args.exclude_source)
        if args.dry_run:
            counts = Counter(a.source for a in chosen)
            print(f"{args.labels}: {len(answers)} labelled answers; would judge {len(chosen)}:")
            print("\n".join(f"  {source}: {n}" for source, n in sorted(counts.items())))
            print(render(judging_plan(cfg, "judgecheck", [len(a.rubric) for a in chosen])))
            return 0
        out = default_out(args.out, "judgecheck")
        record = judgecheck_run(
            cfg,
            args.labels,
            out,
            sample=args.sample,
            seed=args.seed,
            n_boot=args.bootstrap,
            exclude=args.exclude_source,
            **options,
        )
        print(f"judge: {cfg.models.judge.model}")
    print(markdown(record))
    if record.get("stopped_by"):
        print(f"STOPPED EARLY: {record['stopped_by']}")
    print(f"written: {out / RECORD}, {out / TABLE}" + ("" if args.from_verdicts else f", {out / VERDICTS}"))
    return 0


def parser() -> argparse.ArgumentParser:
    p = command_parser("judgecheck", __doc__ or "")
    p.add_argument("--labels", type=Path, required=True, help="labelled answers (JSON Lines; see docs/judging.md)")
    p.add_argument("--sample", type=int, help="judge N answers, every answer source represented (seeded)")
    p.add_argument("--seed", type=int, default=0, help="seed of --sample (default: %(default)s)")
    p.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples (seed 0; default: %(default)s)")
    p.add_argument("--from-verdicts", type=Path, help="rebuild judgecheck.json and the table from this verdicts.jsonl")
    p.add_argument(
        "--exclude-source",
        action="append",
        default=[],
        metavar="SOURCE",
        help="leave the answers of this source out (repeatable), e.g. the anchored judge's anchors: "
        "--exclude-source reference --exclude-source context",
    )
    add_common(p)
    return p


main = command_main(_main, parser)


if __name__ == "__main__":
    sys.exit(main())
