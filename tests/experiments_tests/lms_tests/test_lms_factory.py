"""The per-role LM factory: embedded engines, hosted/OpenAI-compatible models, keys, and the llamacpp route."""

from __future__ import annotations

import json

import dspy
import pytest
from dspy.lm15 import Config, Message, Request

from experiments.config import ROLES, ConfigError
from experiments.lms.factory import NO_KEY, build_lm, build_lms
from experiments.lms.llama_engine import LlamaEngine
from experiments.lms.llama_server import LlamaServerChatLM, to_grammar
from experiments.lms.role_models import ModelsConfig, RoleModel

SECRET = "sk-test-do-not-log-4f2a9c"


def test_embedded_roles_get_distinct_names_and_engine_settings():
    models = ModelsConfig(n_ctx=2048, n_threads=2)
    spec = RoleModel(
        model="embedded/smollm2-135m", temperature=0.3, max_tokens=64, options={"max_items": 5, "num_retries": 1}
    )
    lm = build_lm("weak", spec, models)
    assert lm.model == "embedded/smollm2-135m@weak"
    assert isinstance(lm.engine, LlamaEngine)
    assert (lm.engine.n_ctx, lm.engine.n_threads, lm.engine.max_items) == (2048, 2, 5)
    assert lm.kwargs["temperature"] == 0.3 and lm.kwargs["max_tokens"] == 64
    assert lm.num_retries == 1 and "max_items" not in lm.kwargs


def test_build_lms_builds_all_six_roles_without_loading_models():
    lms = build_lms(ModelsConfig())
    assert set(lms) == set(ROLES)
    assert len({lm.model for lm in lms.values()}) == 6
    assert lms["judge"].kwargs["temperature"] == 0.0
    assert lms["weak"].engine.model == "qwen2.5-coder-0.5b"


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        # The config rejects this name already; model_construct skips that to reach the factory's own check.
        (
            RoleModel.model_construct(model="embedded/llama-99b"),
            "models.judge.model: unknown embedded model 'llama-99b'",
        ),
        (RoleModel(model="embedded/smollm2-135m", api_key_env="X"), "take no api_base or api_key_env"),
        (RoleModel(model="llamacpp/smol"), "needs api_base"),
        (RoleModel(model="openai/"), "models.judge: model 'openai/' has a provider prefix"),
    ],
)
def test_config_errors_are_one_line_and_name_the_role(spec, needle):
    with pytest.raises(ConfigError) as err:
        build_lm("judge", spec, ModelsConfig())
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_the_config_rejects_an_unknown_embedded_model():
    with pytest.raises(ValueError, match=r"unknown embedded model 'llama-99b'; known: qwen2\.5-coder-0\.5b"):
        RoleModel(model="embedded/llama-99b")


def test_missing_key_variable_names_role_and_variable(monkeypatch):
    monkeypatch.delenv("AUTODATA_TEST_MISSING_KEY", raising=False)
    spec = RoleModel(model="openai/gpt-4o-mini", api_key_env="AUTODATA_TEST_MISSING_KEY")
    with pytest.raises(ConfigError) as err:
        build_lm("challenger", spec, ModelsConfig())
    message = str(err.value)
    assert "models.challenger" in message and "AUTODATA_TEST_MISSING_KEY" in message and "\n" not in message


def test_key_never_appears_in_repr_state_or_history(monkeypatch):
    monkeypatch.setenv("AUTODATA_TEST_KEY", SECRET)
    spec = RoleModel(
        model="openai/served-model",
        api_base="http://127.0.0.1:9/v1",
        api_key_env="AUTODATA_TEST_KEY",
        options={"num_retries": 0},
    )
    lm = build_lm("strong", spec, ModelsConfig())
    assert lm.kwargs["api_key"] == SECRET
    assert lm.kwargs["api_base"] == "http://127.0.0.1:9/v1"
    state = json.dumps(lm.dump_state())
    assert SECRET not in state and SECRET not in repr(lm) and SECRET not in str(lm)
    assert SECRET not in repr(spec) and SECRET not in spec.model_dump_json()
    program = dspy.Predict("question -> answer")
    program.set_lm(lm)
    assert SECRET not in json.dumps(program.dump_state(), default=str)


def test_keyless_openai_compatible_server_never_gets_the_ambient_openai_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    lm = build_lm("weak", RoleModel(model="openai/local", api_base="http://127.0.0.1:9/v1"), ModelsConfig())
    assert lm.kwargs["api_key"] == NO_KEY


def test_litellm_and_native_routes_construct_offline():
    ollama = build_lm(
        "weak", RoleModel(model="ollama_chat/qwen2.5:0.5b", api_base="http://127.0.0.1:11434"), ModelsConfig()
    )
    assert ollama.model == "ollama_chat/qwen2.5:0.5b" and "api_key" not in ollama.kwargs
    native = build_lm("weak", RoleModel(model="openai/served", api_base="http://127.0.0.1:9/v1"), ModelsConfig())
    assert native.supports_response_schema is False, "DSPy sends no schema to unknown served models"


def test_llamacpp_route_declares_schema_support_and_sends_a_grammar():
    lm = build_lm("strong", RoleModel(model="llamacpp/smol", api_base="http://127.0.0.1:9/v1"), ModelsConfig())
    assert lm.supports_response_schema and "response_format" in lm.supported_params
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    request = Request(
        model="smol",
        messages=(Message.user("hi"),),
        config=Config(max_tokens=5, response_format={"type": "json_schema", "schema": schema, "name": "Out"}),
    )
    adapter = LlamaServerChatLM(
        api_key="x", base_url="http://127.0.0.1:9/v1", compat=lm._providers[0].definition.compat
    )
    payload = adapter._payload(request, stream=False)
    assert "response_format" not in payload
    assert "char{0,1200}" in payload["grammar"] and payload["max_tokens"] == 5


def test_to_grammar_leaves_free_text_requests_alone():
    body = {"model": "m", "messages": []}
    assert to_grammar(body) == body
    converted = to_grammar({"response_format": {"type": "json_object"}})
    assert "response_format" not in converted and converted["grammar"].startswith("root ::=")


def test_ensure_embedded_checks_only_the_embedded_models_in_use(monkeypatch):
    from experiments.lms import factory

    seen = []
    monkeypatch.setattr(factory, "model_path", lambda name: seen.append(name) or name)
    models = ModelsConfig(weak=RoleModel(model="openai/x", api_base="http://127.0.0.1:9/v1"))
    assert factory.ensure_embedded(models) == {"qwen2.5-coder-1.5b": "qwen2.5-coder-1.5b"}
    assert seen == ["qwen2.5-coder-1.5b"]
