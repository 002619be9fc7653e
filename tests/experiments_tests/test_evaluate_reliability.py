"""Judge reliability: regrading recorded answers on scripted judges, failures counted, fatal errors raised.

The agreement statistics are tested by hand in tests/metrics_tests/test_judge_agreement.py.
"""

from __future__ import annotations

import itertools

import dspy
import pytest
from dspy.utils.exceptions import LMAuthError

from experiments.records.files import read_jsonl
from experiments.report.reliability import judge_reliability, markdown, sample_items
from programs import FatalLMError
from testkit.scripted import scripted_lm
from tests.experiments_tests.test_evaluate_report import FIXTURE


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
