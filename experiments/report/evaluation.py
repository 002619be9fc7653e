"""The evaluation's outputs: `table.md`, `table.csv`, `evaluation.json` and the plots, from recorded rows.

`write_report(rows, doc_ids, methods, out, ...)` computes every method's statistics and the paired
differences (`metrics.methods`) on the same documents, draws the plots and writes the files; judge
reliability, when measured, is added to the table and the record. `table_metrics` is a method's table
statistics as MLflow metrics. Rebuilding from a `rounds.jsonl` gives the same files (`--from-rounds`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from experiments.records.files import atomic_write_json, atomic_write_text
from experiments.report.method_table import PAPER, csv_table, markdown_pairs, markdown_table
from experiments.report.plots import all_plots
from experiments.report.reliability import markdown as reliability_markdown
from metrics.methods import method_stats, paired

NOTE = (
    "Small local models exercise the system; they do not measure data quality. "
    'Paper: CS papers, weak Qwen3.5-4B, strong Qwen3.5-397B-A17B, judge Kimi-K2.6 (Meta FAIR, "Autodata: An '
    'agentic data scientist to create high quality synthetic data", arXiv 2606.25996).'
)


def table_metrics(s: dict[str, Any]) -> dict[str, float]:
    """The method's table statistics as MLflow metrics, under "table." (the round curves own the plain names)."""
    out = {"acceptance": s["acceptance"] or 0.0, "outputs": s["outputs"], "rounds": s["rounds"]}
    for key in ("weak_mean", "strong_mean", "gap"):
        for part in ("mean", "lo", "hi"):
            if s[key][part] is not None:
                out[f"{key}_{part}" if part != "mean" else key] = s[key][part]
    for key in ("rounds_per_accepted", "question_words", "context_words", "rubric_size", "penalty_share"):
        if s[key] is not None:
            out[key] = s[key]
    return {f"table.{key}": value for key, value in out.items()}


def write_report(
    rows: list[dict[str, Any]], doc_ids: list[str], methods: list[str], out: Path, **kw: Any
) -> dict[str, Any]:
    """Write table.md, table.csv, evaluation.json and plots from rows; returns the evaluation record."""
    n_boot, seed = kw.get("n_boot", 2000), kw.get("seed", 0)
    stats = {m: method_stats(rows, doc_ids, m, n_boot=n_boot, seed=seed) for m in methods}
    pairs = paired(rows, doc_ids, methods, n_boot=n_boot, seed=seed)
    gap_min = next((r["thresholds"]["gap_min"] for r in rows if r.get("thresholds")), None)
    plots = all_plots(rows, methods, len(doc_ids), out / "plots", gap_min=gap_min, trials=kw.get("trials"))
    reliability = kw.get("reliability")
    md = ["## Comparison", "", markdown_table(stats), "", "## Paired differences", "", markdown_pairs(pairs)]
    if reliability:
        md += ["", "## Judge reliability", "", reliability_markdown(reliability)]
    md += ["", NOTE, ""]
    atomic_write_text(out / "table.md", "\n".join(md))
    atomic_write_text(out / "table.csv", csv_table(stats, pairs))
    record = {
        "methods": methods,
        "documents": doc_ids,
        "stats": stats,
        "paired": pairs,
        "paper": PAPER,
        "reliability": reliability,
        "plots": [str(p) for p in plots],
        **kw.get("extra", {}),
    }
    atomic_write_json(out / "evaluation.json", record)
    return record
