"""Benchmark: how many challenger candidates break the rubric structure, on the default preset's challenger.

One challenger call per paper (no feedback, as in a first round) with the default preset's challenger
model, temperature, max_tokens and rubric structure, on the first `--papers` test papers of the default
preset's corpus (aclsum, its max_chars, its seed; the test split is widened to `--papers`). Each reply is
checked by `metrics.rubric_checks.check_rubric`; a reply that does not parse counts as a failure of its
own kind. Per-paper sampling seeds are fixed (`--seed` + paper index), so a run is repeatable on the same
code and machine. The program is built exactly as the harness builds it (`build_program`), so the same
script measures the code as it was before and after constrained rubric decoding. Every run is kept under
its `--label` in bench/reports/rubric_structure.json (a rerun with the same label replaces it), and the
.md report shows all runs. It does not run the verifier, the solvers or the judge.

Run (the CPU is shared; one call takes 30-60 s):
  flock /tmp/autodata-cpu.lock .venv/bin/python -m bench.rubric_structure --label before
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from typing import Any

from bench.common import machine, md_table, record_run, setup_env

NAME = "rubric_structure"
COMMAND = "flock /tmp/autodata-cpu.lock .venv/bin/python -m bench.rubric_structure"
# Problem kinds, from check_rubric's messages; "count" and "weight" are the structural rules.
KINDS = (
    ("count", re.compile(r"^\d+ (positive|penalty) criteria")),
    ("weight", re.compile(r"weights .* exceed the cap")),
    ("duplicate", re.compile(r"^duplicate criterion")),
    ("generic", re.compile(r"^generic criterion")),
    ("grades_question", re.compile(r"^criterion grades the question")),
    ("about_source", re.compile(r"^criterion describes the paper")),
    ("too_short", re.compile(r"^criterion too short")),
    ("empty", re.compile(r"^empty (question|reference answer)")),
)
STRUCTURAL = ("count", "weight")


def kind_of(problem: str) -> str:
    return next((kind for kind, pattern in KINDS if pattern.search(problem)), "other")


def measure(papers: int, seed: int) -> dict[str, Any]:
    setup_env()
    from experiments.corpus import load_splits
    from experiments.lms.factory import build_lm
    from experiments.presets import preset
    from experiments.run.build import build_program, configure_dspy
    from experiments.run.overrides import build_config
    from metrics.rubric_checks import check_rubric

    cfg = build_config(preset("default"))
    corpus = cfg.corpus.model_copy(update={"n_test": papers})
    documents = load_splits(corpus)[0]["test"]
    configure_dspy(cfg, use_cache=False)
    program = build_program(cfg)
    structure = program.policy.structure
    lm = build_lm("challenger", cfg.models.challenger, cfg.models)
    rows = []
    for index, doc in enumerate(documents):
        program.challenger.set_lm(lm.copy(seed=seed + index))
        started, row = time.monotonic(), {"doc_id": doc.id, "seed": seed + index}
        try:
            candidate = program.challenger(doc.text, structure.render(), "")
        except Exception as exc:  # a reply that does not parse is one measured outcome, not a crash
            row.update(parsed=False, problems=[f"unparsed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"])
        else:
            problems = check_rubric(candidate, structure)
            row.update(parsed=True, problems=problems, weights=candidate.weights, question=candidate.question)
            row["rubric"] = [[c.weight, c.criterion] for c in candidate.rubric]
        history = program.challenger.generate.lm.history
        if history:
            row["completion_tokens"] = (history[-1].get("usage") or {}).get("completion_tokens")
        row["kinds"] = sorted({"unparsed" if not row["parsed"] else kind_of(p) for p in row["problems"]})
        row["seconds"] = round(time.monotonic() - started, 1)
        print(f"{doc.id}: {row['seconds']}s {row['kinds'] or 'ok'} {row.get('weights')}", file=sys.stderr)
        rows.append(row)
    return {
        "structure": structure.model_dump(mode="json"),
        "challenger": cfg.models.challenger.model_dump(mode="json"),
        "max_chars": corpus.max_chars,
        "rows": rows,
        **summarise(rows),
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    structural = [r for r in rows if not r["parsed"] or set(r["kinds"]) & set(STRUCTURAL)]
    failing = [r for r in rows if r["problems"]]
    kinds: dict[str, int] = {}
    for row in rows:
        for kind in row["kinds"]:
            kinds[kind] = kinds.get(kind, 0) + 1
    return {
        "n": n,
        "structural_failures": len(structural),
        "structural_share": round(len(structural) / n, 3) if n else None,
        "any_problem": len(failing),
        "any_problem_share": round(len(failing) / n, 3) if n else None,
        "kinds": dict(sorted(kinds.items())),
    }


def render(runs: dict[str, dict[str, Any]]) -> str:
    header = ["run", "commit", "papers", "unparsed or count/weight rule broken", "any check_rubric problem", "kinds"]
    table = [
        [
            label,
            run["commit"],
            run["n"],
            f"{run['structural_failures']}/{run['n']} ({run['structural_share']:.0%})",
            f"{run['any_problem']}/{run['n']} ({run['any_problem_share']:.0%})",
            ", ".join(f"{k} {v}" for k, v in run["kinds"].items()) or "none",
        ]
        for label, run in runs.items()
    ]
    parts = [
        "Share of challenger candidates failing `metrics.rubric_checks.check_rubric` (one call per paper, "
        "no feedback). A kind is counted once per candidate; `unparsed` means the reply did not parse.",
        md_table(header, table),
    ]
    for label, run in runs.items():
        s = run["structure"]
        parts.append(
            f"## {label}\n\nCommand: `{run['command']}` at commit {run['commit']}; challenger "
            f"{run['challenger']['model']} (temperature {run['challenger']['temperature']}, max_tokens "
            f"{run['challenger']['max_tokens']}); structure {s['min_positive']}-{s['max_positive']} positive "
            f"(weights 1..{s['weight_cap']}), {s['min_penalties']}-{s['max_penalties']} penalties "
            f"(-{s['penalty_cap']}..-1); max_chars {run['max_chars']}; {run['seconds']:.0f} s in all.\n\n"
            + md_table(
                ["paper", "seconds", "tokens out", "weights", "problems"],
                [
                    [
                        r["doc_id"],
                        r["seconds"],
                        r.get("completion_tokens"),
                        r.get("weights", "-"),
                        "; ".join(r["problems"]) or "-",
                    ]
                    for r in run["rows"]
                ],
            )
        )
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", required=True, help="name of this run in the report, e.g. before / after")
    parser.add_argument("--papers", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1000)
    args = parser.parse_args(argv)
    info = machine()
    started = time.monotonic()
    run = measure(args.papers, args.seed)
    command = f"{COMMAND} --label {args.label} --papers {args.papers} --seed {args.seed}"
    title = "Rubric structure of challenger candidates"
    seconds = time.monotonic() - started
    record_run(NAME, title, COMMAND + " --label LABEL", info, args.label, run, render, command=command, seconds=seconds)


if __name__ == "__main__":
    main()
