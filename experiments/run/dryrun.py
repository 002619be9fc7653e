"""`--dry-run`: an estimate of LM calls, tokens and dollars before anything runs. Not a bound.

It loads the documents (no model is loaded and no LM is called) and assumes every document uses all
`max_rounds` rounds and every round reaches the strong solver, with no retries. On those assumptions
the loop's calls per document are exact (the fake-server test checks it); the run can still exceed
the estimate: retried calls (`loop.infra_retries` per call), optimizers that evaluate more documents
than their metric-call budget (GEPA's is a soft limit) and their own proposal calls are not bounded
here. Tokens are rougher still: about four characters per token for documents, typical reply lengths
capped by each role's `max_tokens`, and no growth of prompts from feedback or demos. Dollars use the
same price table as the run (embedded models are local, $0; roles without a price are unknown).
Plans: `compile_plan` (a compile), `trials_plan` (a worker's trials), `estimate` (document runs of any
command: generate, shard, evaluate, the calibration probe) and `judging_plan` (the judge alone:
judgecheck, re-grading recorded answers).
"""

from __future__ import annotations

from statistics import mean
from typing import Any

from experiments.config import RunConfig
from experiments.report.costs import cost, prices, role_usd_text, usd_text
from metrics.methods import LOOPS, ONE_SHOT

# Typical prompt overheads (instructions, field descriptions, feedback) and reply lengths, in tokens.
OVERHEAD = {"challenger": 450, "verifier": 650, "weak": 250, "strong": 250, "judge": 350, "reflection": 2500}
REPLY = {"challenger": 600, "verifier": 90, "weak": 300, "strong": 300, "judge": 60, "reflection": 400}


def judged_answers(cfg: RunConfig) -> int:
    """Answers the judge reads per round in the worst case: the solvers' samples, the sanity checks'
    reference and off-topic answers, and the probability judge's anchors (the context restated and the
    reference answer, which the sanity check then reuses; each penalty item's own text is one more call
    for the probability judge)."""
    answers = 2 * cfg.loop.n_samples + (2 if cfg.loop.sanity_checks else 0)
    if anchors(cfg):
        answers += 1 if cfg.loop.sanity_checks else 2
    return answers


def anchors(cfg: RunConfig) -> bool:
    """Does the judge read anchor answers (the anchored probability judge; the likelihood judge always)?"""
    return cfg.judge.protocol == "likelihood" or (
        cfg.judge.protocol == "probability" and cfg.judge.calibration == "anchored"
    )


def judge_reply(cfg: RunConfig, criteria: int) -> int:
    """Reply tokens of one judge call: all verdicts (joint), one token (probability), none (likelihood: the
    criterion it scores is counted in the prompt), a verdict (per criterion) or a quoted sentence and a
    verdict (evidence)."""
    replies = {"joint": 8 * criteria + 20, "probability": 1, "likelihood": 0, "per_criterion": 10, "evidence": 60}
    return replies[cfg.judge.protocol]


def per_document_run(cfg: RunConfig, doc_tokens: float) -> dict[str, dict[str, float]]:
    """Calls and tokens of one document run (all rounds) by role, in the worst case."""
    n, rounds = cfg.loop.n_samples, cfg.loop.max_rounds
    criteria = cfg.rubric.max_positive + (cfg.rubric.max_penalties if cfg.rubric.allow_penalties else 0)
    answers, per_answer = judged_answers(cfg), 1 if cfg.judge.protocol == "joint" else criteria
    probability_anchors = anchors(cfg) and cfg.judge.protocol == "probability"
    own_texts = cfg.rubric.max_penalties if probability_anchors and cfg.rubric.allow_penalties else 0
    calls = {"challenger": 1, "verifier": 1, "weak": n, "strong": n, "judge": answers * per_answer + own_texts}
    prompt = {
        "challenger": doc_tokens,
        "verifier": doc_tokens + 40 * criteria,
        "weak": 150,
        "strong": 150 + (doc_tokens if cfg.loop.strong_sees_document else 0),  # the paper, when it is open
        "judge": 300 + 25 * criteria if per_answer == 1 else 300,
    }
    out = {}
    for role, count in calls.items():
        spec = getattr(cfg.models, role)
        reply = min(spec.max_tokens or REPLY[role], REPLY[role] if role != "judge" else judge_reply(cfg, criteria))
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
        "note": (
            "an estimate, not a bound: every document uses every round and reaches the strong solver, no "
            "retries, typical reply lengths; retries and optimizers' extra evaluations can exceed it"
        ),
    }


