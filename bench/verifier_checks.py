"""Benchmark: how the quality verifier judges candidates whose answers are known by construction.

From a labelled judge file (the judgecheck format of docs/judging.md, such as the project's dev labels,
read in place) it takes the first line of each question id (`<question id>/<source>`; `--questions N`:
the first N) and builds two candidates: `expert`, as written (its context sets up the problem only, so
no_leakage and not_recall should hold), and `leaking`, with the reference answer appended to the context
(so no_leakage must fail). The preset's verifier (its model, `loop.verifier_gate`, LM cache off) reviews
both, given the document from the preset's corpus (by doc_id; a question whose document is missing is
skipped and counted; `--no-document` sends an empty document instead) and the preset's rubric rules with
counts and caps fitted to the labelled rubric. Per variant: the share of calls on which each check was
true and the share passed; a failed call is a row with its error, left out of the shares. Not measured:
the programmatic rubric checks, the judge sanity checks, the loop's retries, the labels' other answers.
Runs are kept by `--label` in bench/reports/verifier_checks.json (same label: replaced); the .md shows all.

Run (the CPU is shared; two verifier calls per question):
  flock /tmp/autodata-cpu.lock .venv/bin/python -m bench.verifier_checks \\
      --labels ../shared/judgebench/dev.jsonl --label default-1.5b
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.common import error_text, md_table, measure_and_record, setup_env

NAME = "verifier_checks"
COMMAND = f"flock /tmp/autodata-cpu.lock .venv/bin/python -m bench.{NAME} --labels PATH --label LABEL"
VARIANTS = ("expert", "leaking")

if TYPE_CHECKING:
    from programs.records import Candidate, Criterion
    from programs.structure import RubricStructure


def load_questions(path: Path, limit: int | None) -> list[tuple[str, str, Candidate]]:
    """(question id, doc_id, Candidate) for the first line of each question id, in file order."""
    from experiments.records.labels import load_labels
    from programs.records import Candidate

    answers = load_labels(path)  # validates the whole file: one-line LabelsError on bad input
    raw = {row["id"]: row for row in map(json.loads, filter(str.strip, path.read_text("utf-8").splitlines()))}
    seen: dict[str, tuple[str, str, Candidate]] = {}
    for a in answers:
        qid, row = a.id.split("/", 1)[0], raw[a.id]
        if qid not in seen:
            question, kind = a.question, row.get("question_type", "")
            candidate = Candidate(question=question, question_type=kind, context=a.context, rubric=a.rubric)
            candidate.reference_answer = a.reference_answer
            seen[qid] = (qid, row.get("doc_id", ""), candidate)
    return list(seen.values())[:limit]


def fitted_rules(base: RubricStructure, rubric: list[Criterion]) -> str:
    """The rules of `base` with its counts set to, and its caps widened to, those of `rubric`."""
    from programs.structure import RubricStructure

    pos, pen = [c.weight for c in rubric if c.weight > 0], [-c.weight for c in rubric if c.weight < 0]
    fit = {"allow_penalties": bool(pen), "min_positive": len(pos), "max_positive": len(pos)}
    fit |= {"min_penalties": len(pen), "max_penalties": len(pen), "weight_cap": max(base.weight_cap, *pos)}
    fit |= {"penalty_cap": max(base.penalty_cap, *pen, 1)}
    return RubricStructure(**{**base.model_dump(), **fit}).render()


def measure(
    labels: Path,
    preset_name: str = "default",
    sets: list[str] | None = None,
    limit: int | None = None,
    *,
    no_document: bool = False,
    lm: Any = None,
    documents: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Run the verifier on both variants of each question. `lm` and `documents` (doc_id -> text) replace
    the configured verifier model and the corpus (tests)."""
    setup_env()
    from experiments.corpus.load import load_corpus
    from experiments.lms.factory import build_lm
    from experiments.presets import preset
    from experiments.run.build import configure_dspy
    from experiments.run.overrides import build_config
    from programs.verifier import QualityVerifier

    cfg = build_config(preset(preset_name), sets or [])
    questions = load_questions(labels, limit)
    if documents is None and not no_document:
        documents = {doc.id: doc.text for doc in load_corpus(cfg.corpus).documents}
    configure_dspy(cfg, use_cache=False)
    verifier = QualityVerifier(gate=tuple(cfg.loop.verifier_gate))
    verifier.set_lm(lm or build_lm("verifier", cfg.models.verifier, cfg.models))
    rows, skipped, documents = [], [], documents or {}
    for qid, doc_id, candidate in questions:
        reason = "no reference answer to leak" if not candidate.reference_answer.strip() else None
        if reason is None and not no_document and doc_id not in documents:
            reason = "document not in the corpus"
        if reason:
            skipped.append({"question": qid, "doc_id": doc_id, "reason": reason})
            continue
        document, rules = "" if no_document else documents[doc_id], fitted_rules(cfg.rubric, candidate.rubric)
        leaked = f"{candidate.context}\n\n{candidate.reference_answer}".lstrip()
        for variant, shown in zip(VARIANTS, (candidate, candidate.model_copy(update={"context": leaked})), strict=True):
            row: dict[str, Any] = {"question": qid, "doc_id": doc_id, "variant": variant}
            started = time.monotonic()
            try:
                report = verifier(document, rules, shown)
            except Exception as exc:  # one failed call is one row with its error, not the end of the run
                row["error"] = error_text(exc)
            else:
                row.update(checks=report.checks, passed=report.passed, feedback=report.feedback[:200])
            row["seconds"] = round(time.monotonic() - started, 1)
            print(f"{qid} {variant}: {row['seconds']}s {row.get('checks') or row['error']}", file=sys.stderr)
            rows.append(row)
    setting: dict[str, Any] = {"labels": str(labels), "preset": preset_name, "sets": sets or []}
    setting["gate"] = list(verifier.gate)
    setting["document"] = "none (--no-document)" if no_document else f"corpus {cfg.corpus.source}"
    setting |= {"verifier": cfg.models.verifier.model_dump(mode="json"), "questions": len(questions)}
    return {**setting, "skipped": skipped, "rows": rows, "summary": summarise(rows)}


