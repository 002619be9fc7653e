"""LlamaEngine without a model: request mapping, capabilities, copying and state, with a fake llama.cpp."""

from __future__ import annotations

import copy
import json
import pickle
import threading
from types import SimpleNamespace

import dspy
import pydantic
import pytest
from dspy.lm15 import Config, FunctionTool, Message, Request, UnsupportedFeatureError

from experiments.lms import llama_engine, llama_models
from experiments.lms.embedded import EmbeddedModelError
from experiments.lms.llama_engine import DEFAULT_MAX_TOKENS, LlamaEngine
from experiments.lms.llama_prefix_cache import PrefixStates


class FakeLlama:
    """Records create_chat_completion calls and answers with a canned reply."""

    def __init__(self, reply: str):
        self.reply = reply
        self.calls: list[dict] = []

    def create_chat_completion(self, **kwargs):
        self.calls.append(kwargs)
        return {
            "id": "chatcmpl-1",
            "choices": [{"message": {"role": "assistant", "content": self.reply}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
        }


@pytest.fixture
def fake(monkeypatch):
    llama = FakeLlama('{"answer": "Paris", "tags": ["city"]}')
    loaded = llama_models.Loaded(llama, threading.Lock(), PrefixStates(0))
    monkeypatch.setattr(llama_engine, "shared_model", lambda *args: loaded)
    monkeypatch.setattr(llama_engine, "chat_tokens", lambda llama, messages: [])
    monkeypatch.setattr(llama_engine, "compile_grammar", lambda llama, text: SimpleNamespace(_grammar=text))
    return llama


def request(**config) -> Request:
    return Request(
        model="embedded/smollm2-135m@t",
        system="Be brief.",
        messages=(Message.user("Capital of France?"),),
        config=Config(**config),
    )


def test_unknown_model_fails_fast():
    with pytest.raises(EmbeddedModelError, match="unknown embedded model 'nope'"):
        LlamaEngine("nope")


def test_complete_maps_messages_config_and_usage(fake):
    engine = LlamaEngine("smollm2-135m")
    response = engine.complete(request(temperature=0.5, max_tokens=20, top_p=0.9, stop=("END",), seed=7))
    call = fake.calls[-1]
    assert call["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Capital of France?"},
    ]
    assert (call["temperature"], call["max_tokens"], call["top_p"], call["stop"], call["seed"]) == (
        0.5,
        20,
        0.9,
        ["END"],
        7,
    )
    assert "grammar" not in call
    assert response.text == fake.reply
    assert (response.usage.input_tokens, response.usage.output_tokens, response.usage.total_tokens) == (11, 7, 18)
    assert response.finish_reason == "stop"


def test_defaults_fresh_seeds_and_grammar(fake):
    engine = LlamaEngine("smollm2-135m")
    fmt = {"type": "json_schema", "schema": {"type": "object", "properties": {"a": {"type": "string"}}}}
    engine.complete(request(response_format=fmt))
    engine.complete(request())
    first, second = fake.calls
    assert first["max_tokens"] == DEFAULT_MAX_TOKENS
    assert first["seed"] != second["seed"], "each call without a seed samples a new one"
    assert "char{0,1200}" in first["grammar"]._grammar


def test_unsupported_features_are_refused(fake):
    engine = LlamaEngine("smollm2-135m")
    tool = FunctionTool(name="f", description="d", parameters={"type": "object", "properties": {}})
    bad = Request(model="m", messages=(Message.user("x"),), tools=(tool,))
    with pytest.raises(UnsupportedFeatureError, match="tools"):
        engine.complete(bad)
    with pytest.raises(UnsupportedFeatureError, match="logprobs"):
        engine.complete(request(logprobs=0))
    assert not fake.calls


def test_capabilities_make_json_adapter_send_the_schema(fake):
    class Out(pydantic.BaseModel):
        text: str

    class Sig(dspy.Signature):
        """Answer."""

        question: str = dspy.InputField()
        answer: str = dspy.OutputField()
        tags: list[str] = dspy.OutputField()

    lm = dspy.LM("embedded/smollm2-135m@weak", engine=LlamaEngine("smollm2-135m"), cache=False)
    assert lm.supports_response_schema
    assert {"temperature", "max_tokens", "top_p", "stop", "seed", "response_format"} <= lm.supported_params
    predict = dspy.Predict(Sig)
    predict.set_lm(lm)
    with dspy.context(adapter=dspy.JSONAdapter()):
        out = predict(question="Capital of France?")
    assert out.answer == "Paris" and out.tags == ["city"]
    grammar = fake.calls[-1]["grammar"]._grammar
    assert '"\\"answer\\""' in grammar and '"\\"tags\\""' in grammar


def test_copies_share_the_engine_and_state_round_trips():
    engine = LlamaEngine("smollm2-135m", n_ctx=2048, max_items=4)
    assert copy.deepcopy(engine) is engine
    clone = pickle.loads(pickle.dumps(engine))
    assert clone.dump_state() == engine.dump_state()
    state = json.loads(json.dumps(engine.dump_state()))
    assert state == {
        "model": "smollm2-135m",
        "n_ctx": 2048,
        "n_threads": None,
        "prefix_cache_mb": 1024,
        "lazy_grammar": True,
        "default_max_tokens": DEFAULT_MAX_TOKENS,
        "max_string_chars": 1200,
        "max_items": 4,
    }
    assert LlamaEngine.load_state(state).dump_state() == state

    lm = dspy.LM("embedded/smollm2-135m@judge", engine=engine)
    assert copy.deepcopy(lm).engine is engine
    saved = lm.dump_state()
    assert saved["engine"]["class"] == "experiments.lms.llama_engine:LlamaEngine"
    loaded = dspy.LM.load_state(json.loads(json.dumps(saved)), allow_custom_lm_class=True)
    assert loaded.engine.dump_state() == state
