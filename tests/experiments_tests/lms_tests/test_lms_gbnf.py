"""Unit tests for the JSON Schema → GBNF converter (text only; grammars are compiled in the real-model tests)."""

from __future__ import annotations

import re

from experiments.lms.gbnf import MAX_REPEAT, schema_to_gbnf
from experiments.lms.schema import rewrite_schema


def rules(grammar: str) -> dict[str, str]:
    out = {}
    for line in grammar.strip().splitlines():
        name, body = line.split(" ::= ", 1)
        assert name not in out, f"rule {name} defined twice"
        out[name] = body
    return out


def referenced(body: str) -> set[str]:
    without_literals = re.sub(r'"(?:[^"\\]|\\.)*"', " ", body)
    without_classes = re.sub(r"\[(?:[^\]\\]|\\.)*\]", " ", without_literals)
    return set(re.findall(r"[a-z][a-z0-9-]*", without_classes))


def assert_closed(grammar: str) -> dict[str, str]:
    """Every referenced rule is defined, and the grammar has a root."""
    table = rules(grammar)
    assert "root" in table
    for name, body in table.items():
        missing = referenced(body) - set(table)
        assert not missing, f"{name} refers to undefined {missing}"
    return table


def test_object_with_bounded_string_enum_and_list():
    schema = {
        "type": "object",
        "properties": {
            "q": {"type": "string", "maxLength": 1200},
            "w": {"type": "integer", "enum": [1, 2, 3]},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 4},
        },
        "required": ["q", "w", "tags"],
    }
    table = assert_closed(schema_to_gbnf(schema))
    root = table["root"]
    assert root.index('"\\"q\\""') < root.index('"\\"w\\""') < root.index('"\\"tags\\""'), "schema order is kept"
    grammar = "\n".join(table.values())
    assert "char{0,1200}" in grammar, "bounds use {m,n} repetition, not nested optional groups"
    assert '"1" space | "2" space | "3" space' in grammar
    assert '("," space string){0,3}' in grammar


def test_string_rule_excludes_control_characters():
    table = assert_closed(schema_to_gbnf({"type": "string"}))
    assert "\\x00-\\x1F" in table["char"]


def test_min_items_and_empty_arrays():
    table = assert_closed(schema_to_gbnf({"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 3}))
    assert table["root"] == '"[" space integer ("," space integer){1,2} "]" space'
    table = assert_closed(schema_to_gbnf({"type": "array", "items": {"type": "integer"}, "maxItems": 0}))
    assert table["root"] == '"[" space "]" space'


def test_huge_bounds_fall_back_to_unbounded_repetition():
    grammar = schema_to_gbnf({"type": "string", "maxLength": MAX_REPEAT * 5})
    assert "char*" in grammar and str(MAX_REPEAT * 5) not in grammar


def test_recursive_refs_become_recursive_rules():
    schema = {
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "kids": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                },
            }
        },
        "$ref": "#/$defs/Node",
    }
    table = assert_closed(schema_to_gbnf(rewrite_schema(schema)))
    assert any("ref-node" in body for name, body in table.items() if name.startswith("ref-node"))


def test_maps_nullable_consts_and_free_json():
    schema = {
        "type": "object",
        "properties": {
            "scores": {"type": "object", "additionalProperties": {"type": "number"}},
            "note": {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}]},
            "kind": {"const": "rubric"},
            "extra": {},
            "either": {"type": ["integer", "boolean"]},
        },
    }
    table = assert_closed(schema_to_gbnf(schema))
    assert any("number" in body for body in table.values())
    assert '"\\"rubric\\"" space' in table["root"]
    assert "value" in table and "null" in table


def test_literal_escaping_of_awkward_enum_values():
    grammar = schema_to_gbnf({"enum": ['say "hi"', "back\\slash", "line\nbreak"]})
    table = assert_closed(grammar)
    assert '\\"say \\\\\\"hi\\\\\\"\\"' in table["root"]


def test_arrays_of_exactly_one_item_need_no_repetition():
    # {0,0} repetitions are not written at all (a rubric structure may ask for exactly one penalty item).
    table = assert_closed(schema_to_gbnf({"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 1}))
    assert table["root"] == '"[" space integer "]" space'
    table = assert_closed(
        schema_to_gbnf({"type": "object", "additionalProperties": {"type": "number"}, "maxProperties": 1})
    )
    assert "{0,0}" not in "\n".join(table.values())


def test_a_pattern_of_literal_openings_becomes_a_choice_within_the_length_bound():
    from tests.support.gbnf_match import matches

    schema = {"type": "string", "maxLength": 20, "pattern": "^(Explains|Gives) "}
    grammar = schema_to_gbnf(schema)
    assert matches(grammar, '"Explains why X"') and matches(grammar, '"Gives Y"')
    assert not matches(grammar, '"The paper explains"'), "the string must open with one of the words"
    assert not matches(grammar, '"Explains"'), "the word must be followed by its space"
    # The bound is kept for the longest opening: 9 + 11 = 20 characters, never more.
    assert matches(grammar, '"Explains ' + "x" * 11 + '"')
    assert not matches(grammar, '"Explains ' + "x" * 12 + '"')
    assert not matches(grammar, '"Gives ' + "x" * 14 + '"'), "conservative for shorter openings"


def test_other_patterns_are_not_enforced():
    grammar = schema_to_gbnf({"type": "string", "maxLength": 5, "pattern": "^[a-z]+$"})
    assert "string-0-5" in grammar and "(" not in grammar.split("string-0-5 ::=")[1].split("\n")[0]
