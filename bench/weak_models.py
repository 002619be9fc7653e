"""Benchmark: which model should play the weak solver, on recorded candidates, decided against one strong side.

The `deployed` rule rejects a round when any weak attempt scores 0, or when the weak side does too well, so
the weak model decides how many rounds can be accepted at all. This takes every distinct recorded candidate
(doc_id, question) whose weak attempts were scored, in file order, and answers it afresh: the preset's strong
solver once (its samples, mode and temperature: the paper open when `loop.strong_sees_document`), then each
`--weak-models` entry as the weak solver (the preset's samples and temperature, context and question only).
The preset's judge scores every answer (anchored reads are made once per rubric and shared), and each weak
model's scores go through the round's recorded thresholds with the same strong scores, so the models are
compared on the same candidates and the same strong answers (paired). Not measured: the challenger and the
verifier. LM cache off. Runs are kept by `--label` in bench/reports/weak_models.json.

Run (per candidate one strong answer, one weak answer per model and their reads: 30-60 s on two cores):
  flock /tmp/autodata-cpu.lock .venv/bin/python -m bench.weak_models --rounds PATH... --label LABEL \\
      --weak-models embedded/qwen2.5-coder-0.5b,embedded/qwen2.5-coder-1.5b
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.common import error_text, md_table, measure_and_record
from bench.recorded import (
    groups,
    interval,
    mean_seconds,
    parse_rounds_args,
    prepare,
    rounds_parser,
    rule_of,
    weak_was_scored,
)

NAME = "weak_models"
COMMAND = f"flock /tmp/autodata-cpu.lock .venv/bin/python -m bench.{NAME} --rounds PATH... --label LABEL"


def measure(
    paths: list[Path],
    weak_models: list[str],
    preset_name: str = "default",
    sets: list[str] | None = None,
    limit: int | None = None,
    *,
    lms: Mapping[str, Any] | None = None,
    documents: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Answer every candidate with the strong solver and each weak model, judge, decide. `lms` ("strong",
    "judge" and one entry per weak model name) and `documents` (doc_id -> text) replace the configured
    models and the corpus (tests)."""
    cfg, rows, documents = prepare(paths, weak_was_scored, preset_name, sets, limit, documents)
    from experiments.lms.factory import build_lms
    from experiments.presets import preset
    from experiments.run.build import build_judge
    from experiments.run.overrides import build_config
    from metrics.acceptance import Thresholds, decide
    from programs.records import Criterion
    from programs.solver import Solver

    if lms is None:
        lms = dict(build_lms(cfg.models, ("strong", "judge")))
        for name in weak_models:
            models = build_config(preset(preset_name), [*(sets or []), f"models.weak.model={name}"]).models
            lms[name] = build_lms(models, ("weak",))["weak"]
    judge = build_judge(cfg, lms["judge"])
    strong = Solver(reasoning=cfg.loop.strong_reasoning, sees_document=cfg.loop.strong_sees_document)
    strong.set_lm(lms["strong"])
    weak: dict[str, Any] = {}
    for name in weak_models:
        weak[name] = Solver()
        weak[name].set_lm(lms[name])
    t, n = cfg.loop.sample_temperature, cfg.loop.n_samples
    out: list[dict[str, Any]] = []
    for row in rows:
        rubric = [Criterion(**c) for c in row["rubric"]]
        scores = functools.partial(_scores, judge, row, rubric, t, n)
        base = {"doc_id": row["doc_id"], "question": row["question"][:120]}
        started = time.monotonic()
        try:
            strong_scores = scores(strong, documents.get(row["doc_id"], ""))
        except Exception as exc:  # one failed call is one row with its error, not the end of the run
            error = error_text(exc)
            out += [base | {"weak_model": name, "error": error, "seconds": 0.0} for name in weak_models]
            continue
        strong_seconds = time.monotonic() - started
        for name in weak_models:
            result: dict[str, Any] = base | {"weak_model": name}
            started = time.monotonic()
            try:
                weak_scores = scores(weak[name])
            except Exception as exc:
                result["error"] = error_text(exc)
            else:
                thresholds = Thresholds(**row["thresholds"])
                decision = decide(thresholds, weak_scores, strong_scores)
                result |= {"weak": [round(float(s), 6) for s in weak_scores], "weak_mean": decision.weak_mean}
                result |= {"strong": [round(float(s), 6) for s in strong_scores], "strong_mean": decision.strong_mean}
                result |= {"weak_mean_max": thresholds.weak_mean_max, "accepted": decision.accepted}
                result |= {"detail": decision.detail, "rule": rule_of(decision.detail)}
            result["seconds"] = round(time.monotonic() - started + strong_seconds / len(weak_models), 1)
            print(
                f"{name} {row['doc_id']}: {result['seconds']}s {result.get('detail', result.get('error'))}",
                file=sys.stderr,
            )
            out.append(result)
    setting = {"rounds": [str(p) for p in paths], "preset": preset_name, "sets": sets or [], "candidates": len(rows)}
    setting |= {"strong": cfg.models.strong.model_dump(mode="json"), "judge": cfg.judge.model_dump(mode="json")}
    setting |= {"n_samples": n, "temperature": t, "strong_sees_document": cfg.loop.strong_sees_document}
    return {**setting, "graded": cfg.rubric.graded, "weak_models": weak_models, "rows": out, "summary": summarise(out)}


