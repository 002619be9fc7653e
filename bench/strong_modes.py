"""Benchmark: the strong solver's modes on recorded candidates, with the weak side held fixed.

From recorded `rounds.jsonl` files it takes every distinct candidate (doc_id, question) that reached the
strong solver (its weak attempts were scored and passed the weak gate), in file order, and has the strong
solver answer it again in each `--modes` entry: `plain` (context and question only), `document` (the
paper open: `loop.strong_sees_document`) and `document+reasoning` (the same with a reasoning step first:
`loop.strong_reasoning`). Everything else is the preset's: the strong and judge models, samples,
sampling temperature, judge protocol (anchored on the candidate's context and reference, read once per
rubric and shared by the modes), LM cache off. Each mode's scores are put through the acceptance rule
with the round's recorded weak scores and thresholds, so the report says how many of these rounds each
mode would have accepted, and why the others fail. A failed call is a row with its error, left out of the
figures. Not measured: the challenger, the verifier, the weak solver (its recorded verdicts are reused).
Runs are kept by `--label` in bench/reports/strong_modes.json (same label: replaced); the .md shows all.

Run (one strong answer and its judging per candidate and mode, 30-120 s each on two cores):
  flock /tmp/autodata-cpu.lock .venv/bin/python -m bench.strong_modes \\
      --rounds docs/results/demo-default-2/rounds.jsonl --label demo2
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
    distinct_rounds,
    groups,
    interval,
    mean_seconds,
    parse_rounds_args,
    prepare,
    rounds_parser,
    rule_of,
    weak_was_scored,
)

NAME = "strong_modes"
COMMAND = f"flock /tmp/autodata-cpu.lock .venv/bin/python -m bench.{NAME} --rounds PATH... --label LABEL"
MODES = {"plain": (False, False), "document": (True, False), "document+reasoning": (True, True)}


def _reached_strong(row: dict[str, Any]) -> bool:
    return bool(row.get("strong")) and weak_was_scored(row)


def reached_strong(paths: list[Path]) -> list[dict[str, Any]]:
    """The distinct recorded rounds (by doc_id and question) whose strong solver was called, in file order."""
    return distinct_rounds(paths, _reached_strong)


def measure(
    paths: list[Path],
    preset_name: str = "default",
    sets: list[str] | None = None,
    modes: list[str] | None = None,
    limit: int | None = None,
    *,
    lms: Mapping[str, Any] | None = None,
    documents: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Answer and judge every candidate in every mode. `lms` (strong, judge) and `documents` (doc_id ->
    text) replace the configured models and the corpus (tests)."""
    cfg, rows, documents = prepare(paths, _reached_strong, preset_name, sets, limit, documents)
    from experiments.lms.factory import build_lms
    from experiments.run.build import build_judge
    from metrics.acceptance import Thresholds, decide
    from metrics.scoring import exact_score
    from programs.records import Candidate, Criterion
    from programs.solver import Solver

    lms = lms or build_lms(cfg.models, ("strong", "judge"))
    judge = build_judge(cfg, lms["judge"])
    out: list[dict[str, Any]] = []
    for mode in modes or list(MODES):
        sees_document, reasoning = MODES[mode]
        solver = Solver(reasoning=reasoning, sees_document=sees_document)
        solver.set_lm(lms["strong"])
        for row in rows:
            rubric = [Criterion(**c) for c in row["rubric"]]
            fields = ("context", "question", "reference_answer")
            candidate = Candidate(rubric=rubric, **{k: row[k] for k in fields})
            result: dict[str, Any] = {"doc_id": row["doc_id"], "mode": mode, "recorded": row["strong_mean"]}
            started = time.monotonic()
            weights, document = [c.weight for c in rubric], documents.get(row["doc_id"], "")
            try:
                scores, words = [], []
                for sample in range(cfg.loop.n_samples):
                    answer = solver(
                        candidate.context, candidate.question, sample, cfg.loop.sample_temperature, document=document
                    )
                    verdicts = judge(
                        candidate.question,
                        rubric,
                        answer,
                        context=candidate.context,
                        reference=candidate.reference_answer,
                    )
                    scores.append(exact_score(weights, verdicts))
                    words.append(len(answer.split()))
            except Exception as exc:  # one failed call is one row with its error, not the end of the run
                result["error"] = error_text(exc)
            else:
                weak = [exact_score(weights, a["verdicts"]) for a in row["weak"] if a.get("score") is not None]
                decision = decide(Thresholds(**row["thresholds"]), weak, scores)
                result |= {"scores": [round(float(s), 6) for s in scores], "strong_mean": decision.strong_mean}
                result |= {"weak_mean": decision.weak_mean, "accepted": decision.accepted, "detail": decision.detail}
                result |= {"rule": rule_of(decision.detail), "answer_words": words}
            result["seconds"] = round(time.monotonic() - started, 1)
            print(
                f"{mode} {row['doc_id']}: {result['seconds']}s {result.get('detail') or result['error']}",
                file=sys.stderr,
            )
            out.append(result)
    missing = sorted({r["doc_id"] for r in rows} - set(documents))
    setting = {"rounds": [str(p) for p in paths], "preset": preset_name, "sets": sets or [], "candidates": len(rows)}
    setting |= {"strong": cfg.models.strong.model_dump(mode="json"), "judge": cfg.judge.model_dump(mode="json")}
    setting |= {"n_samples": cfg.loop.n_samples, "documents_missing": missing}
    return {**setting, "rows": out, "summary": summarise(out)}


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per mode: answered and failed candidates, strong mean with its interval, how many score 0 or reach
    the 0.95 cap, accepted (of answered), the rules that rejected the rest, seconds per candidate."""
    from metrics.intervals import estimate

    out: dict[str, dict[str, Any]] = {}
    for mode, mine, done in groups(rows, "mode"):
        means = [r["strong_mean"] for r in done]
        out[mode] = {
            "n": len(done),
            "errors": len(mine) - len(done),
            "strong_mean": estimate(means).to_dict(),
            "zero": sum(m == 0 for m in means),
            "at_cap": sum(m >= 0.95 for m in means),
            "accepted": sum(r["accepted"] for r in done),
            "rejected_by": dict(Counter(r["rule"] for r in done if not r["accepted"])),
            "seconds_per_candidate": mean_seconds(mine),
        }
    return out


def render(runs: dict[str, dict[str, Any]]) -> str:
    header = ["run", "commit", "mode", "n", "errors", "strong mean [95%]", "zero", ">= 0.95", "accepted", "s / cand."]
    table = []
    for label, run in runs.items():
        for mode, s in run["summary"].items():
            e = s["strong_mean"]
            row = [label, run["commit"], mode, s["n"], s["errors"], interval(e), s["zero"], s["at_cap"], s["accepted"]]
            table.append([*row, s["seconds_per_candidate"]])
    parts = [
        "Recorded candidates that reached the strong solver, answered again by it in each mode and judged by the "
        "preset's judge; `accepted` puts the new strong scores through the acceptance rule with the round's recorded "
        "weak scores and thresholds. `zero`: candidates whose strong mean is 0; `>= 0.95`: at the deployed cap.",
        md_table(header, table),
    ]
    for label, run in runs.items():
        cells = [
            [r["doc_id"], r["mode"], r["recorded"], r.get("strong_mean", "-"), r.get("weak_mean", "-"),
             r.get("answer_words", "-"), r["seconds"], (r.get("detail") or r.get("error", "")).replace("|", "/")]
            for r in run["rows"]
        ]  # fmt: skip
        s = run["strong"]
        parts.append(
            f"## {label}\n\nCommand: `{run['command']}` at commit {run['commit']}; strong {s['model']} (max_tokens "
            f"{s['max_tokens']}), judge protocol {run['judge']['protocol']}, {run['n_samples']} sample(s); "
            f"{run['candidates']} candidates; documents missing: {run['documents_missing'] or 'none'}; "
            f"{run['seconds']:.0f} s in all.\n\n"
            + md_table(["doc", "mode", "recorded strong", "strong", "weak", "words", "seconds", "decision"], cells)
        )
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = rounds_parser(__doc__.splitlines()[0])
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of: {', '.join(MODES)}")
    args = parse_rounds_args(parser, argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if unknown := [m for m in modes if m not in MODES]:
        parser.error(f"--modes: unknown mode {unknown[0]!r}; choose from {', '.join(MODES)}")
    title = "The strong solver's modes on recorded candidates"
    run = functools.partial(measure, args.rounds, args.preset, args.sets, modes, args.candidates)
    measure_and_record(parser, NAME, title, COMMAND, args.label, argv, run, render, json.JSONDecodeError, KeyError)


if __name__ == "__main__":
    main()
