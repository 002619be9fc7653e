"""The optimizer metric (gap, validation, combined) and the feedback GEPA reads: scores and wording."""

from __future__ import annotations

import dspy
import pytest

from metrics import effective_weights, explain_round, make_metric, missed_thresholds, thresholds_for
from programs import Attempt, Candidate, Criterion, RoundRecord, VerifierReport

CAND = Candidate(
    question="Why does KW1 matter?", reference_answer="A.", rubric=[Criterion(criterion="names KW1", weight=5)]
)
CHECKS = dict.fromkeys(("no_leakage", "not_recall", "rubric_well_formed", "type_consistent"), True)
PAPER, DEPLOYED = thresholds_for("paper"), thresholds_for("deployed")


def attempts(*scores: float) -> list[Attempt]:
    return [Attempt(answer="a", verdicts=[1.0], score=s) for s in scores]


def rec(reason: str, **kw) -> RoundRecord:
    return RoundRecord(
        doc_id="d", round=kw.pop("round", 1), candidate=kw.pop("candidate", CAND), reason=reason,
        accepted=reason == "accepted", **kw,
    )  # fmt: skip


VALID = VerifierReport(passed=True, checks=CHECKS, validation=1.0)
QUALITY = rec("failed_quality", verifier=VerifierReport(passed=False, rubric_problems=["x"], validation=0.2))
TOO_EASY = rec("too_easy", verifier=VALID, weak=attempts(1.0, 0.5), weak_mean=0.75)
ON_STRONG = rec(
    "failed_on_strong", verifier=VALID, weak=attempts(0.4), strong=attempts(0.5), weak_mean=0.4, strong_mean=0.5,
    gap=0.1,
)  # fmt: skip
ACCEPTED = rec(
    "accepted", verifier=VALID, weak=attempts(0.2), strong=attempts(0.8), weak_mean=0.2, strong_mean=0.8, gap=0.6
)


@pytest.mark.parametrize(
    ("name", "rounds", "score"),
    [
        # gap: best round's credit; validation: mean of verifier.validation over rounds (no report counts 0)
        ("gap", [], 0.0),
        ("validation", [], 0.0),
        ("combined", [], 0.0),
        ("gap", [QUALITY], 0.02),  # 0.1 * 0.2
        ("validation", [QUALITY], 0.2),
        ("combined", [QUALITY], 0.074),  # 0.7 * 0.02 + 0.3 * 0.2
        ("gap", [QUALITY, ON_STRONG], 0.5),  # 0.3 + 0.4 * 0.1 / 0.2
        ("validation", [QUALITY, ON_STRONG], 0.6),  # (0.2 + 1.0) / 2
        ("combined", [QUALITY, ON_STRONG], 0.53),  # 0.7 * 0.5 + 0.3 * 0.6
        ("combined", [TOO_EASY, rec("invalid", round=2, candidate=None)], 0.255),  # 0.7 * 0.15 + 0.3 * 0.5
        ("combined", [TOO_EASY, ACCEPTED], 1.0),
    ],
)
def test_metric_scores(name, rounds, score):
    out = make_metric(name, PAPER, {"gap": 0.7, "validation": 0.3})(dspy.Example(), dspy.Prediction(rounds=rounds))
    assert out.score == pytest.approx(score, abs=1e-9)
    assert float(out) == pytest.approx(score, abs=1e-9)


def test_the_weights_change_the_combined_score_and_are_named_in_the_feedback():
    pred = dspy.Prediction(rounds=[QUALITY, ON_STRONG])
    out = make_metric("combined", PAPER, {"gap": 0.2, "validation": 0.8})(None, pred)
    assert out.score == pytest.approx(0.2 * 0.5 + 0.8 * 0.6)
    assert out.feedback.startswith("Score 0.58 = 0.2 x gap credit 0.5 + 0.8 x rubric validation 0.6")
    only_gap = make_metric("gap", PAPER)(None, pred).feedback
    assert only_gap.startswith("Score 0.5 = 1 x gap credit 0.5 (") and "rubric validation 0.6" not in only_gap


@pytest.mark.parametrize(
    ("name", "weights", "expected"),
    [
        ("gap", None, {"gap": 1.0, "validation": 0.0}),
        ("validation", {"gap": 0.9, "validation": 0.1}, {"gap": 0.0, "validation": 1.0}),
        ("combined", {"gap": 0.7, "validation": 0.3}, {"gap": 0.7, "validation": 0.3}),
        ("combined", {"gap": 1.0, "validation": 0.0}, {"gap": 1.0, "validation": 0.0}),
    ],
)
def test_effective_weights(name, weights, expected):
    assert effective_weights(name, weights) == expected


@pytest.mark.parametrize(
    ("name", "weights", "match"),
    [
        ("combined", {"gap": 0.7, "validation": 0.4}, "sum to 1"),
        ("combined", {"gap": 1.2, "validation": -0.2}, "lie in"),
        ("combined", {"gap": 1.0}, "exactly the keys"),
        ("combined", None, "exactly the keys"),
        ("accuracy", None, "unknown metric"),
    ],
)
def test_bad_weights_or_names_are_refused(name, weights, match):
    with pytest.raises(ValueError, match=match):
        effective_weights(name, weights)


