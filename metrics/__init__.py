"""Metrics: pure scoring, acceptance and rubric checks, and the DSPy metrics built on them."""

from metrics.acceptance import PRESETS, Thresholds, decide, thresholds_for, weak_gate
from metrics.explain import explain_round, explain_rounds, missed_thresholds
from metrics.gap import gap_score, passed, round_credit
from metrics.metric import METRICS, effective_weights, make_gap_metric, make_metric
from metrics.policy import HarnessPolicy, validation_score
from metrics.rubric_checks import check_rubric
from metrics.scoring import rubric_score
from metrics.stats import wilson
from metrics.validation import mean_validation, valid_candidate

__all__ = [
    "METRICS",
    "PRESETS",
    "HarnessPolicy",
    "Thresholds",
    "check_rubric",
    "decide",
    "effective_weights",
    "explain_round",
    "explain_rounds",
    "gap_score",
    "make_gap_metric",
    "make_metric",
    "mean_validation",
    "missed_thresholds",
    "passed",
    "round_credit",
    "rubric_score",
    "thresholds_for",
    "valid_candidate",
    "validation_score",
    "weak_gate",
    "wilson",
]
