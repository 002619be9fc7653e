"""Acceptance thresholds swept over recorded rounds: which candidates each setting would accept.

Every recorded round's attempt scores are recomputed from its verdicts (`scores`), as recorded or with
penalty items ignored (the paper's finding), then decided under each acceptance preset and a grid of
thresholds (`sweep`). Per setting: the share of scored candidates that meet it, the rounds the
weak-first gate left without strong scores that would now pass the weak side ("undetermined"), and
the gap distribution of the candidates that meet it; `distributions` gives the weak/strong score
quantiles, and `probe_warnings` says why a preset is out of reach for the models that answered. A
loop's later rounds depended on its earlier decisions, so this says which recorded candidates
qualify, not what a re-run would accept. Pure functions of `rounds.jsonl` row dicts.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import replace
from typing import Any

from metrics.acceptance import PRESETS, Thresholds, decide, thresholds_for, weak_gate
from metrics.intervals import percentile
from metrics.scoring import rubric_score

GRID = {"weak_mean_max": (0.4, 0.5, 0.65, 0.8), "strong_mean_min": (0.5, 0.65, 0.8), "gap_min": (0.1, 0.2, 0.3)}
QUANTILES = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)


def scores(row: dict[str, Any], positive_only: bool = False) -> tuple[list[float], list[float]]:
    """Weak and strong attempt scores recomputed from the recorded verdicts."""
    keep = [i for i, c in enumerate(row["rubric"]) if c["weight"] > 0 or not positive_only]
    weights = [row["rubric"][i]["weight"] for i in keep]

    def side(name: str) -> list[float]:
        return [
            rubric_score(weights, [a["verdicts"][i] for i in keep]) for a in row[name] if a.get("score") is not None
        ]

    return (side("weak"), side("strong")) if row.get("rubric") else ([], [])


def outcome(row: dict[str, Any], t: Thresholds, positive_only: bool = False) -> tuple[str, float | None]:
    """(reason or "accepted" / "undetermined" / "unscored", gap when both sides are scored)."""
    weak, strong = scores(row, positive_only)
    if not weak:
        return "unscored", None
    if not strong:
        gate = weak_gate(t, weak)
        return (gate.reason if gate else "undetermined"), None
    return decide(t, weak, strong).reason, sum(strong) / len(strong) - sum(weak) / len(weak)


def settings() -> list[tuple[str, Thresholds]]:
    out = list(PRESETS.items())
    for w, s, g in itertools.product(*GRID.values()):
        try:
            t = thresholds_for("custom", weak_mean_max=w, strong_mean_min=s, gap_min=g)
        except ValueError:
            continue
        out.append((f"weak<{w} strong>={s} gap>={g}", t))
    return out


def quantiles(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    v = sorted(values)
    return {"n": len(v), **{f"q{round(q * 100)}": round(percentile(v, q), 3) for q in QUANTILES}}


def sweep(rows: list[dict[str, Any]], positive_only: bool = False) -> list[dict[str, Any]]:
    scored = [r for r in rows if scores(r, positive_only)[0]]
    docs = {r["doc_id"] for r in scored}
    result = []
    for name, t in settings():
        outcomes = [(r["doc_id"], *outcome(r, t, positive_only)) for r in scored]
        counts = Counter(reason for _, reason, _ in outcomes)
        gaps = [gap for _, reason, gap in outcomes if reason == "accepted" and gap is not None]
        result.append(
            {
                "setting": name,
                "scoring": "positive only" if positive_only else "as recorded",
                "candidates": len(scored),
                "accepted": counts["accepted"],
                "acceptance": round(counts["accepted"] / len(scored), 3) if scored else None,
                "documents_with_accepted": len({d for d, reason, _ in outcomes if reason == "accepted"}),
                "documents": len(docs),
                "undetermined": counts["undetermined"],
                "reasons": dict(counts),
                "gap": quantiles(gaps),
            }
        )
    return result


def distributions(rows: list[dict[str, Any]]) -> dict[str, Any]:
    pairs = [scores(r) for r in rows]
    return {
        "weak_round_mean": quantiles([sum(w) / len(w) for w, _ in pairs if w]),
        "strong_round_mean": quantiles([sum(s) / len(s) for _, s in pairs if s]),
        "weak_attempt": quantiles([x for w, _ in pairs for x in w]),
        "strong_attempt": quantiles([x for _, s in pairs for x in s]),
    }


def probe_warnings(rows: list[dict[str, Any]], t: Thresholds) -> list[str]:
    """Why the preset `t` is out of reach for these models, judged from candidates both solvers answered."""
    both = [scores(r) for r in rows]
    both = [(w, s) for w, s in both if w and s]
    reasons = Counter(r["reason"] for r in rows)
    if not both:
        return [f"no candidate reached both solvers ({dict(reasons)}): the challenger or verifier is the bottleneck"]
    # The strong side alone: the preset with its weak and gap conditions switched off.
    strong_only = replace(
        t, weak_mean_max=1.0, weak_mean_strict=False, weak_best_max=None, weak_no_zero=False, gap_min=0
    )
    weak_ok = [weak_gate(t, w) is None for w, _ in both]
    strong_ok = [decide(strong_only, [0.0], s).accepted for _, s in both]
    weak_med = percentile(sorted(sum(w) / len(w) for w, _ in both), 0.5)
    strong_med = percentile(sorted(sum(s) / len(s) for _, s in both), 0.5)
    out = []
    if not any(weak_ok):
        op = "<" if t.weak_mean_strict else "<="
        out.append(
            f"weak model too strong: no candidate passes the weak side (median weak mean {weak_med:.2f}, "
            f"preset needs {op} {t.weak_mean_max})"
        )
    if not any(strong_ok):
        saturated = t.strong_mean_max is not None and strong_med >= t.strong_mean_max
        out.append(
            f"strong model {'saturates' if saturated else 'too weak'}: no candidate passes the strong side "
            f"(median strong mean {strong_med:.2f}, preset needs >= {t.strong_mean_min}"
            + (f" and < {t.strong_mean_max})" if t.strong_mean_max is not None else ")")
        )
    if any(weak_ok) and any(strong_ok) and not any(decide(t, w, s).accepted for w, s in both):
        out.append(
            f"gap never reached: no candidate separates the solvers by {t.gap_min} "
            f"(medians weak {weak_med:.2f}, strong {strong_med:.2f})"
        )
    return out
