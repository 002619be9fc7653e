"""JSON Schema → llama.cpp GBNF grammar, for constrained decoding of structured outputs in process.

Why not llama-cpp-python's own converter (0.3.36): it writes `maxLength`/`maxItems` as nested optional
groups, which llama.cpp's grammar parser refused at maxLength 1200 ("number of rules ... exceeds sane
defaults"; 400 still worked), and the process then crashed; and its string rule admits raw control
characters, so a model can put a literal newline inside a string and break `json.loads`.
Here bounds use GBNF's `{m,n}` repetition and strings exclude control characters.

Covered: object properties (every listed property is emitted, in schema order), maps via
`additionalProperties`, arrays (`items`, `prefixItems`, `minItems`/`maxItems`), string
`minLength`/`maxLength`, `enum`, `const`, `anyOf`/`oneOf`, a lone `allOf`, type lists, internal
`$ref`s (recursion allowed), integer, number, boolean, null, and free-form JSON for `{}`. Of `pattern`,
one form: a choice of literal openings, `^(Explains|States) ` (a string that starts with one of the
words and a space); its length bounds are kept conservatively (never longer than `maxLength`).
Not enforced: other patterns, `format`, numeric `minimum`/`maximum` (turn bounded integers into enums
first, see schema.py), `uniqueItems`. It does not load models or talk to llama.cpp.
"""

from __future__ import annotations

import json
import re
from typing import Any

# `^(word|word two) `: a string opening with one of these literal words (letters, spaces, hyphens).
_OPENINGS = re.compile(r"^\^\(([A-Za-z][A-Za-z -]*(?:\|[A-Za-z][A-Za-z -]*)*)\)( ?)$")

# `x{0,N}` expands to N rules inside llama.cpp (checked fine up to 60,000); beyond this, bounds are dropped.
MAX_REPEAT = 4000

_PRIMITIVES: dict[str, tuple[str, tuple[str, ...]]] = {
    "space": ('| " " | "\\n"', ()),
    "char": ('[^"\\\\\\x7F\\x00-\\x1F] | [\\\\] (["\\\\/bfnrt] | "u" [0-9a-fA-F]{4})', ()),
    "string": ('"\\"" char* "\\"" space', ("char", "space")),
    "integer": ('"-"? ([0-9] | [1-9] [0-9]{1,15}) space', ("space",)),
    "number": (
        '"-"? ([0-9] | [1-9] [0-9]{1,15}) ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,15})? space',
        ("space",),
    ),
    "boolean": ('("true" | "false") space', ("space",)),
    "null": ('"null" space', ("space",)),
    "value": (
        "object | array | string | number | boolean | null",
        ("object", "array", "string", "number", "boolean", "null"),
    ),
    "object": (
        '"{" space (string ":" space value ("," space string ":" space value)*)? "}" space',
        ("string", "value", "space"),
    ),
    "array": ('"[" space (value ("," space value)*)? "]" space', ("value", "space")),
}


def _literal(value: Any) -> str:
    """A GBNF literal matching `value` serialised as JSON, followed by optional space."""
    text = json.dumps(value, ensure_ascii=False)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}" space'


def _repeat(item: str, low: int, high: int | None) -> str:
    low = min(low, MAX_REPEAT)
    if high is not None and high > MAX_REPEAT:
        high = None
    if high == 0:
        return ""  # no repetition at all (an array of exactly one item, a map of at most one pair)
    if high is None:
        return f"{item}*" if low == 0 else f"{item}+" if low == 1 else f"{item}{{{low},}}"
    return f"{item}{{{low},{high}}}"


