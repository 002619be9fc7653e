"""Benchmark: the probability and the likelihood judge on the same recorded candidates, decided.

From recorded `rounds.jsonl` files it takes every distinct candidate (doc_id, question) whose weak
attempts were scored. Each protocol's judge (anchored, graded as the preset says) then judges, as the
loop would: the sanity check (the reference answer at least 0.60 under its own rubric, the generic
off-topic answer at most 0.30), the recorded weak answers and the round's weak gate, and, past the gate,
the strong answers and the acceptance decision under the round's recorded thresholds. The strong answers
are the recorded ones when the round called the strong solver; otherwise one set is drawn, in the
preset's strong mode, when some protocol's weak side passes, and both protocols judge that same set. So
the report says which of the same candidates and answers each judge would accept, and why it rejects
the rest; the judges' agreement with graders is docs/judging.md's business. LM cache off; a failed call
is a row with its error, left out of the figures. Runs are kept by `--label` in
bench/reports/judge_protocols.json.

Run (two judges on every candidate, 1-2 minutes per candidate on two cores):
  flock /tmp/autodata-cpu.lock .venv/bin/python -m bench.judge_protocols \\
      --rounds docs/results/demo-default-*/rounds.jsonl --candidates 30 --label demos
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

from bench.common import error_text, md_table
from bench.recorded import StrongAnswers, plain_main, prepare, rule_of, weak_was_scored

NAME = "judge_protocols"
COMMAND = f"flock /tmp/autodata-cpu.lock .venv/bin/python -m bench.{NAME} --rounds PATH... --label LABEL"
PROTOCOLS = ("probability", "likelihood")


def _judge_round(judge: Any, policy: Any, row: dict[str, Any], strong: Any) -> dict[str, Any]:
    """One protocol's decision on one recorded candidate; `strong()` gives the strong answers."""
    from programs.loop import OFFTOPIC_ANSWER
    from programs.records import Criterion

    rubric = [Criterion(**c) for c in row["rubric"]]
    anchors = {"context": row["context"], "reference": row["reference_answer"]}

    def score(answer: str) -> float:
        return float(policy.exact_score(rubric, judge(row["question"], rubric, answer, **anchors)))

    sanity = policy.sanity_problem(score(row["reference_answer"]), score(OFFTOPIC_ANSWER))
    if sanity:
        return {"accepted": False, "rule": "sanity: " + rule_of(sanity.split(":")[0])}
    weak = [score(a["answer"]) for a in row["weak"] if a.get("score") is not None]
    gate = policy.weak_gate(weak)
    if gate is not None:
        return {"accepted": False, "rule": rule_of(gate.detail), "weak_mean": gate.weak_mean}
    d = policy.decide(weak, [score(a) for a in strong()])
    return {"accepted": d.accepted, "rule": rule_of(d.detail), "weak_mean": d.weak_mean, "strong_mean": d.strong_mean}


