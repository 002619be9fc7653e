"""`comparison.md` of a compile run: baseline vs compiled on the test papers, the study, the instructions.

Built from `summary.json` alone (so it can be rebuilt offline): the figure table with its intervals
and paired differences (`experiments.report.comparison_table`), the Optuna trials (rubric structure ->
validation score), and the instructions of the trainable predictors: the baseline's in full, then each
trial's and the compiled harness's as a diff against it. No I/O.
"""

from __future__ import annotations

import difflib
from typing import Any

from experiments.report.comparison_table import markdown_table


def _fence(text: str, lang: str = "text") -> str:
    fence = "````" if "```" in text else "```"
    return f"{fence}{lang}\n{text}\n{fence}"


def _against(baseline: str | None, text: str | None) -> str:
    if text is None:
        return "(not available)"
    if baseline is None:
        return _fence(text)
    if text == baseline:
        return "unchanged from the baseline"
    diff = difflib.unified_diff(baseline.splitlines(), text.splitlines(), "baseline", "this harness", lineterm="", n=1)
    return _fence("\n".join(diff), "diff")


def _params(params: dict[str, Any] | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted((params or {}).items())) or "-"


def _value(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def study_table(trials: list[dict[str, Any]], best: int | None) -> str:
    lines = [
        "| trial | state | rubric structure (searched) | validation pass rate | validation metric score | "
        "accepted / documents | mean gap | optimizer's best score |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in trials:
        val = t.get("val") or {}
        docs = f"{val['accepted']}/{val['documents']}" if val else "-"
        mark = " (compiled)" if t["number"] == best else ""
        lines.append(
            f"| {t['number']}{mark} | {t['state'].lower()} | {_params(t['params'])} | {_value(t['value'])} | "
            f"{_value(t.get('val_score'))} | {docs} | {_value(t.get('mean_gap'))} | "
            f"{_value(t.get('optimizer_best_score'))} |"
        )
    return "\n".join(lines)


def instructions_section(summary: dict[str, Any]) -> str:
    given = summary.get("instructions") or {}
    baseline, compiled = given.get("baseline") or {}, given.get("compiled") or {}
    names = sorted({*baseline, *compiled, *(n for t in summary["trials"] for n in (t.get("instructions") or {}))})
    parts = []
    for name in names:
        parts.append(f"### `{name}`\n\n**baseline**\n\n{_fence(baseline[name]) if name in baseline else '-'}")
        for t in summary["trials"]:
            text = (t.get("instructions") or {}).get(name)
            parts.append(f"**trial {t['number']}** ({_params(t['params'])})\n\n{_against(baseline.get(name), text)}")
        parts.append(f"**compiled**\n\n{_against(baseline.get(name), compiled.get(name))}")
    return "\n\n".join(parts) if parts else "(no instructions recorded)"


def render(summary: dict[str, Any]) -> str:
    comparison, optimizer = summary["comparison"], summary["optimizer"]
    compiled = summary.get("compiled") or {}
    weights = ", ".join(f"{k} {v}" for k, v in optimizer["weights"].items())
    models = ", ".join(f"{role} {model}" for role, model in (summary.get("models") or {}).items())
    head = [
        "# Baseline vs compiled harness on the held-out test papers",
        "",
        f"Run `{summary['out']}`, preset `{summary['preset']}`. Both harnesses use the same models ({models}) "
        f"and the same test documents. Optimizer `{optimizer['name']}` ({optimizer['max_metric_calls']} metric "
        f"calls per trial), driven by the `{optimizer['metric']}` metric (weights: {weights}).",
    ]
    if summary.get("stopped_by"):
        head += ["", f"**Stopped early**: {summary['stopped_by']}."]
    return "\n".join(
        [
            *head,
            "",
            "## Figures",
            "",
            markdown_table(comparison),
            "",
            "## Study: rubric structure -> validation score",
            "",
            study_table(summary["trials"], compiled.get("trial")),
            "",
            "## Instructions of the trainable predictors",
            "",
            instructions_section(summary),
            "",
        ]
    )