class _Converter:
    def __init__(self, root: dict[str, Any]):
        self.root = root
        self.rules: dict[str, str] = {}
        self.refs: dict[str, str] = {}

    def use(self, name: str) -> str:
        if name not in self.rules:
            body, deps = _PRIMITIVES[name]
            self.rules[name] = body
            for dep in deps:
                self.use(dep)
        return name

    def add(self, name: str, body: str) -> str:
        base = re.sub(r"[^a-zA-Z0-9-]+", "-", name).strip("-").lower() or "rule"
        candidate, n = base, 1
        while candidate in self.rules or candidate in _PRIMITIVES:
            if self.rules.get(candidate) == body:
                return candidate
            n += 1
            candidate = f"{base}-{n}"
        self.rules[candidate] = body
        return candidate

    def ref(self, ref: str) -> str:
        if ref in self.refs:
            return self.refs[ref]
        if not ref.startswith("#/"):
            raise ValueError(f"only internal $ref values are supported, got {ref!r}")
        node: Any = self.root
        for part in ref[2:].split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            raise ValueError(f"unresolvable $ref {ref!r}")
        # Reserve the name before visiting: a definition may refer to itself.
        name = self.add("ref-" + ref.rsplit("/", 1)[-1], f"<reserved {ref}>")
        self.refs[ref] = name
        self.rules[name] = self.visit(node, name)
        return name

    def visit(self, schema: Any, name: str) -> str:
        self.use("space")
        if not isinstance(schema, dict) or not schema:
            return self.use("value")
        if "$ref" in schema:
            return self.ref(schema["$ref"])
        if "const" in schema:
            return _literal(schema["const"])
        if "enum" in schema:
            return "(" + " | ".join(_literal(v) for v in schema["enum"]) + ")"
        for key in ("anyOf", "oneOf"):
            if key in schema:
                alts = [self.visit(sub, f"{name}-{i}") for i, sub in enumerate(schema[key])]
                return "(" + " | ".join(alts) + ")"
        if "allOf" in schema:
            merged = {k: v for k, v in schema.items() if k != "allOf"}
            for sub in schema["allOf"]:
                sub = self.root_resolve(sub)
                merged = {**sub, **merged, "properties": {**sub.get("properties", {}), **merged.get("properties", {})}}
            if not merged["properties"]:
                merged.pop("properties")
            return self.visit(merged, name)
        kind = schema.get("type")
        if isinstance(kind, list):
            return "(" + " | ".join(self.visit({**schema, "type": t}, f"{name}-{t}") for t in kind) + ")"
        if kind == "object" or (kind is None and "properties" in schema):
            return self.add(name or "object", self.object_body(schema, name))
        if kind == "array" or (kind is None and ("items" in schema or "prefixItems" in schema)):
            return self.add(name or "array", self.array_body(schema, name))
        if kind == "string":
            low, high = min(int(schema.get("minLength", 0)), MAX_REPEAT), schema.get("maxLength")
            high = None if high is None or int(high) > MAX_REPEAT else int(high)
            openings = _OPENINGS.match(str(schema.get("pattern", "")))
            if openings:
                return self.opening_string(openings.group(1).split("|"), openings.group(2), low, high)
            if low == 0 and high is None:
                return self.use("string")
            # A named rule: llama.cpp counts the rules a repetition expands into, so `char{0,N}` written
            # inline inside a repeated group multiplies (and gets refused); a rule reference does not.
            self.use("char")
            body = f'"\\"" {_repeat("char", low, high)} "\\"" space'
            return self.add(f"string-{low}-{high if high is not None else 'max'}", body)
        if kind in ("integer", "number", "boolean", "null"):
            return self.use(kind)
        return self.use("value")

    def opening_string(self, words: list[str], gap: str, low: int, high: int | None) -> str:
        """A string rule for `^(w1|w2)<gap>`: one of the words, the gap, then free text within the bounds."""
        self.use("char")
        heads = [w + gap for w in words]
        rest_low = max(low - min(map(len, heads)), 0)
        rest_high = None if high is None else max(high - max(map(len, heads)), 0)
        choice = "(" + " | ".join(f'"{h}"' for h in heads) + ")"
        rest = _repeat("char", rest_low, rest_high)
        return self.add("string-opening", f'"\\"" {choice} {rest} "\\"" space')

    def root_resolve(self, schema: Any) -> dict[str, Any]:
        while isinstance(schema, dict) and "$ref" in schema:
            node: Any = self.root
            for part in schema["$ref"][2:].split("/"):
                node = node.get(part) if isinstance(node, dict) else None
            schema = node
        return schema if isinstance(schema, dict) else {}

    def object_body(self, schema: dict[str, Any], name: str) -> str:
        props = schema.get("properties") or {}
        if props:
            fields = [f'{_literal(key)} ":" space {self.visit(sub, f"{name}-{key}")}' for key, sub in props.items()]
            return '"{" space ' + ' "," space '.join(fields) + ' "}" space'
        extra = schema.get("additionalProperties", True)
        if extra is False:
            return '"{" space "}" space'
        if extra is True:
            return self.use("object")
        value = self.visit(extra, f"{name}-value")
        kv = self.add(f"{name}-kv", f'{self.use("string")} ":" space {value}')
        high = schema.get("maxProperties")
        more = _repeat(f'("," space {kv})', 0, None if high is None else max(int(high) - 1, 0))
        return f'"{{" space ({f"{kv} {more}".rstrip()})? "}}" space'

    def array_body(self, schema: dict[str, Any], name: str) -> str:
        if isinstance(schema.get("prefixItems"), list):
            parts = [self.visit(sub, f"{name}-{i}") for i, sub in enumerate(schema["prefixItems"])]
            return '"[" space ' + ' "," space '.join(parts) + ' "]" space'
        item = self.visit(schema.get("items", {}), f"{name}-item")
        low, high = int(schema.get("minItems", 0)), schema.get("maxItems")
        high = None if high is None else int(high)
        if high == 0:
            return '"[" space "]" space'
        rest = _repeat(f'("," space {item})', max(low - 1, 0), None if high is None else high - 1)
        body = f"{item} {rest}".rstrip()
        return f'"[" space {body if low > 0 else f"({body})?"} "]" space'


def schema_to_gbnf(schema: dict[str, Any]) -> str:
    """A GBNF grammar whose language is the JSON documents `schema` describes (see module notes)."""
    converter = _Converter(schema)
    root = converter.visit(schema, "root")
    rules = dict(converter.rules)
    top = rules.pop("root") if root == "root" else root
    lines = [f"root ::= {top}"] + [f"{name} ::= {body}" for name, body in rules.items()]
    return "\n".join(lines) + "\n"
