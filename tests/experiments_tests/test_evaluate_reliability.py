"""Judge reliability: self/cross agreement by hand, regrading on scripted judges, failures counted.

The pure agreement statistics are tested in tests/metrics_tests/test_agreement.py.
"""

from __future__ import annotations

import itertools

import dspy
import pytest
from dspy.utils.exceptions import LMAuthError

from experiments.records.files import read_jsonl
from experiments.reliability import (
    Item,
    cross_agreement,
    judge_reliability,
    markdown,
    sample_items,
    self_agreement,
)
from programs import FatalLMError
from programs.records import Criterion
from testkit.scripted import scripted_lm
from tests.experiments_tests.test_evaluate_report import FIXTURE

RUBRIC = [Criterion(criterion="names KW1 as the mechanism", weight=5), Criterion(criterion="names KW2 too", weight=5)]


def item(verdicts):
    return Item("agentic", "d", "Q?", RUBRIC, "answer", verdicts)


def test_self_agreement_by_hand():
    s = self_agreement([item([1.0, 0.0])], [[[1.0, 0.0], [1.0, 1.0], [1.0, 0.0]]])
    # pairs agree on 1/2, 1, 1/2 of the verdicts; scores .5, 1, .5; agreement with recorded 1, 1/2, 1.
    assert s["pairwise_agreement"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["score_sd_mean"] == pytest.approx(0.2357, abs=1e-4)
    assert s["agreement_with_recorded"] == pytest.approx(5 / 6, abs=1e-4)


def test_cross_agreement_by_hand():
    c = cross_agreement([item([1.0, 0.0]), item([1.0, 1.0])], [[1.0, 1.0], None])
    assert c["items"] == 1 and c["agreement"] == 0.5 and c["score_diff_mean"] == 0.5  # the second is lenient


def test_sampling_is_seeded_and_skips_unanswered_attempts():
    rows = read_jsonl(FIXTURE)
    a, b = sample_items(rows, 5, seed=1), sample_items(rows, 5, seed=1)
    assert [(x.doc_id, x.answer) for x in a] == [(x.doc_id, x.answer) for x in b] and len(a) == 5
    assert all(x.answer.strip() and len(x.verdicts) == len(x.rubric) for x in sample_items(rows, 100))


def test_regrading_with_a_noisy_judge_and_failures_counted():
    rows = read_jsonl(FIXTURE)
    flips = itertools.count()

    def noisy(p):  # every other grading says yes to everything
        yes = next(flips) % 2 == 0
        return {name: yes for name in p.outputs}

    dspy.configure(adapter=dspy.JSONAdapter())
    report = judge_reliability(
        rows, scripted_lm("judge", noisy), repeats=2, n_items=3, second_lm=scripted_lm("j2", lambda p: "?")
    )
    assert report["self"]["items"] == 3 and report["self"]["pairwise_agreement"] < 1.0
    assert report["cross"]["failed_grades"] == 3 and report["cross"]["items"] == 0
    assert "self: pairwise agreement" in markdown(report)


def test_a_permanent_judge_error_stops_the_run():
    def denied(p):
        raise LMAuthError(model="scripted/judge")

    dspy.configure(adapter=dspy.JSONAdapter())
    with pytest.raises(FatalLMError, match="judge"):
        judge_reliability(read_jsonl(FIXTURE), scripted_lm("judge", denied), repeats=1, n_items=1)


def test_a_bug_in_a_regrading_stops_the_run_instead_of_counting_as_a_failed_grade():
    from programs.errors import UnexpectedError

    def broken(p):
        raise KeyError("c3")

    dspy.configure(adapter=dspy.JSONAdapter())
    with pytest.raises(UnexpectedError, match="KeyError"):
        judge_reliability(read_jsonl(FIXTURE), scripted_lm("judge", broken), repeats=1, n_items=1)


def test_regrading_uses_the_configured_protocol_and_its_anchors():
    from programs.judging import JudgeSettings
    from tests.support.logprob_engine import LogprobEngine, logprob_lm

    rows = read_jsonl(FIXTURE)
    engine = LogprobEngine(lambda system, user: 0.9)
    report = judge_reliability(rows, logprob_lm("judge", engine), repeats=2, n_items=2, settings=JudgeSettings())
    assert report["protocol"] == "probability" and report["failed_grades"] == 0
    # Greedy probability reads repeat exactly; anchors (context, reference) are read for each rubric.
    assert report["self"]["pairwise_agreement"] == 1.0
    answers = {user.split("Answer to grade:\n", 1)[1].split("\n\nA ", 1)[0] for _, user in engine.requests}
    assert {r["context"] for r in rows if r.get("context")} & answers
