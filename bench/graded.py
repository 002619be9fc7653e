"""Benchmark: binary versus graded verdicts of the anchored probability judge, on recorded candidates.

From recorded `rounds.jsonl` files it takes every distinct candidate (doc_id, question) whose weak
attempts were scored. For each, the judge reads the anchors once and every answer once, and each read
becomes two verdicts: binary (a point is met from halfway between the context's level and the
reference's) and graded (`rubric.graded`: 0.5 from halfway, 1 from the reference's level; penalty items
stay 0/1). Both verdict sets go through the round's recorded acceptance rule (weak gate, then decision),
so the report says how many of the same candidates each mode accepts, and why the others fail. The weak
side is the recorded weak answers. The strong side is the recorded strong answers when the round called
the strong solver; otherwise (the weak gate stopped the round) a new strong answer in the preset's strong
mode, drawn only when some mode's weak side passes the gate. Graded verdicts never exceed binary ones,
so a candidate whose weak attempt scored 0 is rejected by both without any call. Everything else is the
preset's (judge and strong models, strong mode, sampling temperature); LM cache off. A failed call is a
row with its error, left out of the figures. Runs are kept by `--label` in bench/reports/graded.json.

Run (anchors plus one read per answer, 20-90 s per candidate on two cores):
  flock /tmp/autodata-cpu.lock .venv/bin/python -m bench.graded --rounds docs/results/*/rounds.jsonl --label recorded
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.common import error_text, md_table
from bench.recorded import StrongAnswers, distinct_rounds, plain_main, prepare, rule_of, weak_was_scored

NAME = "graded"
COMMAND = f"flock /tmp/autodata-cpu.lock .venv/bin/python -m bench.{NAME} --rounds PATH... --label LABEL"
MODES = ("binary", "graded")


def weak_scored(paths: list[Path]) -> list[dict[str, Any]]:
    """The distinct recorded rounds (by doc_id and question) whose weak attempts were scored, in file order."""
    return distinct_rounds(paths, weak_was_scored)


def _scores(
    judge: Any, question: str, rubric: list[Any], anchors: list[Any], answers: list[str], reads: dict, graded: bool
) -> list[Any]:
    """Exact scores of `answers`, each read once (kept in `reads`) and turned into binary or graded verdicts."""
    from metrics.scoring import exact_score
    from programs.judge_probability import anchored_verdict, logit

    for a in answers:
        if a not in reads:
            reads[a] = [logit(p) for p in judge.read(question, rubric, a)]
    weights = [c.weight for c in rubric]
    return [
        exact_score(
            weights,
            [anchored_verdict(v, n, c.is_penalty, graded) for v, n, c in zip(reads[a], anchors, rubric, strict=True)],
        )
        for a in answers
    ]


def measure(
    paths: list[Path],
    preset_name: str = "default",
    sets: list[str] | None = None,
    limit: int | None = None,
    *,
    lms: Mapping[str, Any] | None = None,
    documents: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Judge every candidate's answers in both modes and decide. `lms` (strong, judge) and `documents`
    (doc_id -> text) replace the configured models and the corpus (tests)."""
    cfg, rows, documents = prepare(paths, weak_was_scored, preset_name, sets, limit, documents)
    from experiments.lms.factory import build_lms
    from metrics.acceptance import Thresholds, decide, weak_gate
    from programs.judge_probability import ProbabilityJudge
    from programs.records import Criterion
    from programs.solver import Solver

    if cfg.judge.protocol != "probability" or cfg.judge.calibration != "anchored":
        raise SystemExit("bench.graded compares the anchored probability judge's two verdict scales; set that judge")
    lms = lms or build_lms(cfg.models, ("strong", "judge"))
    judge = ProbabilityJudge(top_logprobs=cfg.judge.top_logprobs)
    judge.set_lm(lms["judge"])
    solver = Solver(reasoning=cfg.loop.strong_reasoning, sees_document=cfg.loop.strong_sees_document)
    solver.set_lm(lms["strong"])
    out: list[dict[str, Any]] = []
    for row in rows:
        rubric = [Criterion(**c) for c in row["rubric"]]
        t = Thresholds(**row["thresholds"])
        result: dict[str, Any] = {"doc_id": row["doc_id"], "recorded": row["reason"]}
        started = time.monotonic()
        recorded_weak = [a for a in row["weak"] if a.get("score") is not None]
        weak_answers = [a["answer"] for a in recorded_weak]
        zero_gate = weak_gate(t, [0.0] * len(recorded_weak))
        if zero_gate is not None and all(a["score"] == 0 for a in recorded_weak):
            result |= {m: {"accepted": False, "rule": rule_of(zero_gate.detail), "weak_mean": 0.0} for m in MODES}
            out.append(result | {"strong_source": "none", "seconds": 0.0})
            continue
        try:
            anchors = judge.anchors(row["question"], rubric, row["context"], row["reference_answer"])
            if anchors is None:
                raise ValueError("no anchors: the candidate has no context or reference answer")

            reads: dict[str, list[float]] = {}

            def scores(answers: list[str], graded: bool) -> list[Any]:
                return _scores(judge, row["question"], rubric, anchors, answers, reads, graded)  # noqa: B023

            weak = {m: scores(weak_answers, m == "graded") for m in MODES}
            # The binary re-read should give back the recorded weak scores (same judge, greedy reads).
            result["weak_as_recorded"] = [round(float(x), 6) for x in weak["binary"]] == [
                round(a["score"], 6) for a in recorded_weak
            ]
            gates = {m: weak_gate(t, weak[m]) for m in MODES}
            strong = StrongAnswers(row, documents.get(row["doc_id"], ""), solver, cfg.loop.sample_temperature)
            for m in MODES:
                d = gates[m] or decide(t, weak[m], scores(strong(), m == "graded"))
                result[m] = {"accepted": d.accepted, "rule": rule_of(d.detail), "weak_mean": d.weak_mean}
                result[m] |= {"strong_mean": d.strong_mean, "gap": d.gap}
            result["strong_source"] = strong.source
        except Exception as exc:  # one failed call is one row with its error, not the end of the run
            result["error"] = error_text(exc)
        result["seconds"] = round(time.monotonic() - started, 1)
        said = {m: result[m]["rule"] for m in MODES if m in result}
        print(f"{row['doc_id']}: {result['seconds']}s {said or result.get('error')}", file=sys.stderr)
        out.append(result)
    setting = {"rounds": [str(p) for p in paths], "preset": preset_name, "sets": sets or [], "candidates": len(rows)}
    setting |= {"strong": cfg.models.strong.model_dump(mode="json"), "judge": cfg.models.judge.model_dump(mode="json")}
    setting |= {"strong_sees_document": cfg.loop.strong_sees_document, "temperature": cfg.loop.sample_temperature}
    return {**setting, "rows": out, "summary": summarise(out)}


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per mode: candidates decided, accepted, the rules that rejected the rest; and the paired counts."""
    done = [r for r in rows if "error" not in r]
    out: dict[str, dict[str, Any]] = {}
    for m in MODES:
        out[m] = {
            "n": len(done),
            "accepted": sum(r[m]["accepted"] for r in done),
            "rejected_by": dict(Counter(r[m]["rule"] for r in done if not r[m]["accepted"])),
        }
    out["paired"] = {
        "errors": len(rows) - len(done),
        "only_binary": sum(r["binary"]["accepted"] and not r["graded"]["accepted"] for r in done),
        "only_graded": sum(r["graded"]["accepted"] and not r["binary"]["accepted"] for r in done),
        "new_strong_answers": sum(r["strong_source"] == "new" for r in done),
        "weak_rereads_differing": sum(r.get("weak_as_recorded") is False for r in done),
    }
    return out


def render(runs: dict[str, dict[str, Any]]) -> str:
    header = ["run", "commit", "candidates", "errors", "accepted, binary", "accepted, graded", "only binary"]
    header += ["only graded", "new strong answers", "weak re-reads differing"]
    table = []
    for label, run in runs.items():
        s, p = run["summary"], run["summary"]["paired"]
        table.append([label, run["commit"], s["binary"]["n"], p["errors"], s["binary"]["accepted"]])
        table[-1] += [s["graded"]["accepted"], p["only_binary"], p["only_graded"], p["new_strong_answers"]]
        table[-1] += [p["weak_rereads_differing"]]
    parts = [
        "The same recorded candidates and answers, judged once by the anchored probability judge and put through "
        "the acceptance rule with binary and with graded verdicts. `only binary` / `only graded`: candidates "
        "accepted in one mode and not the other. New strong answers were drawn where the recorded round stopped "
        "at the weak gate. `weak re-reads differing`: candidates whose binary weak scores on re-reading differ "
        "from the recorded ones.",
        md_table(header, table),
    ]
    for label, run in runs.items():
        cells = []
        for r in run["rows"]:
            modes = [r.get(m, {}) for m in MODES]
            decided = [f"{'ACCEPT' if d.get('accepted') else d.get('rule', '-')}" for d in modes]
            means = [f"{d.get('weak_mean', '-')} / {d.get('strong_mean', '-')}" for d in modes]
            cells.append([r["doc_id"], r["recorded"], *means, *decided, r.get("strong_source", "-"), r["seconds"]])
        parts.append(
            f"## {label}\n\nCommand: `{run['command']}` at commit {run['commit']}; judge {run['judge']['model']}, "
            f"strong {run['strong']['model']} (paper open: {run['strong_sees_document']}, temperature "
            f"{run['temperature']}); {run['candidates']} candidates; {run['seconds']:.0f} s in all.\n\n"
            + md_table(
                ["doc", "recorded", "binary weak / strong", "graded weak / strong", "binary", "graded", "strong", "s"],
                [[str(c).replace("|", "/") for c in row] for row in cells],
            )
        )
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    title = "Binary versus graded verdicts on recorded candidates"
    plain_main(__doc__, NAME, title, COMMAND, measure, render, argv)


if __name__ == "__main__":
    main()
