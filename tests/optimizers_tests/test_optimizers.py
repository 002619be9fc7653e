"""Every optimizer entry compiles a scripted harness; only trainable roles change; names are checked.

`test_each_optimizer_learns_what_is_rewarded` runs every registry entry on a scripted task where a change
of the trainable state pays: the challenger writes a question that separates the solvers (accepted)
only when its instructions carry the prompt model's advice or when it is shown a demo; otherwise its
question is too easy. Training holds one document on which the challenger succeeds anyway, so demo
optimizers (BootstrapFewShot, SIMBA) have a trace to copy. Each optimizer must change the challenger's
or verifier's instructions or demos, the change must raise the pass rate on held-out documents, and
solvers and judge must come out exactly as they went in. "none" must change nothing.
"""

from __future__ import annotations

import dspy
import pytest

from metrics import HarnessPolicy, make_gap_metric, thresholds_for
from optimizers import OPTIMIZERS, OptimizerSpec, UnknownOptimizerError, get
from programs import AgenticSelfInstruct, RubricStructure
from testkit.scripted import Prompt, ScriptedEngine
from testkit.world import World, bind

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


ADVICE = "mechanism specific to this paper"
FROZEN = ("weak", "strong", "judge")


def advise(p: Prompt) -> dict | str:
    """The prompt model (GEPA's reflection LM, MIPROv2's and COPRO's proposer): always the same advice."""
    if not p.outputs:
        return f"```\nAsk about a {ADVICE}; keep the context free of the answer.\n```"
    return {name: f"Ask about a {ADVICE}." for name in p.outputs}


def rewarded_setup():
    """Question 1 is too easy (the weak solver knows every keyword), question 2 separates the solvers."""
    world = World(plan={1: {"weak": [1, 2, 3, 4]}, 2: {"weak": [1], "strong": [1, 2, 3, 4]}})

    def challenger(p: Prompt) -> dict:
        out = World.challenger(world, p)
        if ADVICE in p.system or p.demos or "insight" in p.inputs.get("document", ""):
            out["question"] = out["question"].replace("Question 1", "Question 2")
        return out

    engines = world.engines()
    engines["challenger"] = ScriptedEngine(challenger)
    program = AgenticSelfInstruct(
        HarnessPolicy(STRUCTURE, thresholds_for("paper")), max_rounds=1, n_samples=1, backoff=0
    )
    lms = bind(program, engines)
    dspy.configure(adapter=dspy.JSONAdapter())
    texts = ["Paper 0 with a paper-specific insight.", "Paper 1.", "Paper 2."]
    train = [dspy.Example(document=t, doc_id=f"t{i}").with_inputs("document", "doc_id") for i, t in enumerate(texts)]
    val = [dspy.Example(document=f"Paper {i}.", doc_id=f"v{i}").with_inputs("document", "doc_id") for i in (3, 4)]
    reflection = dspy.LM("scripted/reflection", engine=ScriptedEngine(advise), cache=False, num_retries=0)
    spec = OptimizerSpec(
        metric=make_gap_metric(thresholds_for("paper")), max_metric_calls=12, seed=3, reflection_lm=reflection
    )
    return program, lms, train, val, spec


def trainable_state(program) -> dict:
    return {name: (p.signature.instructions, [dict(d) for d in p.demos]) for name, p in program.named_predictors()}


def frozen_state(program) -> dict:
    return {
        f"{role}.{name}": (p.signature.instructions, [dict(d) for d in p.demos], p.lm.model)
        for role in FROZEN
        for name, p in getattr(program, role).named_predictors()
    }


def passes(program, lms, docs) -> int:
    program.challenger.generate.lm, program.verifier.review.lm = lms["challenger"], lms["verifier"]
    return sum(program(**d.inputs()).accepted is not None for d in docs)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_each_optimizer_learns_what_is_rewarded(name, tmp_path):
    program, lms, train, val, spec = rewarded_setup()
    spec.log_dir = str(tmp_path / "log")
    before, frozen = trainable_state(program), frozen_state(program)
    assert passes(program, lms, val) == 0  # the harness as written never separates the solvers here
    compiled, result = get(name)(program, train, val, spec)
    assert result.name == name
    assert frozen_state(compiled) == frozen, "an optimizer touched a solver or the judge"
    after = trainable_state(compiled)
    if name == "none":
        assert after == before and compiled is program
        return
    changed = {role for role in before if after[role] != before[role]}
    assert changed, f"{name} left the challenger's and verifier's instructions and demos as they were"
    challenger_instructions, challenger_demos = after["challenger.generate"]
    assert ADVICE in challenger_instructions or challenger_demos, f"{name} changed {changed} but not what pays"
    assert passes(compiled, lms, val) == len(val), f"{name}'s change did not carry over to held-out documents"


def test_gepa_rewrites_the_challenger_instructions(tmp_path):
    program, lms, train, val, spec = rewarded_setup()
    spec.log_dir = str(tmp_path / "log")
    before = program.challenger.generate.signature.instructions
    compiled, result = get("gepa")(program, train, val, spec)
    assert result.candidates and result.candidates >= 2  # the seed program and at least one proposal
    after = compiled.challenger.generate.signature.instructions
    assert after != before and ADVICE in after
    assert result.best_score == 1.0


def test_unknown_optimizer_lists_the_valid_ones():
    with pytest.raises(UnknownOptimizerError, match="choose one of: gepa, mipro, bootstrap, simba, copro, none"):
        get("adam")


def test_unknown_optimizer_option_is_an_error():
    program, lms, data, spec = setup()
    spec.options = {"learning_rate": 0.1}
    with pytest.raises(ValueError, match="unknown option"):
        get("gepa")(program, data[:2], data[2:], spec)
