"""The probability judge: P(yes) reading, calibrations exactly at their thresholds, anchors, fallback."""

from __future__ import annotations

import logging
import math

import pytest

from programs.judge_probability import Anchor, ProbabilityJudge, anchored_verdict, logit, p_yes
from programs.judging import JudgeSettings, make_judge
from programs.records import Criterion
from tests.support.logprob_engine import LogprobEngine, logprob_lm

RUBRIC = [
    Criterion(criterion="States that the cache is keyed by the prompt prefix", weight=5),
    Criterion(criterion="Explains that eviction is least recently used", weight=3),
    Criterion(criterion="Claims that the cache never needs eviction", weight=-4),
]
CONTEXT = "A server caches evaluated prompts."
REFERENCE = "The cache is keyed by the prompt prefix; eviction is least recently used."


@pytest.mark.parametrize(
    ("top", "chosen", "expected"),
    [
        ([("Yes", math.log(0.6)), ("No", math.log(0.2))], "Yes", 0.75),
        ([(" yes", math.log(0.3)), ("YES.", math.log(0.3)), ("no", math.log(0.2))], " yes", 0.75),
        ([("The", math.log(0.9)), ("A", math.log(0.1))], "The", 0.0),  # neither word: counts as no
        ([("The", math.log(0.9))], "yes", 1.0),
        ([("no", math.log(0.5)), ("No", math.log(0.5))], "no", 0.0),
    ],
)
def test_p_yes_sums_variants_and_normalises(top, chosen, expected):
    assert p_yes(top, chosen) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "anchor", "penalty", "graded", "expected"),
    [
        (0.0, Anchor(-1.0, 1.0), False, False, 1.0),  # exactly halfway: met
        (-1e-9, Anchor(-1.0, 1.0), False, False, 0.0),  # just below halfway
        (0.99, Anchor(-1.0, 1.0), False, True, 0.5),  # graded: halfway to the reference
        (1.0, Anchor(-1.0, 1.0), False, True, 1.0),  # graded: at the reference's level
        (-0.5, Anchor(-1.0, 1.0), False, True, 0.0),
        (1.0, Anchor(-1.0, 1.0), True, False, 0.0),  # a mistake must beat both anchors strictly
        (1.0 + 1e-9, Anchor(-1.0, 1.0), True, False, 1.0),
        (2.0, Anchor(1.0, -1.0), True, False, 1.0),  # penalty: max of the two anchors
        (2.0, Anchor(1.0, -1.0, 3.0), True, False, 1.0),  # a mistake: halfway to its own text's level
        (2.0 - 1e-9, Anchor(1.0, -1.0, 3.0), True, False, 0.0),
        (1.5, Anchor(1.0, -1.0, 1.0), True, False, 1.0),  # its text no better than the anchors: beat both
        (1.0, Anchor(1.0, -1.0, 1.0), True, False, 0.0),
        (0.5, Anchor(1.0, 1.0), False, False, 0.0),  # reference no better than context: uncheckable
        (1.5, Anchor(1.0, 0.5), False, False, 1.0),  # ... met only above both anchors
        (1.0, Anchor(1.0, 0.5), False, False, 0.0),
    ],
)
def test_anchored_verdict_at_its_thresholds(value, anchor, penalty, graded, expected):
    assert anchored_verdict(value, anchor, penalty, graded) == expected


def _scripted(p_of):
    engine = LogprobEngine(lambda system, user: p_of(user))
    judge = ProbabilityJudge(calibration="fixed", threshold=0.5)
    judge.set_lm(logprob_lm("judge", engine))
    return judge, engine


def test_fixed_threshold_per_criterion():
    def p(user: str) -> float:
        criterion = user.rsplit("\n", 2)[-2]
        return 0.5 if "prefix" in criterion else 0.4999

    judge, engine = _scripted(p)
    assert judge("Q?", RUBRIC, "an answer") == [1.0, 0.0, 0.0]
    assert engine.calls == len(RUBRIC)


