"""The one-shot baselines on scripted roles: one round, both solvers, the loop's records and observer."""

from __future__ import annotations

import dspy
import pytest

from metrics import HarnessPolicy, thresholds_for
from programs import AgenticSelfInstruct, RubricStructure, hooks
from programs.baseline_challengers import TITLE_CHARS, topic_of
from programs.baselines import BASELINES, GroundedSelfInstruct, OneShotSelfInstruct
from testkit.world import bind
from tests.experiments_tests.fixtures.eval_world import EvalWorld

STRUCTURE = RubricStructure(min_positive=4, max_positive=4, min_penalties=1, max_penalties=2)
DOC = "# Paper {i}\n\nWe study mechanism {i}. It works because of KW{i}.\n"


def make(method: str, world: EvalWorld | None = None):
    program = BASELINES[method](HarnessPolicy(STRUCTURE, thresholds_for("paper")), n_samples=2, backoff=0)
    engines = (world or EvalWorld()).engines()
    bind(program, engines)
    dspy.configure(adapter=dspy.JSONAdapter())
    return program, engines


@pytest.mark.parametrize("method", list(BASELINES))
def test_one_round_both_solvers_and_the_observer(method):
    program, engines = make(method)
    seen = []
    with hooks.installed(observer=lambda record, prog: seen.append((record, prog))):
        out = program(document=DOC.format(i=0), doc_id="d0")
    assert isinstance(program, AgenticSelfInstruct) and program.method == method
    assert out.doc_id == "d0" and len(out.rounds) == 1 and out.accepted is None
    r = out.rounds[0]
    # Too easy for the paper preset, yet the strong solver answered: no weak-first gating.
    assert (r.weak_mean, r.strong_mean, r.gap, r.reason) == (0.75, 1.0, 0.25, "too_easy")
    assert engines["weak"].calls == 2 and engines["strong"].calls == 2 and engines["challenger"].calls == 1
    assert [(rec.round, prog) for rec, prog in seen] == [(1, program)]


@pytest.mark.parametrize("method", list(BASELINES))
def test_acceptance_means_meeting_the_criterion_in_one_shot(method):
    program, _ = make(method)
    out = program(document=DOC.format(i=1), doc_id="d1")
    assert out.accepted is out.rounds[0] and out.rounds[0].reason == "accepted"


def test_cot_reasons_first():
    program, engines = make("cot")
    program(document=DOC.format(i=0))
    outputs = list(engines["challenger"].prompts[0].outputs)
    assert outputs[0] == "reasoning" and "question" in outputs


def test_self_instruct_sees_only_the_title_while_the_verifier_sees_the_document():
    program, engines = make("self_instruct")
    program(document=DOC.format(i=0))
    prompt = engines["challenger"].prompts[0]
    assert prompt.inputs["topic"] == "Paper 0" and "document" not in prompt.inputs
    assert "We study" not in prompt.user
    assert "We study" in engines["verifier"].prompts[0].inputs["document"]


def test_verifier_rejection_skips_both_solvers():
    program, engines = make("grounded", EvalWorld(verifier_ok=False))
    r = program(document=DOC.format(i=0)).rounds[0]
    assert r.reason == "failed_quality" and engines["weak"].calls == engines["strong"].calls == 0


def test_round_budget_and_gating_are_fixed():
    policy = HarnessPolicy(STRUCTURE, thresholds_for("paper"))
    assert (GroundedSelfInstruct(policy).max_rounds, GroundedSelfInstruct(policy).weak_first) == (1, False)
    with pytest.raises(TypeError, match="max_rounds"):
        OneShotSelfInstruct(policy, max_rounds=3)


def test_topic_of_takes_the_title_line():
    assert topic_of("\n\n# A Title  \n\nBody text.") == "A Title"
    assert topic_of("Plain first line\nsecond") == "Plain first line"
    long = topic_of("x" * 500)
    assert len(long) == TITLE_CHARS and long.endswith("...")
