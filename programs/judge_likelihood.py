"""The `likelihood` judge: per criterion, how likely the model finds the criterion's own text as a
restatement of the answer, read from token log-probabilities, anchored per rubric.

Asked "state one point that this answer makes", a model puts more probability on the words of a point
the answer really makes than on one it does not; it does not have to follow a grading instruction or say
"yes", which small models do for anything fluent and on topic. The score of a criterion for an answer is
the sum of its tokens' log-probabilities after the answer (`programs.judge_prompts.likelihood_messages`;
nothing is generated). Its level depends on the criterion's wording, so it is only read relative to two
anchor answers of the same rubric, exactly like the probability judge's anchored calibration
(`programs.judge_probability.anchored_verdict`): the candidate's reference answer (makes every point) and
its context restated as an answer (makes none). A point is met from halfway between them; graded mode
gives 0.5 from halfway and 1 from the reference's level. A mistake is made when the answer makes its text
more likely than both anchors do (neither makes it). The probability judge's third anchor for a mistake,
its own text as the answer, does not carry over: a model copies a text it has just read with near
certainty, so that anchor would put every answer far below the midpoint.

The read needs log-probabilities of a given reply: the embedded engine serves them (request extension
`continuation_logprobs`, declared by `supports_continuation_logprobs` on the engine). With any other
provider, or without the context and reference answer to anchor on, this judge uses the probability
protocol instead, with one warning. Frozen; the LM is bound through the fallback's predictor.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from dspy.lm15 import Config, Message, Request, UnsupportedFeatureError
from dspy.utils.exceptions import LMProviderError

from programs.judge import JudgeModule
from programs.judge_probability import Anchor, ProbabilityJudge, anchored_verdict
from programs.judge_prompts import likelihood_messages
from programs.records import Criterion

log = logging.getLogger("autodata.judge")
CONTINUATION = "continuation_logprobs"
# Guards tiny dict updates for every instance (see judge_probability: a lock attribute breaks deepcopy).
_LOCK = threading.Lock()
_Key = tuple[str, tuple[tuple[str, int], ...], str, str]


class LikelihoodJudge(JudgeModule):
    def __init__(self, graded: bool = False, top_logprobs: int = 20) -> None:
        super().__init__(graded)
        self.fallback = ProbabilityJudge(graded=graded, calibration="anchored", top_logprobs=top_logprobs)
        # Unfrozen as a child, so that set_lm and named_predictors on this judge reach the LM it holds.
        self.fallback._compiled = False
        self._anchors: dict[_Key, list[Anchor]] = {}
        self._unsupported: str | None = None
        self._warned: set[str] = set()

    def verdicts(
        self, question: str, rubric: list[Criterion], answer: str, context: str, reference: str
    ) -> list[float]:
        if not (context.strip() and reference.strip()):
            self._warn_once("anchors", "likelihood judging needs the context and the reference answer as anchors")
            return self.fallback.verdicts(question, rubric, answer, context, reference)
        if self._unsupported:
            return self.fallback.verdicts(question, rubric, answer, context, reference)
        try:
            anchors = self.anchors(question, rubric, context, reference)
            if answer in (context, reference):  # already read as an anchor
                values = [a.low if answer == context else a.high for a in anchors]
            else:
                values = self.read(question, rubric, answer)
        except UnsupportedFeatureError as exc:
            self._give_up(str(exc).splitlines()[0])
            return self.fallback.verdicts(question, rubric, answer, context, reference)
        return [
            anchored_verdict(v, a, c.is_penalty, self.graded) for v, a, c in zip(values, anchors, rubric, strict=True)
        ]

    def anchors(self, question: str, rubric: list[Criterion], context: str, reference: str) -> list[Anchor]:
        key = (question, tuple((c.criterion, c.weight) for c in rubric), context, reference)
        with _LOCK:
            known = self._anchors.get(key)
        if known is None:
            low, high = self.read(question, rubric, context), self.read(question, rubric, reference)
            known = [Anchor(lo, hi) for lo, hi in zip(low, high, strict=True)]
            with _LOCK:
                self._anchors[key] = known
        return known

    def read(self, question: str, rubric: list[Criterion], answer: str) -> list[float]:
        """The log-likelihood of every criterion's text as a restatement of one answer."""
        return [self._loglik(likelihood_messages(question, answer, c)) for c in rubric]

    def _loglik(self, messages: list[dict[str, str]]) -> float:
        lm = self.fallback.bound_lm()
        if not getattr(_engine(lm), "supports_continuation_logprobs", False):
            raise UnsupportedFeatureError(f"{lm.model} does not score given replies", feature=CONTINUATION)
        reply = messages[-1]["content"]
        request = Request(
            model=lm.model,
            system=messages[0]["content"],
            messages=(Message.user(messages[1]["content"]), Message.assistant(reply)),
            config=Config(max_tokens=1, temperature=0.0, extensions={CONTINUATION: True}),
        )
        response = lm(request)
        if not response.logprobs:
            raise LMProviderError("no log-probabilities for the scored reply", model=lm.model)
        return float(sum(t.logprob for t in response.logprobs))

    def _give_up(self, reason: str) -> None:
        self._warn_once("provider", reason)
        self._unsupported = reason

    def _warn_once(self, kind: str, reason: str) -> None:
        with _LOCK:
            if kind not in self._warned:
                self._warned.add(kind)
                log.warning("judge: %s; using the probability protocol instead", reason)


def _engine(lm: Any) -> Any:
    try:
        return lm.engine
    except Exception:  # a hosted LM may fail to build its engine offline: it has no continuation reads then
        return None
