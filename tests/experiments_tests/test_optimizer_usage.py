"""An optimizer's own LM calls are counted once, apart from the loop's metered role calls."""

from __future__ import annotations

import dspy

from experiments.study.optimizer_usage import optimizer_calls
from programs.usage import UsageMeter
from testkit.scripted import ScriptedEngine


def lm(name: str) -> dspy.LM:
    return dspy.LM(name, engine=ScriptedEngine(lambda p: {"answer": "a fairly short answer"}), cache=False)


def test_only_calls_outside_the_role_meters_are_the_optimizers():
    dspy.configure(adapter=dspy.JSONAdapter(), track_usage=True)
    # The same model string for the loop role and the prompt model: the split cannot rely on names.
    lms = {"challenger": lm("scripted/same"), "reflection": lm("scripted/same")}
    ask = dspy.Predict("question -> answer")
    meter, own = UsageMeter(), {}
    with optimizer_calls(lms, own):
        with meter.role("challenger"):
            ask(question="What is in the paper?", lm=lms["challenger"])  # a loop call, in its round
        for _ in range(2):
            ask(question="Propose a better instruction.", lm=lms["reflection"])  # the optimizer's own
    assert meter.snapshot()["challenger"]["calls"] == 1
    assert set(own) == {"reflection"} and own["reflection"]["calls"] == 2
    assert own["reflection"]["prompt_tokens"] > 0 and own["reflection"]["completion_tokens"] > 0
