"""The method table: per-method statistics of recorded rounds, paired differences, Markdown and CSV.

Rows are `rounds.jsonl` rows whose `phase` is the method name. What each method OUTPUTS (the
examples its dataset would hold), which the weak/strong/gap means, lengths and rubric sizes describe:
- one-shot baselines (cot, grounded, self_instruct): every candidate that passed the verifier and was
  scored by both solvers, as the paper reports its CoT baseline (no acceptance filter);
- loops (agentic, compiled): the accepted example of each document.
"Acceptance" is the share of documents with an accepted round (for baselines: the one candidate meets
the criterion in one shot), with a Wilson interval; means carry 95% bootstrap intervals over examples;
paired differences use the documents both methods have a value for. Tokens and seconds per accepted
divide everything spent on the method's documents by its accepted examples. No I/O here.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from statistics import mean, median
from typing import Any

from metrics.intervals import Estimate, estimate, paired_difference
from metrics.stats import wilson

ONE_SHOT = ("cot", "grounded", "self_instruct")
LOOPS = ("agentic", "compiled")
METHODS = (*ONE_SHOT, *LOOPS)
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
REASONS = ("too_easy", "failed_on_strong", "failed_quality", "invalid", "error")
# Comparisons: (a, b) reports a - b; pairs with an absent method are skipped.
PAIRS = (
    ("agentic", "cot"),
    ("agentic", "grounded"),
    ("agentic", "self_instruct"),
    ("compiled", "agentic"),
    ("compiled", "cot"),
)


def _words(text: str | None) -> int:
    return len((text or "").split())


def outputs(rows: list[dict], method: str) -> dict[str, dict]:
    """doc_id -> the row that is the method's output example for that document."""
    out: dict[str, dict] = {}
    for r in sorted(rows, key=lambda r: r["round"]):
        if method in ONE_SHOT:
            if r.get("weak_mean") is not None and r.get("strong_mean") is not None:
                out.setdefault(r["doc_id"], r)
        elif r["accepted"]:
            out.setdefault(r["doc_id"], r)
    return out


def method_stats(rows: list[dict], doc_ids: list[str], method: str, *, n_boot: int = 2000, seed: int = 0) -> dict:
    docs = set(doc_ids)
    mine = [r for r in rows if r["phase"] == method and r["doc_id"] in docs]
    out = outputs(mine, method)
    accepted = {r["doc_id"]: r for r in mine if r["accepted"]}
    lo, hi = wilson(len(accepted), len(docs))

    def est(key: str, source: dict[str, dict]) -> dict:
        values = [r[key] for r in source.values() if r.get(key) is not None]
        return estimate(values, n_boot=n_boot, seed=seed).to_dict()

    criteria = [c for r in out.values() for c in r["rubric"]]
    tokens: dict[str, int] = defaultdict(int)
    role_seconds: dict[str, float] = defaultdict(float)  # only when the usage meter records time per role
    for r in mine:
        for role, u in (r.get("usage") or {}).items():
            tokens[role] += u.get("prompt_tokens", 0) + u.get("completion_tokens", 0)
            role_seconds[role] += u.get("seconds", 0.0)
    seconds = sum(r.get("seconds", 0.0) for r in mine)
    k = len(accepted)
    rounds_to_accept = [r["round"] for r in accepted.values()]
    failed = Counter(r["reason"] for r in mine if not r["accepted"])
    return {
        "method": method,
        "documents": len(docs),
        "rounds": len(mine),
        "outputs": len(out),
        "accepted": k,
        "acceptance": round(k / len(docs), 4) if docs else None,
        "acceptance_ci95": [lo, hi],
        **{key: est(key, out) for key in ("weak_mean", "strong_mean", "gap")},
        **{f"{key}_accepted": est(key, accepted) for key in ("weak_mean", "strong_mean", "gap")},
        "rounds_per_accepted": round(mean(rounds_to_accept), 3) if k else None,
        "rounds_per_accepted_median": median(rounds_to_accept) if k else None,
        "question_words": round(mean(_words(r["question"]) for r in out.values()), 1) if out else None,
        "context_words": round(mean(_words(r["context"]) for r in out.values()), 1) if out else None,
        "rubric_size": round(len(criteria) / len(out), 2) if out else None,
        "penalty_share": round(sum(c["weight"] < 0 for c in criteria) / len(criteria), 3) if criteria else None,
        "failure_mix": {reason: failed.get(reason, 0) for reason in REASONS},
        "tokens_by_role": dict(tokens),
        "tokens_per_accepted": {role: round(t / k, 1) for role, t in tokens.items()} if k else None,
        "seconds": round(seconds, 1),
        "tokens_per_document": round(sum(tokens.values()) / len(docs), 1) if docs else None,
        "seconds_per_document": round(seconds / len(docs), 1) if docs else None,
        "seconds_per_accepted": round(seconds / k, 1) if k else None,
        "seconds_per_accepted_by_role": {r: round(v / k, 1) for r, v in role_seconds.items()}
        if k and any(role_seconds.values())
        else None,
    }


def per_doc(rows: list[dict], doc_ids: list[str], method: str) -> dict[str, dict[str, float]]:
    """Per-document values for paired comparisons: acceptance on every document, scores on outputs."""
    mine = [r for r in rows if r["phase"] == method and r["doc_id"] in set(doc_ids)]
    if not mine:
        return {"acceptance": {}, "weak_mean": {}, "strong_mean": {}, "gap": {}}
    accepted = {r["doc_id"] for r in mine if r["accepted"]}
    out = outputs(mine, method)
    values = {"acceptance": {d: float(d in accepted) for d in doc_ids}}
    for key in ("weak_mean", "strong_mean", "gap"):
        values[key] = {d: r[key] for d, r in out.items() if r.get(key) is not None}
    return values


def paired(rows: list[dict], doc_ids: list[str], methods: list[str], *, n_boot: int = 2000, seed: int = 0) -> dict:
    """{"a - b": {statistic: Estimate dict}} for the PAIRS whose methods were both run."""
    values = {m: per_doc(rows, doc_ids, m) for m in methods}
    result = {}
    for a, b in PAIRS:
        if a in values and b in values:
            result[f"{a} - {b}"] = {
                key: paired_difference(values[a][key], values[b][key], n_boot=n_boot, seed=seed).to_dict()
                for key in values[a]
            }
    return result


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
