"""Every judge protocol: the common call, one verdict per criterion, frozen roles, evidence checks."""

from __future__ import annotations

import dspy
import pytest

from metrics import HarnessPolicy, thresholds_for
from programs import AgenticSelfInstruct, RubricStructure
from programs.judge import Judge
from programs.judge_criterion import CriterionJudge
from programs.judge_evidence import EvidenceJudge, quote_found
from programs.judge_likelihood import LikelihoodJudge
from programs.judge_probability import ProbabilityJudge
from programs.judging import PROTOCOLS, JudgeSettings, make_judge
from programs.records import Criterion
from testkit.scripted import scripted_lm
from testkit.world import World, bind

RUBRIC = [
    Criterion(criterion="the answer names KW1 as the key mechanism", weight=4),
    Criterion(criterion="the answer names KW2 as the key mechanism", weight=3),
    Criterion(criterion="the answer wrongly claims ERR1 holds", weight=-2),
]
ANSWER = "The main point is that KW1 drives it. Also ERR1 holds in every case we tried."


@pytest.mark.parametrize(
    ("protocol", "kind"),
    [
        ("joint", Judge),
        ("per_criterion", CriterionJudge),
        ("probability", ProbabilityJudge),
        ("likelihood", LikelihoodJudge),
        ("evidence", EvidenceJudge),
    ],
)
def test_make_judge_builds_each_protocol_frozen(protocol, kind):
    judge = make_judge(JudgeSettings(protocol=protocol), graded=True)
    assert isinstance(judge, kind) and judge.graded and judge._compiled
    assert protocol in PROTOCOLS


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_every_protocol_gives_the_world_judges_verdicts_in_rubric_order(protocol):
    world = World()
    judge = make_judge(JudgeSettings(protocol=protocol))
    judge.set_lm(scripted_lm("judge", world.judge))
    dspy.configure(adapter=dspy.JSONAdapter())
    kw = {"context": "Setup for question 1.", "reference": "The mechanism involves KW1 KW2."}
    assert judge("Question 1?", RUBRIC, ANSWER, **kw) == [1.0, 0.0, 1.0]
    assert judge("Question 1?", RUBRIC, "", **kw) == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_the_loop_passes_context_and_reference_and_keeps_the_judge_frozen(protocol):
    seen = []

    class Spy(CriterionJudge):
        def verdicts(self, question, rubric, answer, context, reference):
            seen.append((context, reference))
            return super().verdicts(question, rubric, answer, context, reference)

    structure = RubricStructure(allow_penalties=False, min_positive=4, max_positive=4, min_penalties=0)
    policy = HarnessPolicy(structure, thresholds_for("paper"))
    judge = Spy() if protocol == "per_criterion" else make_judge(JudgeSettings(protocol=protocol))
    program = AgenticSelfInstruct(policy, max_rounds=1, n_samples=1, backoff=0, judge=judge)
    assert [n for n, _ in program.named_predictors()] == ["challenger.generate", "verifier.review"]
    world = World(plan={1: {"weak": [1], "strong": [1, 2, 3, 4]}})
    bind(program, world.engines())
    dspy.configure(adapter=dspy.JSONAdapter())
    out = program(document="A paper.", doc_id="d1")
    assert out.accepted is not None, out.rounds[0].detail
    if protocol == "per_criterion":
        assert set(seen) == {("Setup for question 1.", "The mechanism involves KW1 KW2 KW3 KW4.")}


@pytest.mark.parametrize(
    ("quote", "found"),
    [
        ("The main point is that KW1 drives it.", True),
        ("the MAIN point is that kw1 drives it", True),  # case and punctuation do not matter
        ("KW1 drives it", False),  # three words: too short to carry a claim
        ("The main point is that KW2 drives it.", False),  # invented
        ("NONE", False),
        ("", False),
        ("main point is that KW1 drives", True),
        ("ain point is that KW1 drives", False),  # a quote must start and end on word boundaries
    ],
)
def test_evidence_quotes_are_checked_against_the_answer(quote, found):
    assert quote_found(quote, ANSWER) is found


def test_an_invented_quote_overrules_the_evidence_judges_yes():
    judge = EvidenceJudge()
    judge.set_lm(scripted_lm("judge", lambda p: {"quote": "KW2 is the key mechanism of it all", "met": True}))
    dspy.configure(adapter=dspy.JSONAdapter())
    assert judge("Q?", RUBRIC, ANSWER) == [0.0, 0.0, 0.0]


def test_per_criterion_sends_one_criterion_per_call_and_shares_the_prefix():
    lm = scripted_lm("judge", lambda p: {"met": False})
    judge = CriterionJudge()
    judge.set_lm(lm)
    dspy.configure(adapter=dspy.JSONAdapter())
    judge("Q?", RUBRIC, ANSWER)
    prompts = lm.engine.prompts
    assert len(prompts) == 3 and {p.system for p in prompts} == {prompts[0].system}
    assert [p.inputs["criterion"] for p in prompts] == [
        "A point the answer must make: the answer names KW1 as the key mechanism",
        "A point the answer must make: the answer names KW2 as the key mechanism",
        "A mistake the answer must avoid: the answer wrongly claims ERR1 holds",
    ]
    prefix = prompts[0].user.split("[[ ## criterion ## ]]")[0]
    assert ANSWER in prefix and all(p.user.startswith(prefix) for p in prompts)
