"""The compile run's summary: `summary.json` contents and the headline MLflow metrics.

Built from the `CompileOutcome` (what the phases produced; a phase a budget stop never reached is None)
and, for run-wide totals (usage, cost, failures, LM errors), from every row of `rounds.jsonl`, so the
totals include the trials' optimize/select rounds, plus `repeats.jsonl` (rounds an optimizer ran again:
their calls were made too). Documents that crashed are listed, never folded into the rejections. No LM
calls, no writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna

from experiments.config import ROLES, RunConfig
from experiments.corpus import CorpusLoad
from experiments.records.files import read_jsonl
from experiments.report.costs import cost, prices
from experiments.report.instructions import read_instructions
from experiments.report.summary import cache_totals, merge_usage, summarize
from experiments.tracking import Tracker
from metrics.comparison import compare
from programs.loop import AgenticSelfInstruct
from programs.usage import total_tokens


@dataclass
class CompileOutcome:
    """What a compile's phases produced, filled as each finishes (a phase never reached stays None)."""

    splits: dict[str, list[str]]  # document ids per split
    acceptance: dict[str, Any]  # preset and thresholds
    optimizer: dict[str, Any]  # name, metric, applied weights, max_metric_calls
    baseline: dict[str, Any] | None = None  # {"val": summary, "test": summary}
    compiled: dict[str, Any] | None = None  # {"test": summary, "trial": ..., "params": ..., ...}
    instructions: dict[str, Any] = field(default_factory=lambda: {"baseline": None, "compiled": None})
    study: optuna.Study | None = None
    study_storage: str | None = None
    program: AgenticSelfInstruct | None = None  # the compiled harness, once exported
    stopped_by: str | None = None
    crashed: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def build_summary(
    cfg: RunConfig, out: Path, corpus: CorpusLoad, outcome: CompileOutcome, tracker: Tracker
) -> dict[str, Any]:
    study = outcome.study
    rows = read_jsonl(out / "rounds.jsonl")
    repeats = read_jsonl(out / "repeats.jsonl")
    everything = summarize(rows, sorted({r["doc_id"] for r in rows})) if rows else None
    usage = merge_usage(everything["usage_by_role"] if everything else {}, *(r.get("usage") or {} for r in repeats))
    usage = with_optimizer_calls(usage, study)
    return {
        "preset": cfg.preset,
        "out": str(out),
        "stopped_by": outcome.stopped_by,
        "models": {role: getattr(cfg.models, role).model for role in ROLES},
        "optimizer": outcome.optimizer,
        "corpus": {"summary": corpus.summary(), "licences": corpus.licences(), "splits": outcome.splits},
        "acceptance": outcome.acceptance,
        "baseline": outcome.baseline,
        "compiled": outcome.compiled,
        # Baseline vs compiled on the test documents, with intervals (metrics.comparison).
        "comparison": _comparison(rows, outcome),
        "instructions": outcome.instructions,
        "trials": [_trial_row(tr) for tr in study.trials] if study else [],
        "study": {"name": study.study_name, "storage": outcome.study_storage} if study else None,
        # Every LM call of the run: recorded rounds of every phase and rounds run again (repeats.jsonl).
        "usage_by_role": usage,
        "cache": cache_totals(usage),
        "all_rounds": {
            **{k: everything[k] for k in ("rounds", "failure_mix", "lm_errors", "calls_by_role")},
            "repeated_rounds": len(repeats),
        }
        if everything
        else None,
        "crashed_documents": outcome.crashed,
        "cost": cost(usage, prices(cfg)),
        "mlflow": {"tracking_uri": tracker.uri, "parent_run_id": tracker.parent_id, "failures": tracker.failures},
        "wall_seconds": round(outcome.seconds, 1),
    }


def _comparison(rows: list[dict[str, Any]], outcome: CompileOutcome) -> dict[str, Any] | None:
    if outcome.baseline is None:
        return None
    crashed = {c["doc_id"] for c in outcome.crashed if c["phase"] in ("baseline", "final")}
    test_ids = [d for d in outcome.splits["test"] if d not in crashed]
    return compare(rows, test_ids, compiled=outcome.compiled is not None)


def with_optimizer_calls(usage: dict[str, dict[str, float]], study: optuna.Study | None) -> dict[str, dict[str, float]]:
    """`usage` plus the calls the trials' optimizers made themselves (reflection, proposals), which belong
    to no round; each trial keeps them in its `optimizer_usage` attribute."""
    merged = {role: dict(u) for role, u in usage.items()}
    for trial in study.trials if study else []:
        for role, u in (trial.user_attrs.get("optimizer_usage") or {}).items():
            mine = merged.setdefault(role, {})
            for key, value in u.items():
                mine[key] = mine.get(key, 0) + value
    return merged


def headline(summary: dict[str, Any]) -> dict[str, float]:
    metrics = {"tokens_total": float(sum(total_tokens(u) for u in summary["usage_by_role"].values()))}
    if summary["cost"]["usd"] is not None:
        metrics["usd_total"] = summary["cost"]["usd"]
    if summary["baseline"]:
        metrics["baseline_test_pass_rate"] = summary["baseline"]["test"]["pass_rate"] or 0.0
    if summary["compiled"]:
        metrics["compiled_test_pass_rate"] = summary["compiled"]["test"]["pass_rate"] or 0.0
    return {**metrics, **gain_metrics(summary.get("comparison"))}


def gain_metrics(comparison: dict[str, Any] | None) -> dict[str, float]:
    """The MLflow view of the gain: test pass rate and validity of both harnesses and their paired
    difference with its interval, e.g. test_pass_rate_baseline, ..., test_validity_diff_hi."""
    out: dict[str, float] = {}
    if not comparison:
        return out
    for figure, name in (("pass_rate", "test_pass_rate"), ("validity", "test_validity")):
        for harness in ("baseline", "compiled"):
            value = (comparison.get(harness) or {}).get(figure)
            if value is not None:
                out[f"{name}_{harness}"] = value
        diff = (comparison.get("difference") or {}).get(figure) or {}
        if diff.get("mean") is not None:
            out.update({f"{name}_diff": diff["mean"], f"{name}_diff_lo": diff["lo"], f"{name}_diff_hi": diff["hi"]})
    return out


def _trial_row(trial: optuna.trial.FrozenTrial) -> dict[str, Any]:
    return {
        "number": trial.number,
        "state": trial.state.name,
        "value": trial.value,
        "params": trial.params,
        "val_score": trial.user_attrs.get("val_score"),
        "mean_gap": trial.user_attrs.get("mean_gap"),
        "val": trial.user_attrs.get("val"),
        "optimizer_best_score": trial.user_attrs.get("optimizer_best_score"),
        "candidate": trial.user_attrs.get("candidate"),
        "harness_dir": trial.user_attrs.get("harness_dir"),
        # What the trial's optimizer wrote, predictor by predictor (None for a trial that exported nothing).
        "instructions": read_instructions(trial.user_attrs.get("harness_dir")),
    }
