"""`--dry-run`: an upper-bound estimate of LM calls, tokens and dollars before anything runs.

It loads the documents (no model is loaded and no LM is called) and assumes the worst case: every
document uses all `max_rounds` rounds and every round reaches the strong solver. Token counts use about
four characters per token and the role's `max_tokens` (or a typical reply length) for completions.
Dollars use the same price table as the run; roles without a price are reported as unknown.
"""

from __future__ import annotations

from statistics import mean
from typing import Any

from experiments.config import RunConfig
from experiments.costs import cost, prices

# Typical prompt overheads (instructions, field descriptions, feedback) and reply lengths, in tokens.
OVERHEAD = {"challenger": 450, "verifier": 650, "weak": 250, "strong": 250, "judge": 350, "reflection": 2500}
REPLY = {"challenger": 600, "verifier": 90, "weak": 300, "strong": 300, "judge": 60, "reflection": 400}


def per_document_run(cfg: RunConfig, doc_tokens: float) -> dict[str, dict[str, float]]:
    """Calls and tokens of one document run (all rounds) by role, in the worst case."""
    n, rounds = cfg.loop.n_samples, cfg.loop.max_rounds
    criteria = cfg.rubric.max_positive + (cfg.rubric.max_penalties if cfg.rubric.allow_penalties else 0)
    calls = {
        "challenger": 1,
        "verifier": 1,
        "weak": n,
        "strong": n,
        "judge": 2 * n + (2 if cfg.loop.sanity_checks else 0),
    }
    prompt = {
        "challenger": doc_tokens,
        "verifier": doc_tokens + 40 * criteria,
        "weak": 150,
        "strong": 150,
        "judge": 300 + 25 * criteria,
    }
    out = {}
    for role, count in calls.items():
        spec = getattr(cfg.models, role)
        reply = min(spec.max_tokens or REPLY[role], REPLY[role] if role != "judge" else 8 * criteria + 20)
        out[role] = {
            "calls": count * rounds,
            "prompt_tokens": count * rounds * (prompt[role] + OVERHEAD[role]),
            "completion_tokens": count * rounds * reply,
        }
    return out


def estimate(cfg: RunConfig, docs_by_phase: dict[str, int], doc_chars: list[int], reflection_calls: int = 0):
    doc_tokens = (mean(doc_chars) if doc_chars else cfg.corpus.max_chars) / 4
    one = per_document_run(cfg, doc_tokens)
    runs = sum(docs_by_phase.values())
    usage: dict[str, dict[str, int]] = {role: {k: int(v * runs) for k, v in u.items()} for role, u in one.items()}
    if reflection_calls:
        usage["reflection"] = {
            "calls": reflection_calls,
            "prompt_tokens": reflection_calls * OVERHEAD["reflection"],
            "completion_tokens": reflection_calls * REPLY["reflection"],
        }
    return {
        "document_runs": docs_by_phase,
        "usage_by_role": usage,
        "cost": cost(usage, prices(cfg)),
        "note": "upper bound: every document uses every round and reaches the strong solver",
    }


def compile_plan(cfg: RunConfig, splits: dict[str, list]) -> dict[str, Any]:
    n_val, n_test = len(splits["val"]), len(splits["test"])
    trials = cfg.search.n_trials
    phases = {
        "baseline": n_val + n_test,
        "optimize": trials * cfg.optimizer.max_metric_calls,
        "select": trials * n_val,
        "final": n_test,
    }
    chars = [len(d.text) for docs in splits.values() for d in docs]
    reflection = trials * max(1, cfg.optimizer.max_metric_calls // 2) if cfg.optimizer.name != "none" else 0
    return estimate(cfg, phases, chars, reflection_calls=reflection)


def render(plan: dict[str, Any]) -> str:
    lines = [
        f"Dry run ({plan['note']}). Document runs per phase: {plan['document_runs']}",
        "",
        f"{'role':<12}{'calls':>8}{'prompt tok':>14}{'completion tok':>16}{'USD':>12}",
    ]
    for role, u in plan["usage_by_role"].items():
        usd = plan["cost"]["by_role"].get(role)
        lines.append(
            f"{role:<12}{u['calls']:>8,}{u['prompt_tokens']:>14,}{u['completion_tokens']:>16,}"
            f"{f'{usd:.4f}' if usd is not None else 'unknown':>12}"
        )
    total = plan["cost"]["usd"]
    lines.append("")
    missing = ", ".join(plan["cost"]["unknown"])
    lines.append(f"total USD: {f'{total:.4f}' if total is not None else f'unknown (no price for: {missing})'}")
    return "\n".join(lines)
