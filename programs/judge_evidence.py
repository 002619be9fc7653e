"""The `evidence` judge: per criterion, the model must quote the sentence of the answer that makes the
point (or the mistake) before its verdict, and code checks the quote.

A criterion counts as met only when the model says so AND its quote really occurs in the answer
(compared after lower-casing and dropping punctuation and extra spaces) AND the quote is long enough to
carry a claim (at least `MIN_QUOTE_WORDS` words). An empty, NONE or invented quote means "not met", so a
judge that praises fluent text without finding the point in it is overruled by code. Frozen.
"""

from __future__ import annotations

import re

import dspy

from programs.judge_criterion import CriterionJudge
from programs.judge_prompts import EvidenceSignature

MIN_QUOTE_WORDS = 4


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def quote_found(quote: str, answer: str) -> bool:
    """True when `quote` is a real passage of `answer` of at least MIN_QUOTE_WORDS words."""
    needle = normalise(quote)
    if len(needle.split()) < MIN_QUOTE_WORDS:
        return False
    return f" {needle} " in f" {normalise(answer)} "


class EvidenceJudge(CriterionJudge):
    signature = EvidenceSignature

    def verdict_of(self, out: dspy.Prediction, answer: str) -> float:
        return super().verdict_of(out, answer) if quote_found(str(out.quote), answer) else 0.0