def _scores(
    judge: Any, row: dict[str, Any], rubric: list[Any], t: float, n: int, solver: Any, document: str = ""
) -> list[Any]:
    """Exact scores of `n` answers by `solver` to the recorded candidate `row`, at temperature `t`."""
    from metrics.scoring import exact_score

    context, question, reference = row["context"], row["question"], row["reference_answer"]
    answers = [solver(context, question, s, t, document=document) for s in range(n)]
    verdicts = [judge(question, rubric, a, context=context, reference=reference) for a in answers]
    return [exact_score([c.weight for c in rubric], v) for v in verdicts]


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per weak model: candidates decided, errors, candidates with a weak attempt at 0, with a weak mean in
    the window (above 0, at most the threshold) or above it, the weak mean, accepted, the rejecting rules."""
    from metrics.intervals import estimate

    out: dict[str, dict[str, Any]] = {}
    for name, mine, done in groups(rows, "weak_model"):
        out[name] = {
            "n": len(done),
            "errors": len(mine) - len(done),
            "zero": sum(0 in r["weak"] for r in done),
            "window": sum(0 not in r["weak"] and r["weak_mean"] <= r["weak_mean_max"] for r in done),
            "too_good": sum(r["weak_mean"] > r["weak_mean_max"] for r in done),
            "weak_mean": estimate([r["weak_mean"] for r in done]).to_dict(),
            "accepted": sum(r["accepted"] for r in done),
            "rejected_by": dict(Counter(r["rule"] for r in done if not r["accepted"])),
            "seconds_per_candidate": mean_seconds(mine),
        }
    return out


def render(runs: dict[str, dict[str, Any]]) -> str:
    header = ["run", "commit", "weak model", "n", "errors", "an attempt at 0", "in window", "too good"]
    header += ["weak mean [95%]", "accepted", "s / cand."]
    table = []
    for label, run in runs.items():
        for name, s in run["summary"].items():
            table.append([label, run["commit"], name, s["n"], s["errors"], s["zero"], s["window"], s["too_good"]])
            table[-1] += [interval(s["weak_mean"]), s["accepted"], s["seconds_per_candidate"]]
    parts = [
        "Recorded candidates answered afresh by the preset's strong solver and by each weak model, judged by the "
        "preset's judge and decided with the round's thresholds (the same strong answers for every weak model). "
        "`an attempt at 0`: the deployed rule rejects; `in window`: no attempt at 0 and the weak mean at most "
        "the threshold; `too good`: above it.",
        md_table(header, table),
    ]
    for label, run in runs.items():
        cells = [
            [r["doc_id"], r["weak_model"], r.get("weak", "-"), r.get("strong", "-"), r["seconds"],
             (r.get("detail") or r.get("error", "")).replace("|", "/")]
            for r in run["rows"]
        ]  # fmt: skip
        s = run["strong"]
        parts.append(
            f"## {label}\n\nCommand: `{run['command']}` at commit {run['commit']}; strong {s['model']} (paper open: "
            f"{run['strong_sees_document']}), judge protocol {run['judge']['protocol']} (graded: {run['graded']}), "
            f"{run['n_samples']} sample(s) at temperature {run['temperature']}; {run['candidates']} candidates; "
            f"{run['seconds']:.0f} s in all.\n\n"
            + md_table(["doc", "weak model", "weak", "strong", "seconds", "decision"], cells)
        )
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = rounds_parser(__doc__.splitlines()[0])
    parser.add_argument("--weak-models", required=True, help="comma-separated model strings, e.g. embedded/...")
    args = parse_rounds_args(parser, argv)
    names = list(dict.fromkeys(m.strip() for m in args.weak_models.split(",") if m.strip()))
    if not names:
        parser.error("--weak-models: give at least one model string")
    title = "Which model should play the weak solver, on recorded candidates"
    run = functools.partial(measure, args.rounds, names, args.preset, args.sets, args.candidates)
    measure_and_record(parser, NAME, title, COMMAND, args.label, argv, run, render, json.JSONDecodeError, KeyError)


if __name__ == "__main__":
    main()
