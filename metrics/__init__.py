"""Metrics: pure scoring, acceptance and rubric checks, and the DSPy metrics built on them."""

from metrics.acceptance import PRESETS, Thresholds, decide, thresholds_for, weak_gate
from metrics.gap import make_gap_metric, passed, round_credit
from metrics.policy import HarnessPolicy, validation_score
from metrics.rubric_checks import check_rubric
from metrics.scoring import rubric_score
from metrics.stats import wilson
from metrics.validation import validation_metric

__all__ = [
    "PRESETS",
    "HarnessPolicy",
    "Thresholds",
    "check_rubric",
    "decide",
    "make_gap_metric",
    "passed",
    "round_credit",
    "rubric_score",
    "thresholds_for",
    "validation_metric",
    "validation_score",
    "weak_gate",
    "wilson",
]