def measure(
    paths: list[Any],
    preset_name: str = "default",
    sets: list[str] | None = None,
    limit: int | None = None,
    *,
    lms: Mapping[str, Any] | None = None,
    documents: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Decide every candidate with each protocol's judge. `lms` (strong, judge) and `documents` (doc_id ->
    text) replace the configured models and the corpus (tests)."""
    cfg, rows, documents = prepare(paths, weak_was_scored, preset_name, sets, limit, documents)
    from experiments.lms.factory import build_lms
    from experiments.run.build import build_judge
    from metrics.acceptance import Thresholds
    from metrics.policy import HarnessPolicy
    from programs.solver import Solver

    lms = lms or build_lms(cfg.models, ("strong", "judge"))
    judges = {
        p: build_judge(cfg.model_copy(update={"judge": cfg.judge.model_copy(update={"protocol": p})}), lms["judge"])
        for p in PROTOCOLS
    }
    solver = Solver(reasoning=cfg.loop.strong_reasoning, sees_document=cfg.loop.strong_sees_document)
    solver.set_lm(lms["strong"])
    out: list[dict[str, Any]] = []
    for row in rows:
        policy = HarnessPolicy(cfg.rubric, Thresholds(**row["thresholds"]))
        result: dict[str, Any] = {"doc_id": row["doc_id"], "recorded": row["reason"]}
        strong = StrongAnswers(row, documents.get(row["doc_id"], ""), solver, cfg.loop.sample_temperature)
        started = time.monotonic()
        try:
            for protocol in PROTOCOLS:
                result[protocol] = _judge_round(judges[protocol], policy, row, strong)
            result["strong_source"] = strong.source
        except Exception as exc:  # one failed call is one row with its error, not the end of the run
            result["error"] = error_text(exc)
        result["seconds"] = round(time.monotonic() - started, 1)
        said = {p: result[p]["rule"] for p in PROTOCOLS if p in result}
        print(f"{row['doc_id']}: {result['seconds']}s {said or result.get('error')}", file=sys.stderr)
        out.append(result)
    setting = {"rounds": [str(p) for p in paths], "preset": preset_name, "sets": sets or [], "candidates": len(rows)}
    setting |= {"strong": cfg.models.strong.model_dump(mode="json"), "judge": cfg.models.judge.model_dump(mode="json")}
    setting |= {"graded": cfg.rubric.graded, "strong_sees_document": cfg.loop.strong_sees_document}
    return {**setting, "rows": out, "summary": summarise(out)}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per protocol: candidates decided, accepted, the rules that rejected the rest; and the paired counts."""
    done = [r for r in rows if "error" not in r]
    out: dict[str, Any] = {
        p: {
            "n": len(done),
            "accepted": sum(r[p]["accepted"] for r in done),
            "rejected_by": dict(Counter(r[p]["rule"] for r in done if not r[p]["accepted"])),
        }
        for p in PROTOCOLS
    }
    a, b = PROTOCOLS
    out["paired"] = {
        "errors": len(rows) - len(done),
        f"only_{a}": sum(r[a]["accepted"] and not r[b]["accepted"] for r in done),
        f"only_{b}": sum(r[b]["accepted"] and not r[a]["accepted"] for r in done),
        "new_strong_answers": sum(r["strong_source"] == "new" for r in done),
    }
    return out


def render(runs: dict[str, dict[str, Any]]) -> str:
    a, b = PROTOCOLS
    header = ["run", "commit", "candidates", "errors", f"accepted, {a}", f"accepted, {b}", f"only {a}", f"only {b}"]
    table = []
    for label, run in runs.items():
        s, p = run["summary"], run["summary"]["paired"]
        table.append([label, run["commit"], s[a]["n"], p["errors"], s[a]["accepted"], s[b]["accepted"]])
        table[-1] += [p[f"only_{a}"], p[f"only_{b}"]]
    parts = [
        "The same recorded candidates and answers, judged by the anchored probability and the likelihood judge "
        "and put through the loop's sanity check, weak gate and acceptance rule. `only X`: accepted with that "
        "judge and not the other.",
        md_table(header, table),
    ]
    for label, run in runs.items():
        cells = []
        for r in run["rows"]:
            decided = [r.get(p, {}) for p in PROTOCOLS]
            shown = ["ACCEPT" if d.get("accepted") else d.get("rule", r.get("error", "-")) for d in decided]
            means = [f"{d.get('weak_mean', '-')} / {d.get('strong_mean', '-')}" for d in decided]
            cells.append([r["doc_id"], r["recorded"], *means, *shown, r.get("strong_source", "-"), r["seconds"]])
        parts.append(
            f"## {label}\n\nCommand: `{run['command']}` at commit {run['commit']}; judge {run['judge']['model']} "
            f"(graded: {run['graded']}), strong {run['strong']['model']} (paper open: {run['strong_sees_document']}); "
            f"{run['candidates']} candidates; {run['seconds']:.0f} s in all.\n\n"
            + md_table(
                ["doc", "recorded", f"{a} weak / strong", f"{b} weak / strong", a, b, "strong", "s"],
                [[str(c).replace("|", "/") for c in row] for row in cells],
            )
        )
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    title = "The probability and the likelihood judge on recorded candidates"
    plain_main(__doc__, NAME, title, COMMAND, measure, render, argv)


if __name__ == "__main__":
    main()
