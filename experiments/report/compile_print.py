"""The printed end of a compile: baseline vs compiled, the work on the test papers, trials, cost, outputs.

`print_summary(summary)` reads a `summary.json` record (`experiments.report.compile_summary`) only.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from experiments.report.comparison_table import text_table
from experiments.report.costs import usd_text
from experiments.report.work_table import work_table
from programs.usage import total_tokens


def print_summary(summary: dict[str, Any], stream: TextIO | None = None) -> None:
    stream = stream or sys.stdout
    columns = {}
    if summary["baseline"]:
        columns["baseline (test)"] = summary["baseline"]["test"]
    if summary["compiled"]:
        columns["compiled (test)"] = summary["compiled"]["test"]
    if summary.get("comparison"):
        print("\nbaseline vs compiled on the test papers\n" + text_table(summary["comparison"]), file=stream)
    if columns:
        print("\nwork on the test papers\n" + work_table(columns), file=stream)
    trials = ", ".join(
        f"#{t['number']} {t['state'].lower()} {t['value'] if t['value'] is not None else '-'}"
        + (f" / {t['val_score']}" if t.get("val_score") is not None else "")
        for t in summary["trials"]
    )
    print(f"\ntrials (val pass rate / metric score): {trials or '-'}", file=stream)
    if summary["compiled"]:
        print(
            f"best trial: {summary['compiled'].get('trial')}  params: {summary['compiled'].get('params')}", file=stream
        )
    c = summary["cost"]
    usd = usd_text(c)
    tokens = sum(total_tokens(u) for u in summary["usage_by_role"].values())
    print(f"tokens: {tokens:,}  cost: {usd}  wall time: {summary['wall_seconds']:.0f}s", file=stream)
    cache = summary.get("cache") or {}
    if cache.get("hits"):
        print(
            f"from DSPy's cache: {cache['hits']:,} of {cache['calls']:,} calls, which cost {cache['tokens']:,} "
            f"tokens and {cache['seconds']:.0f}s when first made",
            file=stream,
        )
    if summary.get("stopped_by"):
        print(f"STOPPED EARLY: {summary['stopped_by']}", file=stream)
    crashed = summary.get("crashed_documents") or []
    if crashed:
        first = crashed[0]
        print(
            f"CRASHED: {len(crashed)} document run(s) stopped on an error outside any LM call "
            f"(first: {first['phase']} {first['doc_id']}: {first['error']}); see crashed_documents in summary.json",
            file=stream,
        )
    print(
        f"outputs: {summary['out']}  (program.json, harness.json, rounds.jsonl, summary.json, comparison.md)",
        file=stream,
    )
    print(f"MLflow: {summary['mlflow']['tracking_uri']}  run {summary['mlflow']['parent_run_id']}", file=stream)
    if summary["preset"] in ("quick", "default", "results"):
        print(
            "Note: small local models (their judge's agreement with careful graders: docs/judging.md); these "
            "numbers exercise the system, they do not measure data quality.",
            file=stream,
        )