def compile_plan(cfg: RunConfig, splits: dict[str, list[Any]]) -> dict[str, Any]:
    """A compile: the baseline on validation and test, the study's trials, the final phase on test."""
    n_val, n_test = len(splits["val"]), len(splits["test"])
    return trials_plan(cfg, splits, cfg.search.n_trials, {"baseline": n_val + n_test, "final": n_test})


def trials_plan(
    cfg: RunConfig, splits: dict[str, list[Any]], trials: int, other_phases: dict[str, int] | None = None
) -> dict[str, Any]:
    """`trials` trials of the study (a worker's share, or a compile's with its `other_phases`): each runs
    the optimizer's metric calls on training documents and selects on the validation documents."""
    phases = {
        **(other_phases or {}),
        "optimize": trials * cfg.optimizer.max_metric_calls,
        "select": trials * len(splits["val"]),
    }
    chars = [len(d.text) for docs in splits.values() for d in docs]
    # About one proposal per metric call (GEPA with minibatches of one spends two metric calls per
    # proposal, and a reply that does not parse is asked again per task).
    reflection = trials * cfg.optimizer.max_metric_calls if cfg.optimizer.name != "none" else 0
    return estimate(cfg, phases, chars, reflection_calls=reflection)


def judging_plan(cfg: RunConfig, label: str, criteria: list[int], repeats: int = 1) -> dict[str, Any]:
    """The judge alone grading answers with these rubric sizes, each `repeats` times (a judge check,
    judge reliability): one call per answer (joint protocol) or one per criterion (the others)."""
    joint = cfg.judge.protocol == "joint"
    calls = repeats * sum(1 if joint else n for n in criteria)
    prompt = OVERHEAD["judge"] + 300 + (25 * mean(criteria) if joint and criteria else 0)
    reply = min(cfg.models.judge.max_tokens or REPLY["judge"], judge_reply(cfg, max(criteria, default=1)))
    usage = {"judge": {"calls": calls, "prompt_tokens": int(calls * prompt), "completion_tokens": calls * reply}}
    return {
        "document_runs": {label: len(criteria) * repeats},
        "usage_by_role": usage,
        "cost": cost(usage, prices(cfg)),
        "note": "an estimate, not a bound: typical prompt and reply lengths, no retries",
    }


def methods_plans(cfg: RunConfig, methods: list[str], docs: list[Any]) -> list[dict[str, Any]]:
    """`evaluate`: the one-shot baselines as one-round runs, the loops at their full round budget."""
    one_round = cfg.model_copy(update={"loop": cfg.loop.model_copy(update={"max_rounds": 1})})
    parts = [(one_round, [m for m in methods if m in ONE_SHOT]), (cfg, [m for m in methods if m in LOOPS])]
    chars = [len(d.text) for d in docs]
    return [estimate(c, dict.fromkeys(ms, len(docs)), chars) for c, ms in parts if ms]


def regrade_plans(
    cfg: RunConfig, rows: list[dict[str, Any]], items: int, repeats: int, second: bool
) -> list[dict[str, Any]]:
    """`evaluate --from-rounds` with re-judging: `items` recorded answers graded `repeats` times, and once
    more by a second judge."""
    sizes = [len(r["rubric"]) for r in rows for a in r["weak"] + r["strong"] if a.get("score") is not None]
    sample = sizes[:items]
    plans = [judging_plan(cfg, "regrade", sample, repeats)] if repeats else []
    return plans + ([judging_plan(cfg, "second judge", sample)] if second else [])


def render(plan: dict[str, Any]) -> str:
    lines = [
        f"Dry run ({plan['note']}).",
        f"Document runs per phase: {plan['document_runs']}",
        "",
        f"{'role':<12}{'calls':>8}{'prompt tok':>14}{'completion tok':>16}{'USD':>12}",
    ]
    for role, u in plan["usage_by_role"].items():
        lines.append(
            f"{role:<12}{u['calls']:>8,}{u['prompt_tokens']:>14,}{u['completion_tokens']:>16,}"
            f"{role_usd_text(plan['cost'], role):>12}"
        )
    lines.append("")
    lines.append(f"estimated total: {usd_text(plan['cost'])}")
    return "\n".join(lines)
