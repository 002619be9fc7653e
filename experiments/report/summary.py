"""Summaries of recorded rounds: pass rate with a Wilson interval, solver means, rounds and tokens.

Everything is computed from `rounds.jsonl` rows, so a summary can be rebuilt from the files alone. The
weak/strong/gap means are over accepted examples (what the paper's Table 1 reports); the failure mix is
over rounds that were not accepted. Tokens per accepted example divide ALL tokens spent on the phase's
documents (failed rounds included, cached replies at what they originally cost) by the number of
accepted examples. Calls answered from DSPy's cache are reported as cached (`cache`: hits, and the
tokens and seconds those replies cost when they were made), never as free work.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from statistics import mean, median
from typing import Any

from metrics.stats import wilson
from programs.usage import cached_tokens, total_tokens


def summarize(rows: list[dict[str, Any]], doc_ids: list[str]) -> dict[str, Any]:
    mine = [r for r in rows if r["doc_id"] in set(doc_ids)]
    accepted = [r for r in mine if r["accepted"]]
    accepted_docs = {r["doc_id"] for r in accepted}
    n, k = len(doc_ids), len(accepted_docs)
    lo, hi = wilson(k, n)
    tokens: dict[str, int] = defaultdict(int)
    cached: dict[str, int] = defaultdict(int)
    calls: dict[str, int] = defaultdict(int)
    usage: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in mine:
        for role, u in (r.get("usage") or {}).items():
            tokens[role] += total_tokens(u)
            cached[role] += cached_tokens(u)
            calls[role] += u.get("calls", 0)
            for key, value in u.items():
                usage[role][key] += value
    spent = {role: tokens[role] + cached[role] for role in tokens}

    def avg(key: str) -> float | None:
        values = [r[key] for r in accepted if r.get(key) is not None]
        return round(mean(values), 4) if values else None

    errors: Counter = Counter()
    for r in mine:
        for entry in r.get("errors") or []:
            role, kind = [*entry.split(": ", 2), "", ""][:2]
            errors[f"{role}:{kind}"] += 1
    rounds_to_accept = [r["round"] for r in accepted]
    return {
        "documents": n,
        "accepted": k,
        "pass_rate": round(k / n, 4) if n else None,
        "pass_rate_ci95": [lo, hi],
        "rounds": len(mine),
        "weak_mean": avg("weak_mean"),
        "strong_mean": avg("strong_mean"),
        "gap": avg("gap"),
        "rounds_per_accepted": round(mean(rounds_to_accept), 3) if rounds_to_accept else None,
        "rounds_per_accepted_median": median(rounds_to_accept) if rounds_to_accept else None,
        "failure_mix": dict(Counter(r["reason"] for r in mine if not r["accepted"])),
        # Retried or fatal-to-the-round LM errors, by "role:kind" (kind: transient or parse).
        "lm_errors": dict(errors),
        "tokens_by_role": dict(tokens),
        "usage_by_role": {role: dict(u) for role, u in usage.items()},
        "calls_by_role": dict(calls),
        "tokens_per_accepted": {role: round(t / k, 1) for role, t in spent.items()} if k else None,
        "seconds": round(sum(r.get("seconds", 0.0) for r in mine), 1),
        "cache": cache_totals(usage),
    }


def merge_usage(*usages: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Per-role usage tallies added key by key."""
    total: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(int))
    for usage in usages:
        for role, u in usage.items():
            for key, value in u.items():
                total[role][key] += value
    return {role: dict(u) for role, u in total.items()}


def cache_totals(usage_by_role: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:
    """Calls answered from DSPy's cache, and the tokens and seconds their replies originally cost."""
    roles = usage_by_role.values()
    return {
        "hits": sum(u.get("cache_hits", 0) for u in roles),
        "calls": sum(u.get("calls", 0) for u in roles),
        "tokens": sum(cached_tokens(u) for u in roles),
        "seconds": round(sum(u.get("cached_seconds", 0.0) for u in roles), 1),
    }
