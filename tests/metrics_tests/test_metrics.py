"""The gap metric, the rubric validation score and the Wilson interval."""

from __future__ import annotations

import dspy
import pytest

from metrics import make_gap_metric, make_metric, thresholds_for, validation_score, wilson
from programs import Candidate, Criterion, RoundRecord, VerifierReport

CAND = Candidate(question="Q?", reference_answer="A.", rubric=[Criterion(criterion="names the key idea", weight=5)])


def rec(reason, **kw):
    return RoundRecord(
        doc_id="d", round=kw.pop("round", 1), candidate=CAND, reason=reason, accepted=reason == "accepted", **kw
    )


@pytest.mark.parametrize(
    ("rounds", "expected"),
    [
        ([], 0.0),
        ([rec("invalid")], 0.0),
        ([rec("too_easy", weak_mean=1.0)], 0.1),
        ([rec("too_easy", weak_mean=0.5)], 0.2),
        ([rec("failed_on_strong", weak_mean=0.4, strong_mean=0.5, gap=0.1)], 0.5),  # 0.3 + 0.4 * 0.5
        ([rec("failed_on_strong", weak_mean=0.2, strong_mean=0.5, gap=0.3)], 0.7),
        ([rec("too_easy", weak_mean=0.9), rec("accepted", round=2, gap=0.5)], 1.0),
    ],
)
def test_gap_metric_scores(rounds, expected):
    out = make_gap_metric(thresholds_for("paper"))(dspy.Example(), dspy.Prediction(rounds=rounds))
    assert out.score == pytest.approx(expected)
    assert float(out) == pytest.approx(expected)
    assert isinstance(out.feedback, str) and out.feedback


def test_validation_score_parts():
    assert validation_score(VerifierReport(passed=False, rubric_problems=["a", "b"])) == pytest.approx(0.6 / 4)
    checks = {"a": True, "b": True, "c": False, "d": True}
    assert validation_score(VerifierReport(passed=False, checks=checks)) == pytest.approx((1 + 0.75) / 4)
    full = VerifierReport(passed=True, checks=dict.fromkeys("abcd", True), reference_score=0.9, offtopic_score=0.0)
    assert validation_score(full) == 1.0
    no_sanity = VerifierReport(passed=True, checks=dict.fromkeys("abcd", True))
    assert validation_score(no_sanity) == 1.0
    # Checks outside the verifier's gate are advice: they count for nothing, and with none gated the
    # verifier part is left out (three parts, not four).
    advised = {"a": False, "b": True, "c": False, "d": True}
    gated = VerifierReport(passed=True, checks=advised, gate=["b", "d"], reference_score=0.3, offtopic_score=0.0)
    assert validation_score(gated) == pytest.approx((1 + 1 + 0.5 + 1) / 4)
    ungated = VerifierReport(passed=True, checks=advised, gate=[], reference_score=0.3, offtopic_score=0.0)
    assert validation_score(ungated) == pytest.approx((1 + 0.5 + 1) / 3)
    half = VerifierReport(passed=False, checks=advised, gate=["a", "b"], reference_score=None)
    assert validation_score(half) == pytest.approx((1 + 0.5 + 0 + 0) / 4)


def test_validation_metric_averages_rounds():
    r1 = rec("failed_quality", verifier=VerifierReport(passed=False, validation=0.5))
    r2 = rec("accepted", round=2, verifier=VerifierReport(passed=True, validation=1.0))
    out = make_metric("validation", thresholds_for("paper"))(None, dspy.Prediction(rounds=[r1, r2]))
    assert out.score == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("k", "n", "lo", "hi"),
    [(0, 10, 0.0, 0.2775), (5, 10, 0.2366, 0.7634), (10, 10, 0.7225, 1.0), (1, 2, 0.0945, 0.9055)],
)
def test_wilson_against_hand_computed_values(k, n, lo, hi):
    got = wilson(k, n)
    assert got[0] == pytest.approx(lo, abs=1e-4) and got[1] == pytest.approx(hi, abs=1e-4)
