"""Undo word tokenisation in text that was stored as space-separated tokens (the aclsum sentences).

aclsum keeps each sentence as tokens joined by single spaces: `In this paper , we ( QA ) do n't ...`.
`detokenise` glues punctuation, brackets, contractions, possessives and straight quotes back onto their
neighbours, giving `In this paper, we (QA) don't ...`. It works on a list of sentences so that a quotation
opened in one sentence can close in the next.

It does not repair other PDF-extraction damage (hyphenated line breaks such as `perfor-mance`, maths
rendered as loose symbols, footnote numbers) and it does not touch text that has no token spaces.
"""

from __future__ import annotations

import re

# Closing punctuation; a token made only of these attaches to the token before it: `word ,` -> `word,`.
_CLOSE = frozenset({",", ".", ";", ":", "?", "!", "%", ")", "]", "}"})
_CLOSE_CHARS = frozenset("".join(_CLOSE))
_ELLIPSES = frozenset({"...", "…"})
# Tokens that attach to the token after them: `( word` -> `(word`.
_OPEN = frozenset({"(", "[", "{", "$"})
# Split-off contractions and possessives: `do n't` -> `don't`, `Chomsky 's` -> `Chomsky's`.
_CLITIC = re.compile(r"^(?:n't|'s|'re|'ve|'ll|'d|'m)$", re.IGNORECASE)
# `/` and a hyphen between numbers are infixes: `natural / artefactual`, `16 - 63`.
_NUMBER = re.compile(r"^[\d.,]+$")


def _quote_opens(prev: str | None, nxt: str | None, inside: bool) -> bool:
    """Decide whether a straight quote token opens (True) or closes (False) a quotation."""
    if nxt is None or nxt in _CLOSE:
        return False
    if prev is None or prev in _OPEN:
        return True
    return not inside


def _attaches_left(tok: str, prev: str | None) -> bool:
    """Closing punctuation (also fused runs like `):`), clitics, and an ellipsis right after a word."""
    if tok in _ELLIPSES:
        return bool(prev and prev[-1].isalnum())
    return set(tok) <= _CLOSE_CHARS or bool(_CLITIC.match(tok))


def _is_infix(tok: str, prev: str | None, nxt: str | None) -> bool:
    """`/` between two tokens, or `-` between two numbers, joins them without spaces."""
    if prev is None or nxt is None:
        return False
    return tok == "/" or (tok == "-" and bool(_NUMBER.match(prev)) and bool(_NUMBER.match(nxt)))


def _glue(tokens: list[str], odd_single: list[bool]) -> str:
    """Join one stream of tokens, deciding per gap whether a space belongs there.

    `odd_single[i]` says whether token i's sentence has an odd number of lone `'` tokens, in which case a
    `'` after a word ending in s is read as a possessive rather than a quotation mark.
    """
    out: list[str] = []
    no_space_next = False
    inside = {'"': False, "'": False}
    for i, tok in enumerate(tokens):
        prev = tokens[i - 1] if i else None
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        attach_left = no_space_next
        no_space_next = False
        if _attaches_left(tok, prev):
            attach_left = True
        elif tok in _OPEN:
            no_space_next = True
        elif _is_infix(tok, prev, nxt):
            attach_left = no_space_next = True
        elif tok == "'" and prev and prev[-1] in "sS" and odd_single[i] and not inside["'"]:
            # An unpaired quote after a plural is a possessive: `users ' input` -> `users' input`.
            attach_left = True
        elif tok in inside:
            if _quote_opens(prev, nxt, inside[tok]):
                inside[tok] = True
                no_space_next = True
            else:
                inside[tok] = False
                attach_left = True
        if out and not attach_left:
            out.append(" ")
        out.append(tok)
    return "".join(out)


def detokenise(sentences: list[str] | str) -> str:
    """Return readable text from tokenised sentence(s); sentences are joined with single spaces."""
    if isinstance(sentences, str):
        sentences = [sentences]
    tokens: list[str] = []
    odd_single: list[bool] = []
    for sentence in sentences:
        words = sentence.split()
        tokens.extend(words)
        odd_single.extend([words.count("'") % 2 == 1] * len(words))
    return _glue(tokens, odd_single)
