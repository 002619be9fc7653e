"""The challenger's rubric rules reach every backend: the grammar enforces them, hosted providers get the schema.

The response_format is the one DSPy's JSONAdapter really sends (captured by a scripted engine). The
embedded engine and the `llamacpp/` route must turn it into the same grammar, and that grammar must
accept exactly the replies whose counts and weights follow the structure (checked without a model by
translating the grammar into a regex, tests/support/gbnf_match.py).
"""

from __future__ import annotations

import json

import dspy
import pytest
from dspy.lm15 import Config, Message, Request

from experiments.lms.gbnf import schema_to_gbnf
from experiments.lms.llama_engine import LlamaEngine
from experiments.lms.llama_server import to_grammar
from experiments.lms.schema import rewrite_schema, schema_of
from programs.challenger import Challenger
from programs.rubric_fields import PENALTY, POSITIVE
from programs.structure import RubricStructure
from testkit.fake_openai import FakeOpenAI
from testkit.scripted import ScriptedEngine
from tests.support.gbnf_match import matches

STRUCTURES = {
    "default": RubricStructure(min_positive=3, max_positive=5, min_penalties=1, max_penalties=2),
    "capped": RubricStructure(
        min_positive=2, max_positive=4, min_penalties=1, max_penalties=1, weight_cap=3, penalty_cap=2
    ),
    "no_penalties": RubricStructure(allow_penalties=False, min_positive=2, max_positive=3, weight_cap=7),
}


def reply(positive: list[int], penalty: list[int] | None, opening: str = "Names", mistake: str = "Claims") -> dict:
    out = {
        "question_type": "analysis",
        "skill_tags": ["causal reasoning"],
        "insight": "The mechanism rests on its key words.",
        "context": 'A setup with a "quoted" term.',
        "question": "Why does the method work?",
        POSITIVE: [{"criterion": f"{opening} mechanism M{i}", "weight": w} for i, w in enumerate(positive)],
    }
    if penalty is not None:
        out[PENALTY] = [{"criterion": f"{mistake} that E{i} holds", "weight": w} for i, w in enumerate(penalty)]
    return {**out, "reference_answer": "Because of M0 and M1."}


def sent_format(structure: RubricStructure) -> dict:
    """The response_format DSPy sends for the challenger built for `structure`."""
    engine = ScriptedEngine(lambda p: reply([1] * structure.min_positive, [-1] * structure.penalty_range[0]))
    challenger = Challenger(structure)
    challenger.set_lm(dspy.LM("scripted/challenger", engine=engine, cache=False, num_retries=0))
    with dspy.context(adapter=dspy.JSONAdapter()):
        challenger("A paper.", structure.render())
    return engine.prompts[0].config.response_format


def grammar_for(structure: RubricStructure) -> str:
    return schema_to_gbnf(rewrite_schema(schema_of(sent_format(structure))))


def valid_and_invalid(s: RubricStructure) -> tuple[list[dict], list[dict]]:
    lo, hi = s.penalty_range
    pen_ok = [-1] * lo if s.allow_penalties else None
    valid = [
        reply([1] * s.min_positive, pen_ok),
        reply([2] * s.min_positive, pen_ok, opening="Explains", mistake="Confuses"),
        reply([s.weight_cap] * s.max_positive, [-s.penalty_cap] * hi if s.allow_penalties else None),
    ]
    invalid = [
        reply([1] * (s.min_positive - 1), pen_ok),
        reply([1] * (s.max_positive + 1), pen_ok),
        reply([s.weight_cap + 1] + [1] * (s.min_positive - 1), pen_ok),
        reply([0] + [1] * (s.min_positive - 1), pen_ok),
        reply([-1] + [1] * (s.min_positive - 1), pen_ok),
        # a criterion must open with what an answer does, not with the paper or a lower-case verb
        reply([1] * s.min_positive, pen_ok, opening="The paper names"),
        reply([1] * s.min_positive, pen_ok, opening="names"),
        reply([1] * s.min_positive, pen_ok, opening="Names:"),
    ]
    if s.allow_penalties:
        invalid += [
            reply([1] * s.min_positive, [-1] * (hi + 1)),
            reply([1] * s.min_positive, [-(s.penalty_cap + 1)] * max(lo, 1)),
            reply([1] * s.min_positive, [1] * max(lo, 1)),
            reply([1] * s.min_positive, None),  # the penalty array is required
            reply([1] * s.min_positive, [-1] * max(lo, 1), mistake="The authors claim"),
            reply([1] * s.min_positive, [-1] * max(lo, 1), mistake="Explains"),  # a point's verb, not a mistake's
        ]
        if lo > 0:
            invalid.append(reply([1] * s.min_positive, []))
    else:
        invalid.append(reply([1] * s.min_positive, [-1]))  # no penalty array may appear
    return valid, invalid


@pytest.mark.parametrize("name", STRUCTURES)
def test_the_grammar_accepts_exactly_the_rubrics_that_follow_the_structure(name):
    structure = STRUCTURES[name]
    grammar = grammar_for(structure)
    valid, invalid = valid_and_invalid(structure)
    for doc in valid:
        assert matches(grammar, json.dumps(doc)), json.dumps(doc)
    for doc in invalid:
        assert not matches(grammar, json.dumps(doc)), json.dumps(doc)


@pytest.mark.parametrize("name", STRUCTURES)
def test_embedded_engine_and_llamacpp_route_send_that_grammar(name):
    fmt = sent_format(STRUCTURES[name])
    request = Request(
        model="embedded/smollm2-135m@c", messages=(Message.user("hi"),), config=Config(response_format=fmt)
    )
    expected = grammar_for(STRUCTURES[name])
    assert LlamaEngine("smollm2-135m")._kwargs(request)["grammar"] == expected
    assert to_grammar({"model": "m", "response_format": fmt})["grammar"] == expected


def test_hosted_providers_receive_the_bounds_in_their_json_schema():
    structure = STRUCTURES["capped"]
    bodies = []

    def answer(model, prompt):
        bodies.append(prompt.config)
        return reply([2, 3], [-1])

    with FakeOpenAI(answer) as server:
        lm = dspy.LM("openai/gpt-4.1", api_base=server.base_url, api_key="test", cache=False, num_retries=0)
        assert lm.supports_response_schema
        challenger = Challenger(structure)
        challenger.set_lm(lm)
        with dspy.context(adapter=dspy.JSONAdapter()):
            candidate = challenger("A paper.", structure.render())
    assert candidate.weights == [2, 3, -1]
    fmt = bodies[0]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    arrays = {
        name: schema["$defs"][schema["properties"][name]["$ref"].rsplit("/", 1)[-1]] for name in (POSITIVE, PENALTY)
    }
    items = {name: schema["$defs"][a["items"]["$ref"].rsplit("/", 1)[-1]] for name, a in arrays.items()}
    assert (arrays[POSITIVE]["minItems"], arrays[POSITIVE]["maxItems"]) == (2, 4)
    assert (arrays[PENALTY]["minItems"], arrays[PENALTY]["maxItems"]) == (1, 1)
    weights = {name: item["properties"]["weight"] for name, item in items.items()}
    assert (weights[POSITIVE]["minimum"], weights[POSITIVE]["maximum"]) == (1, 3)
    assert (weights[PENALTY]["minimum"], weights[PENALTY]["maximum"]) == (-2, -1)
    openings = {name: item["properties"]["criterion"]["pattern"] for name, item in items.items()}
    assert openings[POSITIVE].startswith("^(Explains|") and openings[PENALTY].startswith("^(Claims|")
