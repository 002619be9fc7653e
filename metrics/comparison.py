"""Baseline vs compiled on the held-out test papers, from `rounds.jsonl` rows (no I/O).

Both harnesses run on the same test documents: phase "baseline" and phase "final". A document counts
when both phases recorded rounds on it; one that crashed or was not reached (a budget stop) is listed
under `excluded_documents`, never counted as a rejection. Per harness:
- validity: candidates (challenger replies, parsed or not; a round whose calls failed before any
  candidate is not one) that passed the rubric checks and every check of the verifier's gate
  (`metrics.validation.valid_candidate`), pooled over rounds, with a Wilson 95% interval;
- acceptance: documents with an accepted example, with a Wilson 95% interval;
- weak mean, strong mean and gap of the accepted examples, each with a seeded bootstrap 95% interval;
- rounds, tokens and seconds per accepted example: all rounds, tokens (cached calls at what they cost
  when first made) and seconds (likewise) spent on the documents, divided by the accepted examples.
Differences, compiled - baseline, pair the documents: acceptance per document (`paired_difference`),
validity as pooled rates with a cluster bootstrap over documents (`paired_rate_difference`); each has
a reading: better or worse when its interval excludes 0, else indistinguishable.
"""

from __future__ import annotations

import json
from typing import Any

from metrics.intervals import (
    DEFAULT_BOOT,
    DEFAULT_SEED,
    Estimate,
    estimate,
    paired_difference,
    paired_rate_difference,
    reading,
)
from metrics.stats import wilson
from metrics.validation import valid_candidate
from programs.records import VerifierReport
from programs.usage import cached_tokens, total_tokens

PHASES = {"baseline": "baseline", "compiled": "final"}


def is_candidate(row: dict[str, Any]) -> bool:
    return row["reason"] != "error" or row.get("question") is not None


def is_valid(row: dict[str, Any]) -> bool:
    report = row.get("verifier")
    return valid_candidate(VerifierReport.model_validate(report) if report else None)


def validity_counts(rows: list[dict[str, Any]], doc_ids: list[str]) -> dict[str, tuple[int, int]]:
    """doc_id -> (valid candidates, candidates)."""
    counts = {d: [0, 0] for d in doc_ids}
    for r in rows:
        if r["doc_id"] in counts and is_candidate(r):
            counts[r["doc_id"]][0] += is_valid(r)
            counts[r["doc_id"]][1] += 1
    return {d: (v, n) for d, (v, n) in counts.items()}


def accepted_per_doc(rows: list[dict[str, Any]], doc_ids: list[str]) -> dict[str, float]:
    accepted = {r["doc_id"] for r in rows if r["accepted"]}
    return {d: float(d in accepted) for d in doc_ids}


def _rate(k: int, n: int) -> tuple[float | None, list[float] | None]:
    return (round(k / n, 6), list(wilson(k, n))) if n else (None, None)


def _spent(rows: list[dict[str, Any]]) -> tuple[int, float]:
    tokens, seconds = 0, 0.0
    for r in rows:
        seconds += r.get("seconds", 0.0)
        for u in (r.get("usage") or {}).values():
            tokens += total_tokens(u) + cached_tokens(u)
            seconds += u.get("cached_seconds", 0.0)
    return tokens, round(seconds, 3)


def harness_figures(rows: list[dict[str, Any]], doc_ids: list[str], *, n_boot: int, seed: int) -> dict[str, Any]:
    """The figures of one harness on `doc_ids`; `rows` are its rows on exactly those documents."""
    first_accepted: dict[str, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: r["round"]):
        if r["accepted"]:
            first_accepted.setdefault(r["doc_id"], r)
    k, n = len(first_accepted), len(doc_ids)
    counts = validity_counts(rows, doc_ids).values()
    valid, candidates = sum(v for v, _ in counts), sum(c for _, c in counts)
    tokens, seconds = _spent(rows)
    pass_rate, pass_ci = _rate(k, n)
    validity, validity_ci = _rate(valid, candidates)
    means = {
        key: estimate([r[key] for r in first_accepted.values() if r.get(key) is not None], n_boot=n_boot, seed=seed)
        for key in ("weak_mean", "strong_mean", "gap")
    }
    return {
        "documents": n,
        "accepted": k,
        "pass_rate": pass_rate,
        "pass_rate_ci95": pass_ci,
        "candidates": candidates,
        "valid": valid,
        "validity": validity,
        "validity_ci95": validity_ci,
        **{key: e.to_dict() for key, e in means.items()},
        "rounds": len(rows),
        "tokens": tokens,
        "seconds": seconds,
        "per_accepted": {
            "rounds": round(len(rows) / k, 3),
            "tokens": round(tokens / k, 1),
            "seconds": round(seconds / k, 1),
        }
        if k
        else None,
        "harnesses": sorted({r["candidate"] for r in rows}),
    }


def _difference(e: Estimate) -> dict[str, Any]:
    return {**e.to_dict(), "reading": reading(e)}


def compare(
    rows: list[dict[str, Any]],
    test_ids: list[str],
    *,
    compiled: bool = True,
    n_boot: int = DEFAULT_BOOT,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    """Baseline vs compiled on the test documents; with `compiled=False` (the final phase never ran)
    only the baseline's figures."""
    wanted = set(test_ids)
    by_phase = {
        name: [r for r in rows if r["phase"] == phase and r["doc_id"] in wanted]
        for name, phase in PHASES.items()
        if compiled or name == "baseline"
    }
    ran = [{r["doc_id"] for r in phase_rows} for phase_rows in by_phase.values()]
    docs = [d for d in test_ids if all(d in seen for seen in ran)]
    kept = set(docs)
    by_phase = {name: [r for r in phase_rows if r["doc_id"] in kept] for name, phase_rows in by_phase.items()}
    figures = {
        name: harness_figures(phase_rows, docs, n_boot=n_boot, seed=seed) for name, phase_rows in by_phase.items()
    }
    out: dict[str, Any] = {
        "documents": docs,
        "excluded_documents": [d for d in test_ids if d not in docs],
        "bootstrap": {"n_boot": n_boot, "seed": seed},
        "baseline": figures["baseline"],
        "compiled": figures.get("compiled"),
        "difference": None,
        "same_harness": None,
    }
    if compiled:
        base, comp = by_phase["baseline"], by_phase["compiled"]
        acceptance = paired_difference(
            accepted_per_doc(comp, docs), accepted_per_doc(base, docs), n_boot=n_boot, seed=seed
        )
        validity = paired_rate_difference(
            validity_counts(comp, docs), validity_counts(base, docs), n_boot=n_boot, seed=seed
        )
        out["difference"] = {"pass_rate": _difference(acceptance), "validity": _difference(validity)}
        out["same_harness"] = _harness_key(base) == _harness_key(comp)
    return out


def _harness_key(rows: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """The (candidate fingerprint, rubric structure) pairs the rows ran with."""
    return {(r["candidate"], json.dumps(r.get("structure"), sort_keys=True)) for r in rows}
