"""Per-method statistics of recorded rounds and their paired differences (the evaluation's numbers).

Rows are `rounds.jsonl` rows whose `phase` is the method name. What each method OUTPUTS (the
examples its dataset would hold), which the weak/strong/gap means, lengths and rubric sizes describe:
- one-shot baselines (cot, grounded, self_instruct): every candidate that passed the verifier and was
  scored by both solvers, as the paper reports its CoT baseline (no acceptance filter);
- loops (agentic, compiled): the accepted example of each document.
"Acceptance" is the share of documents with an accepted round (for baselines: the one candidate meets
the criterion in one shot), with a Wilson interval; means carry 95% bootstrap intervals over examples;
paired differences use the documents both methods have a value for. Tokens and seconds per accepted
divide everything spent on the method's documents by its accepted examples. Pure functions of row
dicts; `experiments.report.method_table` renders them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from statistics import mean, median
from typing import Any

from metrics.intervals import estimate, paired_difference
from metrics.stats import wilson
from programs.usage import total_tokens

ONE_SHOT = ("cot", "grounded", "self_instruct")
LOOPS = ("agentic", "compiled")
METHODS = (*ONE_SHOT, *LOOPS)
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


def outputs(rows: list[dict[str, Any]], method: str) -> dict[str, dict[str, Any]]:
    """doc_id -> the row that is the method's output example for that document."""
    out: dict[str, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: r["round"]):
        if method in ONE_SHOT:
            if r.get("weak_mean") is not None and r.get("strong_mean") is not None:
                out.setdefault(r["doc_id"], r)
        elif r["accepted"]:
            out.setdefault(r["doc_id"], r)
    return out


def method_stats(
    rows: list[dict[str, Any]], doc_ids: list[str], method: str, *, n_boot: int = 2000, seed: int = 0
) -> dict[str, Any]:
    docs = set(doc_ids)
    mine = [r for r in rows if r["phase"] == method and r["doc_id"] in docs]
    out = outputs(mine, method)
    accepted = {r["doc_id"]: r for r in mine if r["accepted"]}
    lo, hi = wilson(len(accepted), len(docs))

    def est(key: str, source: dict[str, dict[str, Any]]) -> dict[str, Any]:
        values = [r[key] for r in source.values() if r.get(key) is not None]
        return estimate(values, n_boot=n_boot, seed=seed).to_dict()

    criteria = [c for r in out.values() for c in r["rubric"]]
    tokens: dict[str, int] = defaultdict(int)
    role_seconds: dict[str, float] = defaultdict(float)  # only when the usage meter records time per role
    for r in mine:
        for role, u in (r.get("usage") or {}).items():
            tokens[role] += total_tokens(u)
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


def per_doc(rows: list[dict[str, Any]], doc_ids: list[str], method: str) -> dict[str, dict[str, float]]:
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


def paired(
    rows: list[dict[str, Any]], doc_ids: list[str], methods: list[str], *, n_boot: int = 2000, seed: int = 0
) -> dict[str, Any]:
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
