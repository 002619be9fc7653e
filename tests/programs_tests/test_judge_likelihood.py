"""The likelihood judge: the scored reply, anchors at their exact thresholds, reuse, and both fallbacks."""

from __future__ import annotations

import logging

import pytest

from programs.judge_likelihood import LikelihoodJudge
from programs.judging import JudgeSettings, make_judge
from tests.programs_tests.test_judge_probability import CONTEXT, REFERENCE, RUBRIC
from tests.support.logprob_engine import LogprobEngine, logprob_lm

KW = {"context": CONTEXT, "reference": REFERENCE}
# Log-likelihood per answer and criterion (index): context -10 on points and -6 on the mistake,
# reference -2 on points and -8 on the mistake, so a point's midpoint is -6 and a mistake must beat -6.
TABLE = {
    CONTEXT: (-10.0, -10.0, -6.0),
    REFERENCE: (-2.0, -2.0, -8.0),
    "at the midpoint": (-6.0, -6.000001, -6.0),
    "graded": (-2.0, -3.0, -5.999999),
    "below": (-9.0, -7.0, -12.0),
}


def _loglik(system: str, user: str, reply: str) -> float:
    answer = user.split("Answer:\n", 1)[1].rsplit("\n\nState one ", 1)[0]
    index = [c.criterion for c in RUBRIC].index(reply)
    return TABLE[answer][index]


def _judge(graded: bool = False, loglik=_loglik, fallback_p: float = 0.9):
    engine = LogprobEngine(lambda s, u: fallback_p, loglik=loglik)
    judge = make_judge(JudgeSettings(protocol="likelihood"), graded=graded)
    judge.set_lm(logprob_lm("judge", engine))
    return judge, engine


def test_verdicts_between_the_anchors_exactly_at_the_thresholds():
    judge, engine = _judge()
    assert isinstance(judge, LikelihoodJudge)
    assert judge("Q?", RUBRIC, "at the midpoint", **KW) == [1.0, 0.0, 0.0]  # a mistake must beat both anchors
    assert judge("Q?", RUBRIC, "graded", **KW) == [1.0, 1.0, 1.0]
    assert judge("Q?", RUBRIC, "below", **KW) == [0.0, 0.0, 0.0]
    assert engine.calls == 5 * len(RUBRIC), "two anchors, read once, and three answers"
    assert judge("Q?", RUBRIC, REFERENCE, **KW) == [1.0, 1.0, 0.0]
    assert judge("Q?", RUBRIC, CONTEXT, **KW) == [0.0, 0.0, 0.0]
    assert engine.calls == 5 * len(RUBRIC), "the anchors are not read again"


def test_graded_points_earn_half_from_the_midpoint_and_full_at_the_reference():
    judge, _ = _judge(graded=True)
    assert judge("Q?", RUBRIC, "at the midpoint", **KW) == [0.5, 0.0, 0.0]
    assert judge("Q?", RUBRIC, "graded", **KW) == [1.0, 0.5, 1.0]


def test_the_criterion_text_is_the_scored_reply_after_a_shared_prefix():
    judge, engine = _judge()
    judge("Q?", RUBRIC, "below", **KW)
    asked = [u for _, u in engine.requests if "Answer:\nbelow" in u]
    assert [a.rsplit("\n>> ", 1)[1] for a in asked] == [c.criterion for c in RUBRIC]
    assert asked[0].endswith("State one point that this answer makes.\n>> " + RUBRIC[0].criterion)
    assert "State one claim that this answer makes." in asked[2], "a mistake is asked for as a claim"
    shared = "Question:\nQ?\n\nAnswer:\nbelow\n\nState one "
    assert all(a.startswith(shared) for a in asked)
    assert all("weight" not in a and REFERENCE not in a for a in asked), "no weights, no reference in a prompt"


def test_a_provider_that_does_not_score_replies_gets_the_probability_protocol_once(caplog):
    engine = LogprobEngine(lambda s, u: 0.9)  # P(yes) only
    judge = make_judge(JudgeSettings(protocol="likelihood"))
    judge.set_lm(logprob_lm("judge", engine))
    with caplog.at_level(logging.WARNING, logger="autodata.judge"):
        first = judge("Q?", RUBRIC, "one", **KW)
        second = judge("Q?", RUBRIC, "two", **KW)
    # P(yes) 0.9 everywhere: the anchored probability judge finds no point the reference beats the context on.
    assert first == second == [0.0, 0.0, 0.0]
    assert sum("using the probability protocol instead" in r.message for r in caplog.records) == 1
    assert all(">>" not in u for _, u in engine.requests), "no reply was scored"


def test_without_anchor_texts_one_call_uses_the_probability_protocol_and_later_ones_do_not(caplog):
    judge, engine = _judge(fallback_p=0.7)
    with caplog.at_level(logging.WARNING, logger="autodata.judge"):
        assert judge("Q?", RUBRIC, "below") == [1.0, 1.0, 1.0]  # probability, fixed 0.5 threshold
        assert judge("Q?", RUBRIC, "below", reference=REFERENCE) == [1.0, 1.0, 1.0]
    assert sum("likelihood judging needs the context" in r.message for r in caplog.records) == 1
    assert judge("Q?", RUBRIC, "below", **KW) == [0.0, 0.0, 0.0], "with anchors, likelihood again"


def test_a_failed_read_raises_for_the_loop_to_retry():
    def broken(system, user, reply):
        raise RuntimeError("engine crashed")

    judge, _ = _judge(loglik=broken)
    with pytest.raises(Exception, match="engine crashed"):
        judge("Q?", RUBRIC, "below", **KW)
