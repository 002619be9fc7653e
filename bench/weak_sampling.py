"""Benchmark: the weak solver's sampling temperature, on recorded candidates.

The `deployed` acceptance rule rejects a round when any weak attempt scores 0, and with one sample at
temperature 1.0 that is the most common end of a round on the embedded models. This takes every distinct
recorded candidate (doc_id, question) whose weak attempts were scored, in file order, and has the weak
solver answer it once at each `--temperatures` entry (fresh draws, LM cache off); the preset's judge
(anchored probability, with the preset's `rubric.graded`) scores every answer. Per temperature: how many
answers score 0 (the round ends there), how many land in the weak window (above 0, at most the
threshold's weak mean), how many are too good, and the mean score. Not measured: the challenger, the
verifier and the strong solver. Runs are kept by `--label` in bench/reports/weak_sampling.json.

Run (one weak answer and its reads per candidate and temperature, 10-30 s per candidate on two cores):
  flock /tmp/autodata-cpu.lock .venv/bin/python -m bench.weak_sampling --rounds PATH... --label LABEL
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.common import error_text, md_table, measure_and_record
from bench.recorded import groups, interval, mean_seconds, parse_rounds_args, prepare, rounds_parser, weak_was_scored

NAME = "weak_sampling"
COMMAND = f"flock /tmp/autodata-cpu.lock .venv/bin/python -m bench.{NAME} --rounds PATH... --label LABEL"


def measure(
    paths: list[Path],
    temperatures: list[float],
    preset_name: str = "default",
    sets: list[str] | None = None,
    limit: int | None = None,
    *,
    lms: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Answer every candidate once per temperature with the weak solver and judge it. `lms` (weak, judge)
    replace the configured models (tests)."""
    cfg, rows, _ = prepare(paths, weak_was_scored, preset_name, sets, limit, documents={})
    from experiments.lms.factory import build_lms
    from experiments.run.build import build_judge
    from metrics.scoring import exact_score
    from programs.records import Criterion
    from programs.solver import Solver

    lms = lms or build_lms(cfg.models, ("weak", "judge"))
    judge = build_judge(cfg, lms["judge"])
    solver = Solver()
    solver.set_lm(lms["weak"])
    out: list[dict[str, Any]] = []
    for row in rows:
        rubric = [Criterion(**c) for c in row["rubric"]]
        limit_mean = row["thresholds"]["weak_mean_max"]
        for t in temperatures:
            result: dict[str, Any] = {"doc_id": row["doc_id"], "temperature": t, "weak_mean_max": limit_mean}
            started = time.monotonic()
            try:
                answer = solver(row["context"], row["question"], 0, t)
                verdicts = judge(
                    row["question"], rubric, answer, context=row["context"], reference=row["reference_answer"]
                )
                result |= {"score": round(float(exact_score([c.weight for c in rubric], verdicts)), 6)}
                result |= {"verdicts": verdicts, "words": len(answer.split())}
            except Exception as exc:  # one failed call is one row with its error, not the end of the run
                result["error"] = error_text(exc)
            result["seconds"] = round(time.monotonic() - started, 1)
            print(
                f"{row['doc_id']} t={t}: {result['seconds']}s {result.get('score', result.get('error'))}",
                file=sys.stderr,
            )
            out.append(result)
    setting = {"rounds": [str(p) for p in paths], "preset": preset_name, "sets": sets or [], "candidates": len(rows)}
    setting |= {"weak": cfg.models.weak.model_dump(mode="json"), "graded": cfg.rubric.graded}
    return {**setting, "temperatures": temperatures, "rows": out, "summary": summarise(out)}


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per temperature: answers scored, errors, at 0, in the weak window, too good, mean score [95%]."""
    from metrics.intervals import estimate

    out: dict[str, dict[str, Any]] = {}
    for t, mine, done in groups(rows, "temperature"):
        out[str(t)] = {
            "n": len(done),
            "errors": len(mine) - len(done),
            "zero": sum(r["score"] == 0 for r in done),
            "window": sum(0 < r["score"] <= r["weak_mean_max"] for r in done),
            "too_good": sum(r["score"] > r["weak_mean_max"] for r in done),
            "mean": estimate([r["score"] for r in done]).to_dict(),
            "seconds_per_answer": mean_seconds(mine),
        }
    return out


def render(runs: dict[str, dict[str, Any]]) -> str:
    header = ["run", "commit", "temperature", "n", "errors", "score 0", "in window", "too good", "mean [95%]", "s"]
    table = []
    for label, run in runs.items():
        for t, s in run["summary"].items():
            e = s["mean"]
            table.append([label, run["commit"], t, s["n"], s["errors"], s["zero"], s["window"], s["too_good"]])
            table[-1].append(interval(e))
            table[-1].append(s["seconds_per_answer"])
    parts = [
        "Recorded candidates answered again by the weak solver, once per temperature, and scored by the preset's "
        "judge. `score 0`: the deployed rule ends the round; `in window`: above 0 and at most the weak-mean "
        "threshold; `too good`: above it.",
        md_table(header, table),
    ]
    for label, run in runs.items():
        cells = [
            [r["doc_id"], r["temperature"], r.get("score", "-"), r.get("words", "-"), r["seconds"]] for r in run["rows"]
        ]
        parts.append(
            f"## {label}\n\nCommand: `{run['command']}` at commit {run['commit']}; weak {run['weak']['model']} "
            f"(max_tokens {run['weak']['max_tokens']}), graded verdicts: {run['graded']}; {run['candidates']} "
            f"candidates; {run['seconds']:.0f} s in all.\n\n"
            + md_table(["doc", "temperature", "score", "words", "seconds"], cells)
        )
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = rounds_parser(__doc__.splitlines()[0])
    parser.add_argument("--temperatures", default="1.0,0.0", help="comma-separated (default: %(default)s)")
    args = parse_rounds_args(parser, argv)
    try:
        temperatures = [float(t) for t in args.temperatures.split(",") if t.strip()]
    except ValueError:
        parser.error(f"--temperatures {args.temperatures!r}: give numbers, e.g. 1.0,0.0")
    title = "The weak solver's sampling temperature on recorded candidates"
    run = functools.partial(measure, args.rounds, temperatures, args.preset, args.sets, args.candidates)
    measure_and_record(parser, NAME, title, COMMAND, args.label, argv, run, render, json.JSONDecodeError, KeyError)


if __name__ == "__main__":
    main()
