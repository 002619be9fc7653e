"""Only the challenger and verifier are trainable; solvers and judge keep their LMs through optimizers."""

from __future__ import annotations

import dspy
from dspy.teleprompt import BootstrapFewShot

from metrics import HarnessPolicy, make_gap_metric, thresholds_for
from programs import AgenticSelfInstruct, RubricStructure
from testkit.world import World, bind

STRUCTURE = RubricStructure(allow_penalties=False, min_positive=4, max_positive=4, min_penalties=0)


def _program():
    return AgenticSelfInstruct(HarnessPolicy(STRUCTURE, thresholds_for("paper")), max_rounds=1, n_samples=1, backoff=0)


def test_trainable_predictors_are_exactly_challenger_and_verifier():
    names = [name for name, _ in _program().named_predictors()]
    assert names == ["challenger.generate", "verifier.review"]


def test_an_optimizer_cannot_touch_solvers_or_judge():
    world = World(plan={1: {"weak": [], "strong": [1, 2, 3, 4]}})
    program = _program()
    lms = bind(program, world.engines())
    dspy.configure(lm=lms["challenger"], adapter=dspy.JSONAdapter())
    before = {role: getattr(program, role).named_predictors() for role in ("weak", "strong", "judge")}
    trainset = [
        dspy.Example(document=f"Paper {i}.", doc_id=f"d{i}").with_inputs("document", "doc_id") for i in range(2)
    ]
    metric = make_gap_metric(thresholds_for("paper"))
    compiled = BootstrapFewShot(metric=metric, max_bootstrapped_demos=1, max_labeled_demos=0).compile(
        program, trainset=trainset
    )
    assert [n for n, _ in compiled.named_predictors()] == ["challenger.generate", "verifier.review"]
    for role in ("weak", "strong", "judge"):
        for (_, old), (_, new) in zip(before[role], getattr(compiled, role).named_predictors(), strict=True):
            assert new.lm is not None and new.lm.model == old.lm.model
            assert new.demos == [] and new.signature.instructions == old.signature.instructions
    assert len(compiled.challenger.generate.demos) == 1
    # Trainable roles keep their own LMs through the optimizer's reset_copy (BoundPredict).
    assert compiled.challenger.generate.lm.model == "scripted/challenger"
    assert compiled.verifier.review.lm.model == "scripted/verifier"
    for _, predictor in compiled.named_predictors():
        predictor.lm = None
    state = compiled.dump_state()
    assert not any(key.startswith(("weak", "strong", "judge")) for key in state)
