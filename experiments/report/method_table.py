"""The evaluation's method table in Markdown and CSV, next to the paper's headline numbers.

Renders `metrics.methods.method_stats` records (one per method) and `metrics.methods.paired`
differences: `markdown_table`, `markdown_pairs`, and `csv_table` (long format: one row per method or
pair and statistic, with value, interval and n). No I/O.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from metrics.intervals import Estimate

LABELS = {
    "cot": "CoT Self-Instruct",
    "grounded": "Grounded Self-Instruct",
    "self_instruct": "Self-Instruct",
    "agentic": "Agentic Self-Instruct",
    "compiled": "Agentic, compiled harness",
}
# The paper's headline numbers (Meta FAIR, "Autodata: An agentic data scientist to create high quality
# synthetic data", arXiv 2606.25996; CS papers; weak Qwen3.5-4B, strong Qwen3.5-397B-A17B, Kimi-K2.6 judge).
PAPER = {
    "cot": {"weak": 0.677, "strong": 0.696, "gap": 0.019, "rounds": 1.00},
    "agentic": {"weak": 0.458, "strong": 0.772, "gap": 0.314, "rounds": 6.59},
}


def _est(d: dict | None) -> str:
    return Estimate(**d).fmt() if d else "-"


def _num(value: Any, fmt: str = "{:.2f}") -> str:
    return "-" if value is None else fmt.format(value)


def _by_role(s: dict) -> str:
    per = s.get("seconds_per_accepted_by_role")
    return " (" + ", ".join(f"{role} {v:.0f}" for role, v in sorted(per.items())) + ")" if per else ""


def _cells(s: dict) -> list[tuple[str, str]]:
    lo, hi = s["acceptance_ci95"]
    mix = ", ".join(f"{k} {v}" for k, v in s["failure_mix"].items() if v) or "none"
    per, rmed = s["tokens_per_accepted"], s["rounds_per_accepted_median"]
    tokens = ", ".join(f"{role} {t:,.0f}" for role, t in sorted(per.items())) if per else "-"
    return [
        ("documents / output examples", f"{s['documents']} / {s['outputs']}"),
        ("weak mean [95% CI]", _est(s["weak_mean"])),
        ("strong mean [95% CI]", _est(s["strong_mean"])),
        ("gap [95% CI]", _est(s["gap"])),
        ("acceptance [Wilson 95%]", f"{s['accepted']}/{s['documents']} [{lo:.2f}, {hi:.2f}]"),
        ("rounds per accepted (mean / median)", f"{_num(s['rounds_per_accepted'])} / {_num(rmed, '{}')}"),
        ("question / context words", f"{_num(s['question_words'], '{:.0f}')} / {_num(s['context_words'], '{:.0f}')}"),
        ("rubric size / penalty share", f"{_num(s['rubric_size'], '{:.1f}')} / {_num(s['penalty_share'])}"),
        ("failed rounds", mix),
        ("tokens per accepted, by role", tokens),
        ("seconds per accepted", _num(s["seconds_per_accepted"], "{:.0f}") + _by_role(s)),
        (
            "tokens / seconds per document",
            f"{_num(s['tokens_per_document'], '{:,.0f}')} / {_num(s['seconds_per_document'], '{:.0f}')}",
        ),
    ]


def _paper_cells(method: str) -> list[str]:
    p = PAPER[method]
    agentic = method == "agentic"
    return [
        ">10k papers / 2.8k accepted" if agentic else "-",
        f"{p['weak']:.3f}",
        f"{p['strong']:.3f}",
        f"{p['gap']:.3f}",
        "-",
        f"{p['rounds']:.2f}" + (" / 3-5 (blog)" if agentic else ""),
        "-",
        "-",
        "of 880: too_easy 80%, failed_on_strong 13%" if agentic else "-",
        "-",
        "-",
        "-",
    ]


def markdown_table(stats: dict[str, dict]) -> str:
    methods = list(stats)
    columns = [LABELS.get(m, m) for m in methods] + [f"paper: {LABELS[m]}" for m in PAPER]
    labels = [label for label, _ in _cells(next(iter(stats.values())))] if stats else []
    body = [[v for _, v in _cells(stats[m])] for m in methods] + [_paper_cells(m) for m in PAPER]
    lines = ["| | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for i, label in enumerate(labels):
        lines.append(f"| {label} | " + " | ".join(col[i] for col in body) + " |")
    return "\n".join(lines)


def markdown_pairs(pairs: dict[str, dict]) -> str:
    lines = ["| difference (same documents) | acceptance | weak mean | strong mean | gap |", "|---|---|---|---|---|"]
    for name, values in pairs.items():
        cells = [_est(values.get(k)) for k in ("acceptance", "weak_mean", "strong_mean", "gap")]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def csv_table(stats: dict[str, dict], pairs: dict[str, dict]) -> str:
    """Long format: one row per (method or pair, statistic), with value, interval and n."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["method", "statistic", "value", "lo", "hi", "n"])
    for m, s in stats.items():
        for key in ("weak_mean", "strong_mean", "gap", "weak_mean_accepted", "strong_mean_accepted", "gap_accepted"):
            e = s[key]
            writer.writerow([m, key, e["mean"], e["lo"], e["hi"], e["n"]])
        lo, hi = s["acceptance_ci95"]
        writer.writerow([m, "acceptance", s["acceptance"], lo, hi, s["documents"]])
        for key in ("rounds_per_accepted", "rounds_per_accepted_median", "question_words", "context_words"):
            writer.writerow([m, key, s[key], "", "", s["outputs"] if "words" in key else s["accepted"]])
        for key in (
            "rubric_size",
            "penalty_share",
            "seconds_per_accepted",
            "rounds",
            "tokens_per_document",
            "seconds_per_document",
        ):
            writer.writerow([m, key, s[key], "", "", ""])
        for reason, count in s["failure_mix"].items():
            writer.writerow([m, f"failed:{reason}", count, "", "", s["rounds"]])
        for role, t in (s["tokens_per_accepted"] or {}).items():
            writer.writerow([m, f"tokens_per_accepted:{role}", t, "", "", s["accepted"]])
    for m, p in PAPER.items():
        for key, value in p.items():
            writer.writerow([f"paper:{m}", key, value, "", "", ""])
    for name, values in pairs.items():
        for key, e in values.items():
            writer.writerow([name, f"diff:{key}", e["mean"], e["lo"], e["hi"], e["n"]])
    return buffer.getvalue()
