"""Benchmark: the loop's second round after a recorded first-round failure, with today's feedback.

Recorded runs show how a document's second round went under the feedback of their day. This takes every
distinct first round that called models and was rejected with a candidate (too easy, failed on strong,
failed quality; not invalid or errored rounds), rebuilds it as the loop's record, and runs round 2 of the
preset's loop on the same paper and rubric structure, so the challenger reads the feedback this code
renders from that failure. Each new round is decided like any other (the preset's thresholds), and set
beside the round 2 the recorded run made after the same failure (same file, phase, trial and harness),
where there was one. Differences: the challenger here has the preset's own instructions (a recorded round
may have had an optimizer's), and every reply is a new draw. `--no-feedback` is the control: the same
second rounds with the challenger told nothing had failed, which separates what the feedback does from
what the papers and the first round's failure select. LM cache off. Runs are kept by `--label`
in bench/reports/second_round.json.

Run (one full round per candidate: 40-100 s on two cores):
  flock /tmp/autodata-cpu.lock .venv/bin/python -m bench.second_round --rounds PATH... --label LABEL
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
from bench.recorded import groups, interval, mean_seconds, parse_rounds_args, prepare, rounds_parser, rule_of

NAME = "second_round"
COMMAND = f"flock /tmp/autodata-cpu.lock .venv/bin/python -m bench.{NAME} --rounds PATH... --label LABEL"
REJECTED = ("too_easy", "failed_on_strong", "failed_quality")


def first_failure(row: dict[str, Any]) -> bool:
    """A live first round, rejected with a candidate."""
    live = (row.get("seconds") or 0) > 0
    return row["round"] == 1 and live and row["reason"] in REJECTED and row.get("question") is not None


def recorded_second_rounds(paths: list[Path]) -> dict[tuple[str, str], dict[str, Any]]:
    """(doc_id, first-round question) -> the recorded round 2 after it (same file, phase, trial, harness)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for path in paths:
        rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
        for i, row in enumerate(rows):
            if row["round"] != 1 or row.get("question") is None:
                continue
            same = ("doc_id", "phase", "trial", "candidate")
            later = (r for r in rows[i + 1 :] if all(r.get(k) == row.get(k) for k in same))
            nxt = next(later, None)
            if nxt is not None and nxt["round"] == 2:
                out.setdefault((row["doc_id"], row["question"]), nxt)
    return out


def outcome(row: Mapping[str, Any]) -> str:
    """A round's outcome as the rule that decided it (numbers as N), 'accepted' for acceptances."""
    return "accepted" if row["accepted"] else f"{row['reason']}: {rule_of(row.get('detail') or '')[:90]}"