def _share(hits: int, n: int) -> float | None:
    return round(hits / n, 3) if n else None


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per variant: calls answered (n), failed calls, the share true of each check, the share passed."""
    from programs.verifier import CHECKS

    out: dict[str, dict[str, Any]] = {}
    for variant in VARIANTS:
        mine = [r for r in rows if r["variant"] == variant]
        done = [r for r in mine if "error" not in r]
        shares = {c: _share(sum(r["checks"][c] for r in done), len(done)) for c in CHECKS}
        out[variant] = {"n": len(done), "errors": len(mine) - len(done), **shares}
        out[variant]["passed"] = _share(sum(r["passed"] for r in done), len(done))
    return out


def _reasons(skipped: list[dict[str, str]]) -> str:
    counts = Counter(s["reason"] for s in skipped)
    return f" ({', '.join(f'{reason}: {n}' for reason, n in counts.items())})" if counts else ""


def _cells(r: dict[str, Any]) -> list[Any]:
    checks = ", ".join(c for c, ok in r.get("checks", {}).items() if ok) or "-"
    note = (r.get("error") or r["feedback"]).replace("|", "/").replace("\n", " ")
    return [r["question"], r["variant"], r["seconds"], checks, r.get("passed", "-"), note]


def render(runs: dict[str, dict[str, Any]]) -> str:
    from programs.verifier import CHECKS

    header = ["run", "commit", "variant", "n", "errors", *CHECKS, "passed"]
    table = [
        [
            label,
            run["commit"],
            v,
            s["n"],
            s["errors"],
            *("-" if s[c] is None else f"{s[c]:.0%}" for c in (*CHECKS, "passed")),
        ]
        for label, run in runs.items()
        for v, s in run["summary"].items()
    ]
    parts = [
        "Share of verifier calls on which each check was true, per variant. `expert`: the labelled question "
        "as written (no_leakage and not_recall should be true); `leaking`: the reference answer appended to "
        "the context (no_leakage should be false). `passed`: every check of the run's verifier gate held. "
        "Failed calls are counted under errors and left out of the shares.",
        md_table(header, table),
    ]
    for label, run in runs.items():
        v, cells = run["verifier"], [_cells(r) for r in run["rows"]]
        parts.append(
            f"## {label}\n\nCommand: `{run['command']}` at commit {run['commit']}; verifier {v['model']} "
            f"(temperature {v['temperature']}, max_tokens {v['max_tokens']}), gate {', '.join(run['gate'])}; "
            f"labels {run['labels']}, {run['questions']} questions, {len(run['skipped'])} skipped"
            f"{_reasons(run['skipped'])}; document: {run['document']}; {run['seconds']:.0f} s in all.\n\n"
            + md_table(["question", "variant", "seconds", "checks true", "passed", "feedback or error"], cells)
        )
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, required=True, help="labelled judge file (JSON Lines)")
    parser.add_argument("--label", required=True, help="name of this run in the report")
    parser.add_argument("--preset", default="default")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--questions", type=int, default=None, help="only the first N questions")
    parser.add_argument("--no-document", action="store_true", help="give the verifier an empty document")
    args = parser.parse_args(argv)
    if args.questions is not None and args.questions < 1:
        parser.error(f"--questions {args.questions}: give at least 1")
    title = "Verifier checks on candidates of known quality"
    run = functools.partial(measure, args.labels, args.preset, args.sets, args.questions, no_document=args.no_document)
    measure_and_record(parser, NAME, title, COMMAND, args.label, argv, run, render)


if __name__ == "__main__":
    main()
