"""The one-shot baselines of the paper's comparison, as DSPy modules sharing the loop's roles and policy.

Each is an `AgenticSelfInstruct` with one round and its own challenger, so the verifier filter
(rubric checks, LM review, judge sanity checks), the solvers, the judge, the injected policy, the
observer calls and the returned `Prediction(doc_id, rounds, accepted)` are exactly the loop's:
- `CoTSelfInstruct`: grounded, reasoning first (`CoTChallenger`); the paper's only baseline with numbers;
- `GroundedSelfInstruct`: grounded, no reasoning step (the loop's own challenger, one shot);
- `SelfInstruct`: ungrounded, the challenger sees only the title (`TopicChallenger`).

Decision: no weak-first gating. The paper reports weak AND strong means for every verified CoT
candidate, so both solvers answer every candidate that passes the verifier; "accepted" then means the
one candidate meets the acceptance criterion in one shot (it is not a filter on the baseline's output).
`max_rounds` and `weak_first` are therefore fixed and cannot be passed.
"""

from __future__ import annotations

from typing import Any

import dspy

from programs.baseline_challengers import CoTChallenger, TopicChallenger
from programs.challenger import Challenger
from programs.loop import AgenticSelfInstruct
from programs.policy import Policy


class OneShotSelfInstruct(AgenticSelfInstruct):
    """One candidate per document, scored by both solvers whenever it passes the verifier."""

    method = "one_shot"

    def __init__(self, policy: Policy, **loop_options: Any) -> None:
        fixed = {"max_rounds", "weak_first"} & set(loop_options)
        if fixed:
            raise TypeError(f"{type(self).__name__} runs one round with both solvers; drop {sorted(fixed)}")
        super().__init__(policy, max_rounds=1, weak_first=False, **loop_options)
        self.challenger = self.make_challenger()

    def make_challenger(self) -> dspy.Module:
        return Challenger(self.policy.structure)


class CoTSelfInstruct(OneShotSelfInstruct):
    method = "cot"

    def make_challenger(self) -> Challenger:
        return CoTChallenger(self.policy.structure)


class GroundedSelfInstruct(OneShotSelfInstruct):
    method = "grounded"


class SelfInstruct(OneShotSelfInstruct):
    method = "self_instruct"

    def make_challenger(self) -> TopicChallenger:
        return TopicChallenger(self.policy.structure)


BASELINES: dict[str, type[OneShotSelfInstruct]] = {
    "cot": CoTSelfInstruct,
    "grounded": GroundedSelfInstruct,
    "self_instruct": SelfInstruct,
}

__all__ = ["BASELINES", "CoTSelfInstruct", "GroundedSelfInstruct", "OneShotSelfInstruct", "SelfInstruct"]
