"""`BoundPredict`: a Predict whose role LM survives optimizers.

DSPy optimizers copy the student with `reset_copy()`, which calls `reset()` on every predictor and so
drops its LM; the copy would then run on whatever global LM is set, silently putting the verifier on
the challenger's model. This subclass keeps its LM through `reset()` (demos and traces are still
cleared), so every role stays on its own model inside and after any optimizer.
"""

from __future__ import annotations

import dspy


class BoundPredict(dspy.Predict):
    def reset(self) -> None:
        lm = getattr(self, "lm", None)  # reset() also runs inside __init__, before any LM exists
        super().reset()  # type: ignore[no-untyped-call]  # dspy.Predict.reset is unannotated
        self.lm = lm