def test_empty_answer_is_not_sent():
    judge, engine = _scripted(lambda user: 0.99)
    assert judge("Q?", RUBRIC, "   ") == [0.0, 0.0, 0.0]
    assert engine.calls == 0


def _answer_of(user: str) -> str:
    return user.split("Answer to grade:\n", 1)[1].split("\n\nA ", 1)[0]


def test_anchored_reads_anchors_once_per_rubric_and_places_verdicts_between_them():
    # P(yes) by answer: the context restated 0.6, the reference 0.9 on points and 0.3 on the mistake.
    def p(user: str) -> float:
        answer, mistake = _answer_of(user), "mistake" in user.rsplit("\n", 2)[-2]
        if answer == CONTEXT:
            return 0.6
        if answer == REFERENCE:
            return 0.3 if mistake else 0.9
        halfway = 1 / (1 + math.exp(-(logit(0.6) + logit(0.9)) / 2))
        if answer == "good":
            return 0.2 if mistake else halfway
        if answer == "wrong":
            return 0.6 if mistake else 0.61  # the mistake exactly at the context's level: not made
        return 0.7

    engine = LogprobEngine(lambda system, user: p(user))
    judge = make_judge(JudgeSettings(protocol="probability", calibration="anchored"))
    judge.set_lm(logprob_lm("judge", engine))
    kw = {"context": CONTEXT, "reference": REFERENCE}
    assert judge("Q?", RUBRIC, "good", **kw) == [1.0, 1.0, 0.0]
    assert engine.calls == 3 * len(RUBRIC) + 1  # two anchors + the penalty's own text + the answer
    assert judge("Q?", RUBRIC, "weak", **kw) == [0.0, 0.0, 1.0]  # 0.7 > both anchors on the mistake
    assert judge("Q?", RUBRIC, "wrong", **kw) == [0.0, 0.0, 0.0]  # points above the context, below halfway
    assert engine.calls == 5 * len(RUBRIC) + 1
    assert judge("Q?", RUBRIC, REFERENCE, **kw) == [1.0, 1.0, 0.0]
    assert judge("Q?", RUBRIC, CONTEXT, **kw) == [0.0, 0.0, 0.0]
    assert engine.calls == 5 * len(RUBRIC) + 1  # the anchors themselves are not read again


def test_anchored_without_anchor_texts_uses_the_fixed_threshold(caplog):
    judge, _ = _scripted(lambda user: 0.55)
    judge.calibration = "anchored"
    with caplog.at_level(logging.WARNING, logger="autodata.judge"):
        assert judge("Q?", RUBRIC, "x") == [1.0, 1.0, 1.0]
        assert judge("Q?", RUBRIC, "y") == [1.0, 1.0, 1.0]
    assert sum("anchored judging needs" in r.message for r in caplog.records) == 1


def test_provider_without_logprobs_falls_back_to_per_criterion_once(caplog):
    engine = LogprobEngine(lambda s, u: 0.9, fallback=lambda prompt: {"met": "prefix" in prompt.user}, logprobs=False)
    judge = ProbabilityJudge()
    judge.set_lm(logprob_lm("judge", engine))
    with caplog.at_level(logging.WARNING, logger="autodata.judge"):
        first = judge("Q?", RUBRIC, "an answer", context=CONTEXT, reference=REFERENCE)
        second = judge("Q?", RUBRIC, "another", context=CONTEXT, reference=REFERENCE)
    assert first == second == [1.0, 0.0, 0.0]
    assert sum("per_criterion" in r.message for r in caplog.records) == 1


def test_prompts_of_one_answer_share_everything_but_the_criterion():
    judge, engine = _scripted(lambda user: 0.9)
    judge("Q?", RUBRIC, "one answer with several words")
    users = [u for _, u in engine.requests]
    shared = users[0].split("A point the answer must make")[0]
    assert len(shared) > len("Question:\nQ?\n\nAnswer to grade:\none answer with several words")
    assert all(u.startswith(shared) for u in users)
    assert "A mistake the answer must avoid: Claims that the cache never needs eviction" in users[2]
    assert all("weight" not in u and "+5" not in u for u in users)