@pytest.mark.parametrize(
    ("t", "weak", "strong", "expected"),
    [
        # paper: weak mean < 0.5 (strict), strong mean >= 0.65, gap >= 0.2; exactly at a bound:
        (PAPER, [0.5], [], ["weak mean 0.5 (needs < 0.5)"]),
        (PAPER, [0.25, 0.5], [0.65, 0.65], []),  # weak 0.375, strong 0.65 (>= holds), gap 0.275
        (PAPER, [0.45], [0.65], []),  # 0.65 - 0.45 is 0.2 exactly (as rationals): met
        (PAPER, [0.46], [0.65], ["gap 0.19 (needs >= 0.2)"]),
        (PAPER, [0.2], [0.6], ["strong mean 0.6 (needs >= 0.65)"]),
        (PAPER, [0.4], [0.5], ["strong mean 0.5 (needs >= 0.65)", "gap 0.1 (needs >= 0.2)"]),
        # deployed: weak mean <= 0.65, weak best <= 0.75, strong mean in [0.6, 0.95), no zeros, gap >= 0.2
        (DEPLOYED, [0.65], [], []),
        (DEPLOYED, [0.5, 0.8], [], ["best weak attempt 0.8 (needs <= 0.75)"]),
        (
            DEPLOYED,
            [0.0, 1.0],
            [],
            ["best weak attempt 1 (needs <= 0.75)", "a weak attempt scored 0 (needs no attempt at 0)"],
        ),
        (DEPLOYED, [0.25], [0.95], ["strong mean 0.95 (needs < 0.95)"]),
        (
            DEPLOYED,
            [0.5],
            [0.0, 1.0],
            [
                "strong mean 0.5 (needs >= 0.6)",
                "a strong attempt scored 0 (needs no attempt at 0)",
                "gap 0 (needs >= 0.2)",
            ],
        ),
        (DEPLOYED, [1 / 3], [2 / 3], []),  # gap 1/3, stored as 0.333333
    ],
)
def test_missed_thresholds_lists_every_broken_condition_exactly_at_the_bounds(t, weak, strong, expected):
    assert missed_thresholds(t, weak, strong) == expected


SANITY = VerifierReport(
    passed=False,
    checks=CHECKS,
    feedback="the reference answer scores only 0.40 under its own rubric (need >= 0.6): rubric and answer disagree",
    reference_score=0.4,
    offtopic_score=0.0,
)
VERIFIER_NO = VerifierReport(
    passed=False, checks={**CHECKS, "no_leakage": False, "not_recall": False}, feedback="the context gives it away"
)


@pytest.mark.parametrize(
    ("record", "t", "parts"),
    [
        (
            rec(
                "failed_quality",
                verifier=VerifierReport(
                    passed=False, rubric_problems=["2 positive criteria, need 3-5", "empty reference answer"]
                ),
            ),
            PAPER,
            [
                "Round 1 FAILED QUALITY CHECK: rubric rules broken: 2 positive criteria, need 3-5; "
                "empty reference answer."
            ],
        ),
        (
            rec("failed_quality", verifier=VERIFIER_NO),
            PAPER,
            ["verifier checks failed: no_leakage, not_recall (verifier: the context gives it away)"],
        ),
        (
            rec("failed_quality", verifier=SANITY),
            PAPER,
            [
                "judge sanity check failed: the reference answer scores only 0.40",
                "(reference answer scored 0.4, off-topic answer scored 0)",
            ],
        ),
        (
            rec("too_easy", round=2, verifier=VALID, weak=attempts(1.0, 0.5), weak_mean=0.75),
            DEPLOYED,
            [
                "Round 2 TOO EASY: weak attempts [1, 0.5], mean 0.75",
                "strong solver not run",
                "missed: weak mean 0.75 (needs <= 0.65); best weak attempt 1 (needs <= 0.75)",
            ],
        ),
        (
            ON_STRONG,
            PAPER,
            [
                "FAILED ON STRONG: weak attempts [0.4], mean 0.4; strong attempts [0.5], mean 0.5; gap 0.1; "
                "missed: strong mean 0.5 (needs >= 0.65); gap 0.1 (needs >= 0.2)"
            ],
        ),
        (
            rec("failed_quality", verifier=VALID, weak=attempts(0.0, 0.5), weak_mean=0.25),
            DEPLOYED,
            ["FAILED QUALITY CHECK: weak attempts [0, 0.5], mean 0.25", "missed: a weak attempt scored 0"],
        ),
        (
            rec("invalid", candidate=None, detail="challenger reply did not parse: Expecting value"),
            PAPER,
            ["Round 1 INVALID REPLY: challenger reply did not parse: Expecting value.", "Q: (no parseable question)"],
        ),
        (
            rec("error", candidate=None, detail="weak: timeout after 3 retries"),
            PAPER,
            ["Round 1 ERROR: weak: timeout after 3 retries."],
        ),
        (
            ACCEPTED,
            PAPER,
            [
                "ACCEPTED: weak attempts [0.2], mean 0.2; strong attempts [0.8], mean 0.8; gap 0.6; "
                "every threshold met",
                "Q: Why does KW1 matter?",
            ],
        ),
    ],
)
def test_feedback_names_what_failed(record, t, parts):
    text = explain_round(record, t)
    for part in parts:
        assert part in text, (part, text)


def test_metric_feedback_lists_every_round_and_closes_with_what_to_change():
    rounds = [rec("failed_quality", verifier=VERIFIER_NO), TOO_EASY.model_copy(update={"round": 2})]
    feedback = make_metric("combined", PAPER, {"gap": 0.7, "validation": 0.3})(
        None, dspy.Prediction(rounds=rounds)
    ).feedback
    lines = feedback.splitlines()
    assert lines[0].startswith("Score ")
    assert lines[1].startswith("Round 1 FAILED QUALITY CHECK: verifier checks failed: no_leakage, not_recall")
    assert lines[3].startswith("Round 2 TOO EASY: weak attempts [1, 0.5], mean 0.75")
    assert "missed: weak mean 0.75 (needs < 0.5)" in lines[3]
    assert lines[-1].startswith("No accepted question.")
