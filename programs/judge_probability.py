"""The `probability` judge: per criterion, P(yes) read from the model's next-token log-probabilities.

Each criterion gets the one-criterion prompt (`programs.judge_prompts.probability_messages`) and a
one-token reply with the top alternatives' log-probabilities; P(yes) = P(yes-tokens) / (P(yes-tokens) +
P(no-tokens)), summed over case and spacing variants. Reading the probability instead of sampling a word
keeps the judge's uncertainty, which a calibration can then use (docs/judging.md):
- `fixed`: met when P(yes) >= threshold;
- `anchored`: per rubric, the same criteria are also read for two anchor answers whose verdicts are known
  by construction: the candidate's reference answer (meets every point, makes no listed mistake) and its
  context restated as an answer (on topic but makes no point); a penalty item is also read for its own
  text given as the answer (which makes that mistake by construction). A point is met when its log-odds
  lie at least halfway from the context's to the reference's; a mistake is made when its log-odds lie at
  least halfway from the higher of those two (neither makes it) to its own text's. A point whose
  reference does not beat the context (or a mistake whose text does not beat both) is one the judge
  cannot check: it is met only by an answer more convincing than both anchors (so the reference fails a
  point like that, and the loop's sanity check sees a bad criterion). Graded mode: a point earns 0.5 from
  halfway and 1 from the reference's level on; mistakes stay 0/1.
Anchors are read once per rubric and kept. Providers that return no log-probabilities get the
per_criterion protocol instead, with one warning. Frozen; the LM is bound through the fallback predictor.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from typing import cast

import dspy
from dspy.lm15 import Config, Message, Request, UnsupportedFeatureError
from dspy.utils.exceptions import LMProviderError

from programs.judge import JudgeModule
from programs.judge_criterion import CriterionJudge
from programs.judge_prompts import probability_messages
from programs.records import Criterion

log = logging.getLogger("autodata.judge")
YES, NO = "yes", "no"
_EPS = 1e-6
# One lock for every instance (it guards tiny dict updates): a lock attribute would stop optimizers from
# deep-copying the harness and MLflow from pickling it.
_LOCK = threading.Lock()


def logit(p: float) -> float:
    p = min(max(p, _EPS), 1 - _EPS)
    return math.log(p / (1 - p))


def p_yes(top: list[tuple[str, float]], chosen: str) -> float:
    """P(yes) / (P(yes) + P(no)) over the alternatives' variants of the two words; the chosen token when
    neither word is among them (a reply that is neither counts as no)."""
    mass = {YES: 0.0, NO: 0.0}
    for token, logprob in top:
        word = token.strip().strip(".,!:;\"'").lower()
        if word in mass:
            mass[word] += math.exp(logprob)
    total = mass[YES] + mass[NO]
    if total > 0:
        return mass[YES] / total
    return 1.0 if chosen.strip().lower().startswith(YES) else 0.0


@dataclass(frozen=True)
class Anchor:
    """Log-odds of P(yes) for the context restated (`low`) and the reference answer (`high`); for a penalty
    item also for its own text as the answer (`made`)."""

    low: float
    high: float
    made: float | None = None


def anchored_verdict(value: float, anchor: Anchor, penalty: bool, graded: bool) -> float:
    """The verdict for log-odds `value` of one criterion, given its anchors (module notes)."""
    top = max(anchor.low, anchor.high)
    if penalty:
        if anchor.made is not None and anchor.made > top:
            return 1.0 if value >= (top + anchor.made) / 2 else 0.0
        return 1.0 if value > top else 0.0
    if anchor.high <= anchor.low:
        return 1.0 if value > top else 0.0
    position = (value - anchor.low) / (anchor.high - anchor.low)
    if not graded:
        return 1.0 if position >= 0.5 else 0.0
    return 1.0 if position >= 1.0 else 0.5 if position >= 0.5 else 0.0


class ProbabilityJudge(JudgeModule):
    def __init__(
        self, graded: bool = False, calibration: str = "anchored", threshold: float = 0.5, top_logprobs: int = 20
    ) -> None:
        super().__init__(graded)
        self.calibration = calibration
        self.threshold, self.top_logprobs = threshold, top_logprobs
        self.fallback = CriterionJudge(graded=graded)
        # The fallback's predictor also holds this judge's LM. Unfrozen as a child so that set_lm and
        # named_predictors on this judge reach it; this judge itself stays frozen inside the harness.
        self.fallback._compiled = False
        self._anchors: dict[tuple[str, tuple[tuple[str, int], ...], str, str], list[Anchor]] = {}
        self._no_logprobs = False
        self._warned_anchor = False

    def verdicts(
        self, question: str, rubric: list[Criterion], answer: str, context: str, reference: str
    ) -> list[float]:
        if self._no_logprobs:
            return cast("list[float]", self.fallback(question, rubric, answer))  # dspy.Module.__call__ is untyped
        try:
            anchors = self.anchors(question, rubric, context, reference) if self.calibration == "anchored" else None
            if anchors is None:
                return [1.0 if p >= self.threshold else 0.0 for p in self.read(question, rubric, answer)]
            if answer in (context, reference):  # already read as an anchor: no second read
                values = [a.low if answer == context else a.high for a in anchors]
            else:
                values = [logit(p) for p in self.read(question, rubric, answer)]
        except UnsupportedFeatureError as exc:
            self._give_up(exc)
            return cast("list[float]", self.fallback(question, rubric, answer))  # dspy.Module.__call__ is untyped
        return [
            anchored_verdict(v, a, c.is_penalty, self.graded) for v, a, c in zip(values, anchors, rubric, strict=True)
        ]

    def read(self, question: str, rubric: list[Criterion], answer: str) -> list[float]:
        """P(yes) for every criterion of the rubric, for one answer."""
        return [self._p_yes(probability_messages(question, answer, c)) for c in rubric]

    def anchors(self, question: str, rubric: list[Criterion], context: str, reference: str) -> list[Anchor] | None:
        if not context.strip() or not reference.strip():
            if not self._warned_anchor:
                self._warned_anchor = True
                log.warning(
                    "anchored judging needs the context and the reference answer; using P(yes) >= %s", self.threshold
                )
            return None
        key = (question, tuple((c.criterion, c.weight) for c in rubric), context, reference)
        with _LOCK:
            known = self._anchors.get(key)
        if known is None:
            low, high = self.read(question, rubric, context), self.read(question, rubric, reference)
            made = [logit(self.read(question, [c], c.criterion)[0]) if c.is_penalty else None for c in rubric]
            known = [Anchor(logit(lo), logit(hi), m) for lo, hi, m in zip(low, high, made, strict=True)]
            with _LOCK:
                self._anchors[key] = known
        return known

    def bound_lm(self) -> dspy.LM:
        """The LM this judge calls (bound with set_lm, else the configured one)."""
        lm = self.fallback.verdict.lm or dspy.settings.lm
        if lm is None:
            raise RuntimeError("the judge has no LM: bind one with set_lm or dspy.configure")
        return cast("dspy.LM", lm)

    def _p_yes(self, messages: list[dict[str, str]]) -> float:
        lm = self.bound_lm()
        request = Request(
            model=lm.model,
            system=messages[0]["content"],
            messages=tuple(Message.user(m["content"]) for m in messages[1:]),
            config=Config(max_tokens=1, temperature=0.0, logprobs=self.top_logprobs),
        )
        response = lm(request)
        if not response.logprobs:
            if not (response.text or "").strip():  # an empty reply is a provider hiccup: the loop retries it
                raise LMProviderError("empty reply to a one-token judge request", model=lm.model)
            raise UnsupportedFeatureError(f"{lm.model} returned no log-probabilities", feature="config.logprobs")
        first = response.logprobs[0]
        return p_yes([(t.token, t.logprob) for t in first.top] or [(first.token, first.logprob)], first.token)

    def _give_up(self, exc: Exception) -> None:
        with _LOCK:
            if not self._no_logprobs:
                self._no_logprobs = True
                log.warning("judge: %s; using the per_criterion protocol instead", str(exc).splitlines()[0])