def measure(
    paths: list[Path],
    preset_name: str = "default",
    sets: list[str] | None = None,
    limit: int | None = None,
    feedback: bool = True,
    *,
    lms: Mapping[str, Any] | None = None,
    documents: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Run round 2 after every kept first-round failure (`feedback=False`: as if nothing had failed, the
    control). `lms` (one per loop role) and `documents` (doc_id -> text) replace the configured models and
    the corpus (tests)."""
    cfg, rows, documents = prepare(paths, first_failure, preset_name, sets, limit, documents)
    from experiments.lms.factory import build_lms
    from experiments.records.rows import record_from_row
    from experiments.run.build import bind_lms, build_program
    from programs.loop import LOOP_ROLES
    from programs.structure import RubricStructure

    lms = dict(lms) if lms is not None else build_lms(cfg.models, LOOP_ROLES)
    before = recorded_second_rounds(paths)
    out: list[dict[str, Any]] = []
    for row in rows:
        recorded = before.get((row["doc_id"], row["question"]))
        result: dict[str, Any] = {"doc_id": row["doc_id"], "first": outcome(row)}
        result |= {"recorded_second": outcome(recorded) if recorded else None}
        result["recorded_accepted"] = recorded["accepted"] if recorded else None
        started = time.monotonic()
        try:
            program = bind_lms(build_program(cfg, RubricStructure(**row["structure"])), lms)
            failed = [record_from_row(row)] if feedback else []
            record = program.run_round(documents[row["doc_id"]], row["doc_id"], 2, failed)
        except Exception as exc:  # one failed round is one row with its error, not the end of the run
            result["error"] = error_text(exc)
        else:
            result |= {"second": outcome(record.model_dump()), "accepted": record.accepted}
            result |= {"weak_mean": record.weak_mean, "strong_mean": record.strong_mean}
            result["question"] = record.candidate.question[:160] if record.candidate else None
        result["seconds"] = round(time.monotonic() - started, 1)
        print(f"{row['doc_id']}: {result['seconds']}s {result.get('second', result.get('error'))}", file=sys.stderr)
        out.append(result)
    setting = {"rounds": [str(p) for p in paths], "preset": preset_name, "sets": sets or [], "candidates": len(rows)}
    setting |= {"challenger": cfg.models.challenger.model_dump(mode="json"), "judge": cfg.judge.model_dump(mode="json")}
    return {**setting, "feedback": feedback, "rows": out, "summary": summarise(out)}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """New second rounds: decided, errors, accepted (with an interval), outcomes; and the recorded second
    rounds after the same failures, where the recorded run made one."""
    from metrics.intervals import estimate

    done = [r for r in rows if "error" not in r]
    paired = [r for r in done if r["recorded_accepted"] is not None]
    return {
        "n": len(done),
        "errors": len(rows) - len(done),
        "accepted": sum(r["accepted"] for r in done),
        "acceptance": estimate([float(r["accepted"]) for r in done]).to_dict(),
        "outcomes": dict(Counter(r["second"].split(":")[0] for r in done)),
        "paired": len(paired),
        "accepted_paired": sum(r["accepted"] for r in paired),
        "recorded_accepted_paired": sum(r["recorded_accepted"] for r in paired),
        "recorded_outcomes": dict(Counter(r["recorded_second"].split(":")[0] for r in paired)),
        "by_first": {k: [len(d), sum(r["accepted"] for r in d)] for k, _, d in groups(done, "first")},
        "seconds_per_round": mean_seconds(rows),
    }


def render(runs: dict[str, dict[str, Any]]) -> str:
    header = ["run", "commit", "first-round failures", "errors", "accepted now [95%]"]
    header += ["with a recorded 2nd round", "accepted now / recorded", "s / round"]
    table = []
    for label, run in runs.items():
        s = run["summary"]
        table.append([label, run["commit"], s["n"], s["errors"], f"{s['accepted']} ({interval(s['acceptance'])})"])
        table[-1] += [s["paired"], f"{s['accepted_paired']} / {s['recorded_accepted_paired']}", s["seconds_per_round"]]
    parts = [
        "Recorded first rounds that were rejected, each followed by a new second round of the loop whose "
        "challenger reads the feedback this code renders from that failure; `accepted now / recorded` "
        "compares, on the failures after which the recorded run made a second round, the new second rounds' "
        "acceptances with the recorded ones'.",
        md_table(header, table),
    ]
    for label, run in runs.items():
        s = run["summary"]
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(s["outcomes"].items()))
        recorded = ", ".join(f"{k} {v}" for k, v in sorted(s["recorded_outcomes"].items()))
        cells = [
            [r["doc_id"], r["first"], r.get("recorded_second") or "-", r.get("second", r.get("error", "")),
             r["seconds"]]
            for r in run["rows"]
        ]  # fmt: skip
        cells = [[str(c).replace("|", "/") for c in row] for row in cells]
        fed = "yes" if run.get("feedback", True) else "no (the control)"
        parts.append(
            f"## {label}\n\nCommand: `{run['command']}` at commit {run['commit']}; challenger "
            f"{run['challenger']['model']}, judge protocol {run['judge']['protocol']}; feedback from the first "
            f"round: {fed}; {run['candidates']} first-round failures; {run['seconds']:.0f} s in all.\n\n"
            f"New second rounds by outcome: {outcomes}. "
            f"Recorded second rounds after the same failures: {recorded or '-'}.\n\n"
            + md_table(["doc", "first round", "recorded 2nd round", "new 2nd round", "seconds"], cells)
        )
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = rounds_parser(__doc__.splitlines()[0])
    parser.add_argument("--no-feedback", action="store_true", help="the control: round 2 without the feedback")
    args = parse_rounds_args(parser, argv)
    title = "The second round after a recorded first-round failure, with today's feedback"
    run = functools.partial(measure, args.rounds, args.preset, args.sets, args.candidates, not args.no_feedback)
    measure_and_record(parser, NAME, title, COMMAND, args.label, argv, run, render, json.JSONDecodeError, KeyError)


if __name__ == "__main__":
    main()
