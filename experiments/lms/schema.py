"""Structured-output schemas for llama.cpp: read whatever response_format arrives, make it small-model-safe.

`schema_of(response_format)` accepts every shape DSPy or a caller may hand over (DSPy's canonical
`{"type": "json_schema", "schema": ..., "name": ...}`, OpenAI's nested `{"json_schema": {"schema": ...}}`,
llama.cpp's `{"type": "json_object", "schema": ...}`, plain `{"type": "json_object"}`, a pydantic model
class) and returns the JSON schema, `{"type": "object"}` for "any JSON object", or None for free text.
`rewrite_schema` then adapts it for small models: `$ref`s are inlined (recursive ones are kept),
strings without `maxLength` get one, arrays without `maxItems` get one, and bounded integer ranges
become enums (llama.cpp ignores minimum/maximum). `llama_response_format` gives the result in
llama.cpp's own shape. Nothing here loads a model.
"""

from __future__ import annotations

import copy
from typing import Any

import pydantic

DEFAULT_MAX_STRING_CHARS = 1200
DEFAULT_MAX_ITEMS = 32
# Integer ranges up to this many values become enums; wider ranges stay unbounded.
MAX_ENUM_RANGE = 256


def schema_of(response_format: Any) -> dict[str, Any] | None:
    """The JSON schema a response_format asks for; `{"type": "object"}` for plain JSON mode; None for text."""
    if response_format is None:
        return None
    if isinstance(response_format, type) and issubclass(response_format, pydantic.BaseModel):
        return response_format.model_json_schema()
    if not isinstance(response_format, dict):
        raise ValueError(f"unsupported response_format of type {type(response_format).__name__}")
    kind = response_format.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        schema = response_format.get("schema")
        return copy.deepcopy(schema) if isinstance(schema, dict) and schema else {"type": "object"}
    if kind == "json_schema":
        inner = response_format.get("json_schema")
        schema = inner.get("schema") if isinstance(inner, dict) else response_format.get("schema")
        if not isinstance(schema, dict):
            raise ValueError("response_format json_schema carries no 'schema' object")
        return copy.deepcopy(schema)
    raise ValueError(f"unsupported response_format type {kind!r}; expected text, json_object or json_schema")


def _resolve(root: dict[str, Any], ref: str) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"only internal $ref values are supported, got {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        raise ValueError(f"unresolvable $ref {ref!r}")
    return node


def _inline(node: Any, root: dict[str, Any], stack: tuple[str, ...], kept: set[str]) -> Any:
    """Replace $refs by their targets; a ref met again inside itself stays a ref (and its def is kept)."""
    if isinstance(node, list):
        return [_inline(item, root, stack, kept) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        if ref in stack:
            kept.add(ref)
            return node
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        target = _inline(_resolve(root, ref), root, (*stack, ref), kept)
        return {**target, **_inline(siblings, root, stack, kept)}
    out = {}
    for key, value in node.items():
        if key in ("$defs", "definitions"):
            continue
        out[key] = _inline(value, root, stack, kept)
    if isinstance(out.get("allOf"), list) and len(out["allOf"]) == 1 and isinstance(out["allOf"][0], dict):
        only = out.pop("allOf")[0]
        out = {**only, **out}
    return out


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with internal $refs inlined; definitions that refer to themselves stay in `$defs`."""
    kept: set[str] = set()
    out = _inline(schema, schema, (), kept)
    if kept:
        defs: dict[str, Any] = {}
        for ref in sorted(kept):
            section, name = ref[2:].split("/", 1)
            target = _inline(_resolve(schema, ref), schema, (ref,), kept)
            defs.setdefault(section, {})[name] = target
        out.update(defs)
    return out


def _bounded(node: dict[str, Any], max_string_chars: int | None, max_items: int | None) -> None:
    kind = node.get("type")
    if "enum" in node or "const" in node:
        return
    if kind == "string" and "maxLength" not in node and max_string_chars is not None:
        node["maxLength"] = max_string_chars
    elif kind == "array" and "maxItems" not in node and max_items is not None and "prefixItems" not in node:
        node["maxItems"] = max(max_items, int(node.get("minItems", 0)))
    elif kind == "integer":
        low = node.get("minimum", node["exclusiveMinimum"] + 1 if "exclusiveMinimum" in node else None)
        high = node.get("maximum", node["exclusiveMaximum"] - 1 if "exclusiveMaximum" in node else None)
        if low is not None and high is not None and 0 < int(high) - int(low) + 1 <= MAX_ENUM_RANGE:
            node["enum"] = list(range(int(low), int(high) + 1))


_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties", "not")


def _walk(node: Any, max_string_chars: int | None, max_items: int | None) -> None:
    """Apply `_bounded` to every subschema, following only keywords whose values are schemas."""
    if not isinstance(node, dict):
        return
    _bounded(node, max_string_chars, max_items)
    children: list[Any] = []
    for key in _SCHEMA_MAPS:
        if isinstance(node.get(key), dict):
            children.extend(node[key].values())
    for key in _SCHEMA_LISTS:
        if isinstance(node.get(key), list):
            children.extend(node[key])
    for key in _SCHEMA_VALUES:
        value = node.get(key)
        children.extend(value if isinstance(value, list) else [value])
    for child in children:
        _walk(child, max_string_chars, max_items)


def rewrite_schema(
    schema: dict[str, Any],
    *,
    max_string_chars: int | None = DEFAULT_MAX_STRING_CHARS,
    max_items: int | None = DEFAULT_MAX_ITEMS,
) -> dict[str, Any]:
    """A copy of `schema` made safe for constrained decoding with small models (see module notes)."""
    out = inline_refs(copy.deepcopy(schema))
    _walk(out, max_string_chars, max_items)
    return out


def llama_response_format(response_format: Any, **limits: Any) -> dict[str, Any] | None:
    """llama.cpp's `{"type": "json_object", "schema": ...}` for any accepted response_format, or None."""
    schema = schema_of(response_format)
    if schema is None:
        return None
    if schema == {"type": "object"}:
        return {"type": "json_object"}
    return {"type": "json_object", "schema": rewrite_schema(schema, **limits)}
