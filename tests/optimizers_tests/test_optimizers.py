"""Every optimizer entry compiles a scripted harness; only trainable roles change; names are checked."""

from __future__ import annotations

import dspy
import pytest

from metrics import HarnessPolicy, make_gap_metric, thresholds_for
from optimizers import OPTIMIZERS, OptimizerSpec, UnknownOptimizerError, get
from programs import AgenticSelfInstruct, RubricStructure
from tests.support.scripted import Prompt, ScriptedEngine
from tests.support.world import World, bind

STRUCTURE = RubricStructure(allow_penalties=False, min_positive=4, max_positive=4, min_penalties=0)


def generic(p: Prompt) -> dict | str:
    """A prompt model that fills any signature's outputs (MIPROv2, COPRO, GEPA's reflection)."""
    if not p.outputs:
        return "```\nAsk about a mechanism specific to this paper; keep the context free of the answer.\n```"
    return {name: "Ask about a mechanism specific to this paper." for name in p.outputs}


def setup():
    world = World(plan={1: {"weak": [1], "strong": [1, 2, 3, 4]}})
    program = AgenticSelfInstruct(
        HarnessPolicy(STRUCTURE, thresholds_for("paper")), max_rounds=1, n_samples=1, backoff=0
    )
    lms = bind(program, world.engines())
    dspy.configure(adapter=dspy.JSONAdapter())
    data = [dspy.Example(document=f"Paper {i}.", doc_id=f"d{i}").with_inputs("document", "doc_id") for i in range(3)]
    reflection = dspy.LM("scripted/reflection", engine=ScriptedEngine(generic), cache=False, num_retries=0)
    spec = OptimizerSpec(
        metric=make_gap_metric(thresholds_for("paper")), max_metric_calls=6, seed=3, reflection_lm=reflection
    )
    return program, lms, data, spec


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_each_optimizer_compiles_and_keeps_roles(name, tmp_path):
    program, lms, data, spec = setup()
    spec.log_dir = str(tmp_path / "log")
    compiled, result = get(name)(program, data[:2], data[2:], spec)
    assert result.name == name
    assert [n for n, _ in compiled.named_predictors()] == ["challenger.generate", "verifier.review"]
    for role in ("weak", "strong", "judge"):
        for _, predictor in getattr(compiled, role).named_predictors():
            assert predictor.lm.model == f"scripted/{role}"
    assert compiled.challenger.generate.lm.model == "scripted/challenger"
    out = compiled(document="Paper 9.", doc_id="d9")
    assert out.accepted is not None


def test_gepa_rewrites_the_challenger_instructions(tmp_path):
    program, lms, data, spec = setup()
    spec.log_dir = str(tmp_path / "log")
    spec.metric = lambda g, p, t=None, pn=None, pt=None: dspy.Prediction(score=0.2, feedback="too easy")
    before = program.challenger.generate.signature.instructions
    compiled, result = get("gepa")(program, data[:2], data[2:], spec)
    assert result.candidates and result.candidates >= 1
    texts = {compiled.challenger.generate.signature.instructions, compiled.verifier.review.signature.instructions}
    assert before in texts or "specific to this paper" in " ".join(texts)


def test_unknown_optimizer_lists_the_valid_ones():
    with pytest.raises(UnknownOptimizerError, match="choose one of: gepa, mipro, bootstrap, simba, copro, none"):
        get("adam")


def test_unknown_optimizer_option_is_an_error():
    program, lms, data, spec = setup()
    spec.options = {"learning_rate": 0.1}
    with pytest.raises(ValueError, match="unknown option"):
        get("gepa")(program, data[:2], data[2:], spec)
