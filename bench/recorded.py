"""Plumbing of the benchmarks that re-run recorded rounds (graded, strong_modes, weak_sampling, weak_models,
second_round).

`distinct_rounds(paths, keep)` reads `rounds.jsonl` files and keeps the first row of every candidate
(doc_id, question) that `keep` accepts, in file order: phases that replay a round from the cache record
the same candidate again. `rounds_parser` is the command line they share (--rounds, --label, --preset,
--set, --candidates), `parse_rounds_args` parses it and checks that every --rounds file exists, and
`interval` prints a `metrics.intervals.estimate` as "mean [lo, hi]", `rule_of` names the acceptance rule
a decision's detail cites (numbers as N), and `groups` splits result rows by one field for the summaries.
`prepare` does what each of them does first: the run config from a preset and --set overrides, the kept
candidates, the papers' texts (unless given or not needed) and DSPy configured with the LM cache off.
`plain_main` is the whole command line of those with no options of their own, and `StrongAnswers` the
strong side of a recorded candidate (recorded, or drawn once when a decision needs it).
"""

from __future__ import annotations

import argparse
import functools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any


def distinct_rounds(paths: list[Path], keep: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """The first recorded row of each distinct candidate (doc_id, question) that `keep` accepts."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for path in paths:
        for line in path.read_text("utf-8").splitlines():
            row = json.loads(line) if line.strip() else None
            if row and keep(row):
                seen.setdefault((row["doc_id"], row["question"]), row)
    return list(seen.values())


def prepare(
    paths: list[Path],
    keep: Callable[[dict[str, Any]], bool],
    preset_name: str,
    sets: list[str] | None,
    limit: int | None,
    documents: Mapping[str, str] | None = None,
) -> tuple[Any, list[dict[str, Any]], Mapping[str, str]]:
    """(run config, the first `limit` kept candidates, doc_id -> paper text); `documents={}` skips the corpus."""
    from bench.common import setup_env

    setup_env()
    from experiments.corpus.load import load_corpus
    from experiments.presets import preset
    from experiments.run.build import configure_dspy
    from experiments.run.overrides import build_config

    cfg = build_config(preset(preset_name), sets or [])
    rows = distinct_rounds(paths, keep)[:limit]
    if documents is None:
        documents = {doc.id: doc.text for doc in load_corpus(cfg.corpus).documents}
    configure_dspy(cfg, use_cache=False)
    return cfg, rows, documents


def weak_was_scored(row: dict[str, Any]) -> bool:
    return any(a.get("score") is not None for a in row.get("weak") or [])


def rounds_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rounds", type=Path, nargs="+", required=True, help="recorded rounds.jsonl files")
    parser.add_argument("--label", required=True, help="name of this run in the report")
    parser.add_argument("--preset", default="default")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--candidates", type=int, default=None, help="only the first N candidates")
    return parser


def parse_rounds_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    args = parser.parse_args(argv)
    if missing := [str(p) for p in args.rounds if not p.is_file()]:
        parser.error(f"--rounds: no such file {missing[0]}")
    return args


def rule_of(detail: str) -> str:
    """A decision's detail with its numbers replaced by N, so rows rejected by the same rule count together."""
    return re.sub(r"\d+(\.\d+)?", "N", detail)


def groups(rows: list[dict[str, Any]], key: str) -> Iterator[tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]]:
    """Per value of `key`, in first-seen order: (value, its rows, those of them without an error)."""
    for value in dict.fromkeys(r[key] for r in rows):
        mine = [r for r in rows if r[key] == value]
        yield value, mine, [r for r in mine if "error" not in r]


def mean_seconds(rows: list[dict[str, Any]]) -> float | None:
    """The mean of the rows' `seconds`, to 0.1 s (None for no rows)."""
    return round(sum(r["seconds"] for r in rows) / len(rows), 1) if rows else None


def interval(e: dict[str, Any]) -> str:
    """An estimate's dict (`Estimate.to_dict()`) as "0.40 [0.26, 0.55]", or "-" when undefined."""
    return "-" if e["mean"] is None else f"{e['mean']:.2f} [{e['lo']:.2f}, {e['hi']:.2f}]"


def plain_main(
    doc: str, name: str, title: str, command: str, measure: Callable[..., Any], render: Any, argv: list[str] | None
) -> None:
    """The command line of a benchmark with only the shared options: parse them (the first line of `doc` is
    the description), run `measure(rounds, preset, sets, candidates)` and keep the run under --label."""
    from bench.common import measure_and_record

    parser = rounds_parser(doc.splitlines()[0])
    args = parse_rounds_args(parser, argv)
    run = functools.partial(measure, args.rounds, args.preset, args.sets, args.candidates)
    measure_and_record(parser, name, title, command, args.label, argv, run, render, json.JSONDecodeError, KeyError)


class StrongAnswers:
    """A recorded candidate's strong answers, called when a decision needs them: the recorded ones when the
    round called the strong solver, otherwise one set (as many as its scored weak attempts) drawn on the
    first call and kept, so that every mode or judge compared reads the same answers. `source` says
    which: "recorded", "new" or "none" (never needed)."""

    def __init__(self, row: dict[str, Any], document: str, solver: Any, temperature: float) -> None:
        self.row, self.document, self.solver, self.temperature = row, document, solver, temperature
        self.recorded = [a["answer"] for a in row.get("strong") or [] if a.get("score") is not None]
        self.drawn: list[str] = []
        self.source = "recorded" if self.recorded else "none"

    def __call__(self) -> list[str]:
        if self.recorded:
            return self.recorded
        if not self.drawn:
            n = max(sum(a.get("score") is not None for a in self.row["weak"]), 1)
            context, question = self.row["context"], self.row["question"]
            self.drawn = [self.solver(context, question, i, self.temperature, document=self.document) for i in range(n)]
            self.source = "new"
        return self.drawn
