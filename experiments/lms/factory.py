"""Build one `dspy.LM` per role from the validated models config.

`embedded/<name>` becomes `dspy.LM("embedded/<name>@<role>", engine=LlamaEngine(...))`: a distinct model
string per role, so `prediction.get_lm_usage()` splits tokens by role, while roles that use the same
file share one loaded model. For embedded roles, `options` keys that are LlamaEngine settings
(`default_max_tokens`, `max_string_chars`, `max_items`) configure the engine; the rest go to `dspy.LM`.

Anything else is handed to `dspy.LM(model, api_base=..., api_key=..., **options)`. DSPy 3.4.1 runs
`openai/<served-name>` + `api_base` on its bundled native client (no LiteLLM import) and other prefixes
such as `ollama_chat/...` on LiteLLM; neither connects at construction. The key is read from the
environment variable named by `api_key_env` at build time; it lives only in the LM's kwargs, which
DSPy leaves out of `dump_state()`, saved programs and history (a pickled LM would still hold it).
An `openai/` or `llamacpp/` model with `api_base` but no `api_key_env` gets the placeholder key
"none": DSPy would otherwise send the ambient OPENAI_API_KEY to that server.

Structured output on an OpenAI-compatible server: DSPy sends a JSON schema only to models its
metadata says support one; for an unknown served name it sends no response_format at all, and
JSONAdapter relies on the prompt (SmolLM2-135M then fails to parse). A llama.cpp server
(`python -m llama_cpp.server`, 0.3.36) answers OpenAI's `json_schema` format with HTTP 500, and its own
`{"type": "json_object", "schema": ...}` crashed the server when a string had maxLength 1200. So for
a llama.cpp server use the prefix `llamacpp/<alias>` with `api_base`: it routes through a declared
provider (llama_server.py) that sends the schema as a GBNF `grammar`, and replies always parse.
`ensure_embedded(models)` assembles and verifies the embedded files up front, so a run fails at start.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import dspy

from experiments.config import ROLES, ConfigError
from experiments.lms import dspy_fixes
from experiments.lms.embedded import MODELS, model_path
from experiments.lms.llama_engine import LlamaEngine
from experiments.lms.llama_server import register
from experiments.lms.role_models import ModelsConfig, RoleModel

dspy_fixes.apply()

EMBEDDED_PREFIX = "embedded/"
LLAMACPP_PREFIX = "llamacpp/"
ENGINE_OPTIONS = ("default_max_tokens", "max_string_chars", "max_items")
# Sent as the key to an api_base when no api_key_env is configured (keyless local servers).
NO_KEY = "none"


def _api_key(role: str, spec: RoleModel) -> str | None:
    if not spec.api_key_env:
        return None
    value = os.environ.get(spec.api_key_env)
    if not value:
        raise ConfigError(f"models.{role}: environment variable {spec.api_key_env} (named by api_key_env) is not set")
    return value


def _embedded(role: str, spec: RoleModel, models: ModelsConfig) -> dspy.LM:
    name = spec.model[len(EMBEDDED_PREFIX) :]
    if name not in MODELS:
        raise ConfigError(f"models.{role}.model: unknown embedded model {name!r}; known: {', '.join(MODELS)}")
    if spec.api_base or spec.api_key_env:
        raise ConfigError(f"models.{role}: embedded models run in process and take no api_base or api_key_env")
    engine_options = {k: v for k, v in spec.options.items() if k in ENGINE_OPTIONS}
    lm_options = {"num_retries": 0, **{k: v for k, v in spec.options.items() if k not in ENGINE_OPTIONS}}
    engine = LlamaEngine(
        name,
        n_ctx=models.n_ctx,
        n_threads=models.n_threads,
        prefix_cache_mb=models.prefix_cache_mb,
        lazy_grammar=models.lazy_grammar,
        **engine_options,
    )
    return dspy.LM(
        f"{EMBEDDED_PREFIX}{name}@{role}",
        engine=engine,
        temperature=spec.temperature,
        max_tokens=spec.max_tokens,
        **lm_options,
    )


def build_lm(role: str, spec: RoleModel, models: ModelsConfig) -> dspy.LM:
    """The `dspy.LM` for one role; raises ConfigError (one line) for unknown models or missing keys."""
    if spec.model.startswith(EMBEDDED_PREFIX):
        return _embedded(role, spec, models)
    # The loop retries transient errors itself, with backoff, and counts them; DSPy's own silent retries
    # (3 by default) would hide faults and multiply waits. `options.num_retries` still overrides.
    kwargs = {"num_retries": 0, **spec.options}
    if spec.model.startswith(LLAMACPP_PREFIX):
        if not spec.api_base:
            raise ConfigError(f"models.{role}: {LLAMACPP_PREFIX}<alias> needs api_base (the server's /v1 URL)")
        register()
    if spec.api_base:
        kwargs["api_base"] = spec.api_base
    key = _api_key(role, spec)
    if key is None and spec.api_base and spec.model.startswith(("openai/", LLAMACPP_PREFIX)):
        # Without this DSPy's native client sends an ambient OPENAI_API_KEY to whatever api_base says.
        key = NO_KEY
    if key is not None:
        kwargs["api_key"] = key
    try:
        return dspy.LM(spec.model, temperature=spec.temperature, max_tokens=spec.max_tokens, **kwargs)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"models.{role}: {str(exc).splitlines()[0]}") from None


def build_second_judge(models: ModelsConfig, model: str) -> dspy.LM:
    """A second judge (evaluate's cross-judge agreement): `model` with the configured judge's token
    budget, greedy decoding."""
    spec = RoleModel(model=model, temperature=0.0, max_tokens=models.judge.max_tokens)
    return build_lm("judge", spec, models)


def ensure_embedded(models: ModelsConfig, roles: Iterable[str] = ROLES) -> dict[str, Path]:
    """Assemble and verify every embedded model these roles use, so a run fails at start, not mid-way
    (`experiments.run.session` calls it before anything is written).

    Raises EmbeddedModelError (one line, with the install command) when packages are missing.
    """
    specs = [getattr(models, role).model for role in roles]
    names = sorted({m[len(EMBEDDED_PREFIX) :] for m in specs if m.startswith(EMBEDDED_PREFIX)})
    return {name: model_path(name) for name in names}


def build_lms(models: ModelsConfig, roles: Iterable[str] = ROLES) -> dict[str, dspy.LM]:
    """One LM per role, keyed by role name (by default every role: challenger, verifier, weak, strong,
    judge, reflection)."""
    return {role: build_lm(role, getattr(models, role), models) for role in roles}
