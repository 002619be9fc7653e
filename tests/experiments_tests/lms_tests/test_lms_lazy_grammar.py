"""The lazily checked grammar (llama_sampling.py), for real on SmolLM2-135M: greedy replies equal to
llama-cpp-python's eager order, a refused draw redrawn from the allowed tokens, and sampled replies that
always obey the grammar. Marked `real_model` (a few seconds)."""

from __future__ import annotations

import json

import pytest

from experiments.lms.embedded import model_path
from experiments.lms.gbnf import schema_to_gbnf
from experiments.lms.llama_models import compile_grammar, default_threads, shared_model
from experiments.lms.llama_sampling import LazyGrammarSampler, use_lazy_grammar
from tests.support.requires import require_module

pytestmark = pytest.mark.real_model

# An enum the model would never write unprompted, so its free draws are refused and must be redrawn.
SCHEMA = {
    "type": "object",
    "properties": {
        "verdict": {"enum": ["zq-accept", "zq-reject"]},
        "reason": {"type": "string", "maxLength": 120},
        "scores": {"type": "array", "items": {"type": "integer"}, "maxItems": 3},
    },
    "required": ["verdict", "reason", "scores"],
}
MESSAGES = [{"role": "user", "content": "Is the sky green? Give a verdict, a reason and three scores."}]


@pytest.fixture(scope="module")
def eager_and_lazy():
    llama_cpp = require_module("llama_cpp")
    path = str(model_path("smollm2-135m"))
    eager = llama_cpp.Llama(model_path=path, n_ctx=1024, n_threads=default_threads(), verbose=False)
    lazy = llama_cpp.Llama(model_path=path, n_ctx=1024, n_threads=default_threads(), verbose=False)
    use_lazy_grammar(lazy)
    yield eager, lazy
    eager.close()
    lazy.close()


def _reply(llama, temperature: float, seed: int = 7) -> str:
    grammar = compile_grammar(llama, schema_to_gbnf(SCHEMA))
    out = llama.create_chat_completion(
        messages=MESSAGES, grammar=grammar, temperature=temperature, seed=seed, max_tokens=120
    )
    return out["choices"][0]["message"]["content"]


def _valid(text: str) -> dict:
    value = json.loads(text)
    assert value["verdict"] in {"zq-accept", "zq-reject"}
    assert len(value["reason"]) <= 120 and len(value["scores"]) <= 3
    assert all(isinstance(s, int) for s in value["scores"])
    return value


def test_greedy_replies_equal_the_eager_order_and_refused_draws_are_redrawn(eager_and_lazy):
    eager, lazy = eager_and_lazy
    eager.reset()
    lazy.reset()
    expected = _reply(eager, 0.0)
    got = _reply(lazy, 0.0)
    assert got == expected
    _valid(got)
    sampler = lazy._sampler
    assert isinstance(sampler, LazyGrammarSampler)
    assert 0 < sampler.redrawn < sampler.drawn  # the enum forced redraws; most tokens passed as drawn


def test_sampled_replies_always_obey_the_grammar(eager_and_lazy):
    _, lazy = eager_and_lazy
    for seed in range(4):
        _valid(_reply(lazy, 1.0, seed=seed))


def test_calls_without_a_grammar_or_with_stateful_samplers_keep_the_eager_chain(eager_and_lazy):
    _, lazy = eager_and_lazy
    lazy.create_chat_completion(messages=MESSAGES, temperature=0.0, max_tokens=4)
    assert not isinstance(lazy._sampler, LazyGrammarSampler)
    grammar = compile_grammar(lazy, schema_to_gbnf(SCHEMA))
    lazy.create_chat_completion(messages=MESSAGES, grammar=grammar, temperature=0.0, max_tokens=8, presence_penalty=0.5)
    assert not isinstance(lazy._sampler, LazyGrammarSampler)


def test_shared_models_use_the_lazy_order():
    require_module("llama_cpp")
    loaded = shared_model("smollm2-135m", 1024, default_threads())
    with loaded.lock:
        _valid(_reply(loaded.llama, 0.0))
        assert isinstance(loaded.llama._sampler, LazyGrammarSampler)


def test_models_lazy_grammar_false_keeps_the_eager_order():
    require_module("llama_cpp")
    loaded = shared_model("smollm2-135m", 1024, default_threads(), lazy_grammar=False)
    with loaded.lock:
        _valid(_reply(loaded.llama, 0.0))
        assert not isinstance(loaded.llama._sampler, LazyGrammarSampler)
