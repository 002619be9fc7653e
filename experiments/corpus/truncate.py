"""Cut overlong documents deliberately: `prepare(doc, max_chars)`.

A document longer than `max_chars` is cut at the last sentence end (`.`, `!` or `?`, plus any closing
quote or bracket, followed by whitespace; abbreviations such as `e.g.`, `et al.` and initials do not count)
or paragraph break that fits. The cut is stated in the text itself: a final line
`[Document cut here for length; the full text has N characters.]` tells the reader (the challenger LM)
that the rest is missing, and the text plus that line stays within `max_chars`. The record keeps the
original length in `n_chars` and sets `truncated=True`. If no sentence end falls in the second half of the
budget (one enormous sentence), the cut falls at the last space, and failing that at exactly the budget.
Documents that fit are returned unchanged. Nothing is summarised, reordered or dropped from the middle.
"""

from __future__ import annotations

import dataclasses
import re

from experiments.corpus.document import Document

_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(?=\s)|\n\s*\n")
_LAST_WORD = re.compile(r"(\S+)$")
_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "al", "cf", "vs", "fig", "figs", "eq", "eqs", "sec", "tab", "no", "dr", "mr", "mrs", "ms", "st"}
)


def cut_marker(n_chars: int) -> str:
    """The line appended to a cut text."""
    return f"\n\n[Document cut here for length; the full text has {n_chars:,} characters.]"


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the `.` at index `dot` ends an abbreviation or an initial rather than a sentence."""
    m = _LAST_WORD.search(text, 0, dot)
    if not m:
        return False
    word = m.group(1).lstrip("([\"'")
    return word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper())


def cut_point(text: str, budget: int) -> int:
    """The index at which to cut `text` so that `text[:index]` is at most `budget` characters."""
    best = 0
    for m in _SENTENCE_END.finditer(text, 0, budget + 1):
        end = m.end()
        if end > budget:
            break
        if text[m.start()] == "." and _is_abbreviation(text, m.start()):
            continue
        best = end
    if best >= budget // 2:
        return best
    space = text.rfind(" ", 0, budget + 1)
    return space if space >= budget // 2 else budget


def prepare(doc: Document, max_chars: int) -> Document:
    """`doc` unchanged if it fits in `max_chars`, else a copy cut at a sentence boundary (see module doc)."""
    if len(doc.text) <= max_chars:
        return doc
    marker = cut_marker(doc.n_chars)
    budget = max_chars - len(marker)
    if budget < max_chars // 2:  # tiny limits: the note would crowd out the text
        marker, budget = "", max_chars
    kept = doc.text[: cut_point(doc.text, budget)].rstrip()
    return dataclasses.replace(doc, text=kept + marker, truncated=True, n_chars=doc.n_chars)
