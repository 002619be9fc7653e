"""Unit tests for response_format reading and small-model schema rewriting (no model needed)."""

from __future__ import annotations

import copy

import dspy
import pydantic
import pytest
from dspy.adapters.json_adapter import _get_structured_outputs_response_format

from experiments.lms.schema import MAX_ENUM_RANGE, inline_refs, llama_response_format, rewrite_schema, schema_of


class Criterion(pydantic.BaseModel):
    text: str
    weight: int = pydantic.Field(ge=1, le=10)


class Node(pydantic.BaseModel):
    name: str
    children: list[Node] = []


class Sig(dspy.Signature):
    """Ask and grade."""

    passage: str = dspy.InputField()
    question: str = dspy.OutputField()
    keywords: list[str] = dspy.OutputField()
    criteria: list[Criterion] = dspy.OutputField()


SCHEMA = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}


@pytest.mark.parametrize(
    "fmt",
    [
        {"type": "json_schema", "schema": SCHEMA, "name": "Out", "strict": True},  # DSPy's canonical form
        {"type": "json_schema", "json_schema": {"name": "Out", "schema": SCHEMA, "strict": True}},  # OpenAI's
        {"type": "json_object", "schema": SCHEMA},  # llama.cpp's
    ],
)
def test_schema_of_reads_every_schema_carrying_form(fmt):
    assert schema_of(fmt) == SCHEMA
    assert schema_of(fmt) is not SCHEMA


def test_schema_of_pydantic_class_and_plain_modes():
    out = schema_of(_get_structured_outputs_response_format(Sig))
    assert set(out["properties"]) == {"question", "keywords", "criteria"}
    assert schema_of({"type": "json_object"}) == {"type": "object"}
    assert schema_of({"type": "text"}) is None
    assert schema_of(None) is None


@pytest.mark.parametrize("bad", [{"type": "xml"}, "json", {"type": "json_schema"}])
def test_schema_of_rejects_unknown_shapes(bad):
    with pytest.raises(ValueError):
        schema_of(bad)


def test_strings_get_a_default_max_length_unless_bounded_or_enumerated():
    schema = {
        "type": "object",
        "properties": {
            "free": {"type": "string"},
            "short": {"type": "string", "maxLength": 10},
            "choice": {"type": "string", "enum": ["a", "b"]},
            "maybe": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
    }
    out = rewrite_schema(schema, max_string_chars=300)
    props = out["properties"]
    assert props["free"]["maxLength"] == 300
    assert props["short"]["maxLength"] == 10
    assert "maxLength" not in props["choice"]
    assert props["maybe"]["anyOf"][0]["maxLength"] == 300
    assert "maxLength" not in schema["properties"]["free"], "the input must not be mutated"


def test_property_names_that_look_like_keywords_are_still_rewritten():
    schema = {"type": "object", "properties": {"enum": {"type": "string"}, "type": {"type": "string"}}}
    out = rewrite_schema(schema, max_string_chars=50)
    assert out["properties"]["enum"]["maxLength"] == 50
    assert out["properties"]["type"]["maxLength"] == 50


def test_arrays_get_max_items_but_respect_min_items():
    schema = {"type": "array", "items": {"type": "string"}, "minItems": 40}
    assert rewrite_schema(schema, max_items=8)["maxItems"] == 40
    assert rewrite_schema({"type": "array", "items": {}}, max_items=8)["maxItems"] == 8
    assert "maxItems" not in rewrite_schema({"type": "array", "items": {}}, max_items=None)


def test_bounded_integers_become_enums_and_wide_ranges_stay():
    out = rewrite_schema(schema_of(Criterion))
    assert out["properties"]["weight"]["enum"] == list(range(1, 11))
    exclusive = rewrite_schema({"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 4})
    assert exclusive["enum"] == [1, 2, 3]
    assert "enum" not in rewrite_schema({"type": "integer", "minimum": 0, "maximum": MAX_ENUM_RANGE + 5})
    assert "enum" not in rewrite_schema({"type": "integer", "minimum": 0})
    kept = rewrite_schema({"type": "integer", "enum": [2, 4], "minimum": 0, "maximum": 9})
    assert kept["enum"] == [2, 4]


def test_refs_from_dspy_signatures_are_inlined():
    schema = schema_of(_get_structured_outputs_response_format(Sig))
    assert "$defs" in schema
    out = rewrite_schema(schema, max_string_chars=100, max_items=5)
    assert "$defs" not in out and "$ref" not in repr(out)
    item = out["properties"]["criteria"]["items"]
    assert item["properties"]["text"]["maxLength"] == 100
    assert item["properties"]["weight"]["enum"] == list(range(1, 11))
    assert out["properties"]["keywords"]["maxItems"] == 5


def test_recursive_refs_are_kept_with_their_definitions():
    schema = Node.model_json_schema()
    out = inline_refs(schema)
    assert out["$defs"]["Node"]["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    rewritten = rewrite_schema(schema, max_string_chars=20)
    assert rewritten["$defs"]["Node"]["properties"]["name"]["maxLength"] == 20


def test_ref_siblings_and_single_allof_are_merged():
    schema = {
        "$defs": {"S": {"type": "string"}},
        "type": "object",
        "properties": {"x": {"$ref": "#/$defs/S", "description": "d"}, "y": {"allOf": [{"$ref": "#/$defs/S"}]}},
    }
    out = inline_refs(copy.deepcopy(schema))
    assert out["properties"]["x"] == {"type": "string", "description": "d"}
    assert out["properties"]["y"] == {"type": "string"}


def test_llama_response_format_shape():
    fmt = {"type": "json_schema", "schema": SCHEMA, "name": "Out"}
    out = llama_response_format(fmt, max_string_chars=64)
    assert out == {
        "type": "json_object",
        "schema": {**SCHEMA, "properties": {"a": {"type": "string", "maxLength": 64}}},
    }
    assert llama_response_format({"type": "json_object"}) == {"type": "json_object"}
    assert llama_response_format(None) is None
