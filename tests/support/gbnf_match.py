"""Check text against a GBNF grammar without a model: the grammar is translated into one Python regex.

Covers the GBNF that `experiments.lms.gbnf` writes for non-recursive schemas: string literals, character
classes, rule references, grouping, alternation and the `* + ? {m} {m,} {m,n}` repetitions. A recursive
rule raises ValueError (regexes cannot express it). For tests only: `matches(grammar, text)` says whether
llama.cpp's sampler could have produced `text` under `grammar`.
"""

from __future__ import annotations

import functools
import re

_TOKEN = re.compile(
    r'\s*(?:(?P<lit>"(?:[^"\\]|\\.)*")|(?P<cls>\[(?:[^\]\\]|\\.)*\])|(?P<name>[a-zA-Z0-9-]+)'
    r"|(?P<rep>\{\d+(?:,\d*)?\})|(?P<op>[()|*+?]))"
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def _unescape(body: str) -> str:
    out, i = [], 0
    while i < len(body):
        if body[i] == "\\":
            nxt = body[i + 1]
            if nxt == "x":
                out.append(chr(int(body[i + 2 : i + 4], 16)))
                i += 4
                continue
            out.append(_ESCAPES[nxt])
            i += 2
            continue
        out.append(body[i])
        i += 1
    return "".join(out)


def _rules(grammar: str) -> dict[str, str]:
    rules = {}
    for line in grammar.strip().splitlines():
        name, body = line.split(" ::= ", 1)
        rules[name.strip()] = body
    return rules


def to_regex(grammar: str) -> str:
    rules = _rules(grammar)

    def expand(name: str, stack: tuple[str, ...]) -> str:
        if name in stack:
            raise ValueError(f"rule {name} is recursive")
        return "(?:" + translate(rules[name], (*stack, name)) + ")"

    def translate(body: str, stack: tuple[str, ...]) -> str:
        out, pos = [], 0
        while pos < len(body):
            if not body[pos:].strip():
                break
            match = _TOKEN.match(body, pos)
            if match is None:
                raise ValueError(f"cannot read GBNF at {body[pos : pos + 30]!r}")
            pos = match.end()
            if match["lit"] is not None:
                out.append("(?:" + re.escape(_unescape(match["lit"][1:-1])) + ")")
            elif match["cls"] is not None:
                out.append(match["cls"])
            elif match["name"] is not None:
                out.append(expand(match["name"], stack))
            elif match["rep"] is not None:
                out.append(match["rep"])
            else:
                out.append({"(": "(?:"}.get(match["op"], match["op"]))
        return "".join(out)

    return expand("root", ())


@functools.lru_cache(maxsize=32)
def _compiled(grammar: str) -> re.Pattern[str]:
    return re.compile(to_regex(grammar), re.S)


def matches(grammar: str, text: str) -> bool:
    """True when `text` is in the language of `grammar` (whole text)."""
    return _compiled(grammar).fullmatch(text) is not None
