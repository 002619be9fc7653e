"""Baseline vs compiled figures from hand-written rows: what counts as a candidate and as valid, the
costs per accepted example, documents left out, and the MLflow metrics of the gain."""

from __future__ import annotations

import pytest

from experiments.report.comparison_table import markdown_table, text_table
from experiments.report.compile_summary import gain_metrics
from metrics.comparison import compare, is_candidate, is_valid

CHECKS = dict.fromkeys(("no_leakage", "not_recall", "rubric_well_formed", "type_consistent"), True)
OK = {"passed": True, "checks": CHECKS, "rubric_problems": []}
SANITY = {"passed": False, "checks": CHECKS, "rubric_problems": [], "feedback": "reference scores 0.4"}
LEAKS = {"passed": False, "checks": {**CHECKS, "no_leakage": False}, "rubric_problems": []}
RUBRIC = {"passed": False, "checks": {}, "rubric_problems": ["2 positive criteria, need 3-5"]}
# The same leak, outside the verifier's gate (advice only) and inside it.
ADVISED = {**LEAKS, "passed": True, "gate": ["rubric_well_formed", "type_consistent"]}
GATED = {**LEAKS, "gate": ["no_leakage", "rubric_well_formed"]}


def row(phase, doc, rnd=1, reason="too_easy", verifier=OK, question="Q?", **kw):
    base = {
        "phase": phase,
        "doc_id": doc,
        "round": rnd,
        "reason": reason,
        "accepted": reason == "accepted",
        "question": question,
        "verifier": verifier,
        "weak_mean": None,
        "strong_mean": None,
        "gap": None,
        "candidate": f"{phase}-fp",
        "structure": {"allow_penalties": phase == "baseline"},
        "usage": {},
        "seconds": 1.0,
    }
    return {**base, **kw}


def accepted(phase, doc, rnd, weak, strong, **kw):
    return row(phase, doc, rnd, "accepted", weak_mean=weak, strong_mean=strong, gap=round(strong - weak, 6), **kw)


@pytest.mark.parametrize(
    ("r", "candidate", "valid"),
    [
        (row("baseline", "d", reason="too_easy"), True, True),
        (row("baseline", "d", reason="failed_quality", verifier=SANITY), True, True),  # sanity is not validity
        (row("baseline", "d", reason="failed_quality", verifier=LEAKS), True, False),
        (row("baseline", "d", reason="too_easy", verifier=ADVISED), True, True),
        (row("baseline", "d", reason="failed_quality", verifier=GATED), True, False),
        (row("baseline", "d", reason="failed_quality", verifier=RUBRIC), True, False),
        (row("baseline", "d", reason="invalid", verifier=None, question=None), True, False),  # unparseable reply
        (row("baseline", "d", reason="error", verifier=None, question=None), False, False),  # no reply at all
        (row("baseline", "d", reason="error", verifier=OK), True, True),  # the solvers' calls failed
    ],
)
def test_what_counts_as_a_candidate_and_as_valid(r, candidate, valid):
    assert (is_candidate(r), is_valid(r)) == (candidate, valid)


USAGE = {"judge": {"prompt_tokens": 100, "completion_tokens": 20, "cached_prompt_tokens": 0}}
CACHED = {"judge": {"cached_prompt_tokens": 100, "cached_completion_tokens": 20, "cached_seconds": 3.0}}
ROWS = [
    # baseline: d1 accepted in round 2; d2 two failed rounds, one of them not valid; d3 only in baseline
    row("baseline", "d1", 1, usage=USAGE),
    accepted("baseline", "d1", 2, 0.25, 0.75, usage=USAGE),
    row("baseline", "d2", 1, "failed_quality", verifier=LEAKS),
    row("baseline", "d2", 2, "error", verifier=None, question=None),
    row("baseline", "d3", 1),
    # compiled: both accepted in round 1, d2's replies came from the cache
    accepted("final", "d1", 1, 0.5, 0.75, usage=USAGE),
    accepted("final", "d2", 1, 0.25, 1.0, usage=CACHED, seconds=0.0),
    row("optimize", "d1", 1),  # another phase: ignored
]


def test_figures_and_paired_differences_on_the_documents_both_phases_ran():
    c = compare(ROWS, ["d1", "d2", "d3"], n_boot=200)
    assert c["documents"] == ["d1", "d2"] and c["excluded_documents"] == ["d3"]
    base, comp = c["baseline"], c["compiled"]
    assert (base["documents"], base["accepted"], base["pass_rate"]) == (2, 1, 0.5)
    assert (base["candidates"], base["valid"], base["validity"]) == (3, 2, 0.666667)  # the error round is none
    assert base["weak_mean"] == {"n": 1, "mean": 0.25, "lo": 0.25, "hi": 0.25}
    assert base["per_accepted"] == {"rounds": 4.0, "tokens": 240.0, "seconds": 4.0}
    assert (comp["accepted"], comp["valid"], comp["candidates"]) == (2, 2, 2)
    # cached calls count at what they cost when first made: 120 tokens and 3 s each way
    assert comp["per_accepted"] == {"rounds": 1.0, "tokens": 120.0, "seconds": 2.0}
    assert comp["weak_mean"]["mean"] == 0.375 and comp["gap"]["mean"] == 0.5
    # acceptance per document: d1 1 - 1, d2 1 - 0; validity pooled: 2/2 - 2/3
    assert {k: c["difference"]["pass_rate"][k] for k in ("n", "mean")} == {"n": 2, "mean": 0.5}
    assert {k: c["difference"]["validity"][k] for k in ("n", "mean")} == {"n": 2, "mean": 0.333333}
    assert c["same_harness"] is False and base["harnesses"] == ["baseline-fp"]


def test_without_a_final_phase_only_the_baseline_is_reported():
    c = compare(ROWS, ["d1", "d2", "d3"], compiled=False)
    assert c["documents"] == ["d1", "d2", "d3"] and c["compiled"] is None and c["difference"] is None
    assert c["baseline"]["accepted"] == 1 and c["baseline"]["documents"] == 3
    assert gain_metrics(c) == {"test_pass_rate_baseline": 0.333333, "test_validity_baseline": 0.75}
    assert "| acceptance (documents) [Wilson 95%] | 1/3 = 0.33 [0.06, 0.79] | - | - |" in markdown_table(c)


def test_the_same_harness_in_both_phases_is_flagged():
    rows = [{**r, "candidate": "fp", "structure": {}} for r in ROWS]
    c = compare(rows, ["d1", "d2"])
    assert c["same_harness"] is True
    assert "The compiled harness is the baseline harness" in text_table(c)


def test_gain_metrics_carry_both_rates_and_the_paired_differences():
    c = compare(ROWS, ["d1", "d2"], n_boot=200)
    metrics = gain_metrics(c)
    d = c["difference"]
    assert metrics == {
        "test_pass_rate_baseline": 0.5,
        "test_pass_rate_compiled": 1.0,
        "test_pass_rate_diff": 0.5,
        "test_pass_rate_diff_lo": d["pass_rate"]["lo"],
        "test_pass_rate_diff_hi": d["pass_rate"]["hi"],
        "test_validity_baseline": 0.666667,
        "test_validity_compiled": 1.0,
        "test_validity_diff": 0.333333,
        "test_validity_diff_lo": d["validity"]["lo"],
        "test_validity_diff_hi": d["validity"]["hi"],
    }
    assert gain_metrics(None) == {}
