"""The embedded models for real, in process: grammars compile, JSONAdapter outputs parse, samples vary.

Marked `real_model`: each test loads a GGUF (SmolLM2-135M, or Qwen2.5-Coder-0.5B for one answer check)
and should finish in well under 30 s on 2 cores, except the challenger decode (a whole candidate with
up to 300-character criteria: 72 s measured with the CPU shared).
"""

from __future__ import annotations

import dspy
import pydantic
import pytest
from dspy.adapters.json_adapter import _get_structured_outputs_response_format

from experiments.lms.factory import build_lm
from experiments.lms.gbnf import schema_to_gbnf
from experiments.lms.llama_models import compile_grammar, default_threads, shared_model
from experiments.lms.role_models import ModelsConfig, RoleModel
from experiments.lms.schema import rewrite_schema, schema_of
from programs.challenger import Challenger
from programs.structure import RubricStructure
from tests.support.requires import require_module

pytestmark = pytest.mark.real_model


@pytest.fixture(autouse=True)
def llama_cpp():
    return require_module("llama_cpp")  # skips, or fails under CI, when llama-cpp-python is missing


MODELS = ModelsConfig(n_ctx=2048)


class Criterion(pydantic.BaseModel):
    criterion: str
    weight: int = pydantic.Field(ge=1, le=10)


class Node(pydantic.BaseModel):
    name: str
    children: list[Node] = []


class WriteItem(dspy.Signature):
    """Read the passage. Write one question about it, a few keywords, and grading criteria for an answer."""

    passage: str = dspy.InputField()
    question: str = dspy.OutputField()
    keywords: list[str] = dspy.OutputField()
    criteria: list[Criterion] = dspy.OutputField()


class Answer(dspy.Signature):
    """Answer the question with one word."""

    question: str = dspy.InputField()
    answer: str = dspy.OutputField()


PASSAGE = "A compiler translates source code into machine code. Its parser builds a syntax tree from tokens."


def smol(**options) -> dspy.LM:
    spec = RoleModel(model="embedded/smollm2-135m", max_tokens=500, options=options)
    return build_lm("test", spec, MODELS)


def test_llama_cpp_accepts_every_grammar_the_converter_writes():
    llama = shared_model("smollm2-135m", MODELS.n_ctx, default_threads()).llama
    schemas = [
        schema_of(_get_structured_outputs_response_format(WriteItem)),
        Node.model_json_schema(),
        {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "number"}}},
        {"type": "array", "items": {"type": "array", "items": {"type": "string"}}, "minItems": 2},
        {"anyOf": [{"type": "string", "maxLength": 3000}, {"type": "null"}]},
        {"type": "array", "items": {"type": "integer", "minimum": -2, "maximum": -1}, "minItems": 1, "maxItems": 1},
        {"type": "object", "properties": {"e": {"enum": ["a\\b", 'q"t', 3, None]}, "any": {}}},
    ]
    for schema in schemas:
        compile_grammar(llama, schema_to_gbnf(rewrite_schema(schema)))


def test_a_decoded_challenger_reply_obeys_the_rubric_structure():
    # Odd caps and counts a model would not pick on its own: the grammar has to impose them.
    structure = RubricStructure(
        min_positive=2, max_positive=3, min_penalties=1, max_penalties=1, weight_cap=3, penalty_cap=2
    )
    challenger = Challenger(structure)
    challenger.set_lm(
        build_lm(
            "challenger",
            RoleModel(
                model="embedded/smollm2-135m",
                max_tokens=900,
                temperature=0.8,
                options={"max_string_chars": 80, "max_items": 2},
            ),
            # The challenger's prompt with its reply schema is about 1,500 tokens: the presets' context
            # (4096), so that the reply is not cut off at the window's end.
            ModelsConfig(n_ctx=4096),
        )
    )
    with dspy.context(adapter=dspy.JSONAdapter()):
        candidate = challenger(PASSAGE, structure.render())
    positive = [c.weight for c in candidate.rubric if c.weight > 0]
    penalty = [c.weight for c in candidate.rubric if c.weight < 0]
    assert 2 <= len(positive) <= 3 and all(1 <= w <= 3 for w in positive), candidate.weights
    assert len(penalty) == 1 and -2 <= penalty[0] <= -1, candidate.weights
    assert candidate.weights == positive + penalty, "one rubric list: positives, then penalties"


def test_smollm2_structured_outputs_parse_through_json_adapter():
    predict = dspy.Predict(WriteItem)
    predict.set_lm(smol(max_items=2, max_string_chars=60))
    with dspy.context(adapter=dspy.JSONAdapter(), track_usage=True):
        out = predict(passage=PASSAGE)
    assert isinstance(out.question, str) and out.question
    assert isinstance(out.keywords, list) and all(isinstance(k, str) for k in out.keywords)
    assert len(out.keywords) <= 2 and len(out.criteria) <= 2
    assert all(isinstance(c, Criterion) and 1 <= c.weight <= 10 for c in out.criteria)
    usage = out.get_lm_usage()["embedded/smollm2-135m@test"]
    assert usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0


def test_samples_at_temperature_one_differ_and_are_not_cache_hits():
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=True)
    lm = smol(max_string_chars=80)
    predict = dspy.Predict("passage -> question")
    predict.set_lm(lm)
    outs = []
    with dspy.context(adapter=dspy.JSONAdapter(), track_usage=True):
        for rollout in range(1, 7):
            outs.append(predict(passage=PASSAGE, config={"rollout_id": rollout, "temperature": 1.0}))
        again = predict(passage=PASSAGE, config={"rollout_id": 1, "temperature": 1.0})
    assert all(o.get_lm_usage() for o in outs), "fresh samples report usage (cache hits do not)"
    # SmolLM copies the passage as its question about a third of the time (4 of 12 draws, measured), so
    # two draws collide often; six that all agree would mean the seeds are not fresh.
    assert len({o.question for o in outs}) > 1
    assert again.question == outs[0].question and not again.get_lm_usage(), "the same rollout is a cache hit"


def test_qwen_half_b_answers_a_short_question():
    spec = RoleModel(model="embedded/qwen2.5-coder-0.5b", temperature=0.0, max_tokens=40)
    predict = dspy.Predict(Answer)
    predict.set_lm(build_lm("weak", spec, MODELS))
    with dspy.context(adapter=dspy.JSONAdapter()):
        out = predict(question="What is the capital of France?")
    assert "paris" in out.answer.lower()


def test_prompts_longer_than_the_context_raise_dspys_context_error():
    lm = build_lm("test", RoleModel(model="embedded/smollm2-135m", options={"num_retries": 0}), ModelsConfig(n_ctx=512))
    with pytest.raises(dspy.utils.exceptions.ContextWindowExceededError, match="exceed context window of 512"):
        lm("word " * 900)
