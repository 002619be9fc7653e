"""The `models` section of the run config: which language model each role uses, and how to reach it.

`RoleModel` is one role's model (a DSPy/LiteLLM model string or `embedded/<name>`), its endpoint, the
NAME of the environment variable holding its key, sampling settings, prices and provider limits;
`ModelsConfig` holds one per role plus the embedded backend's settings. `experiments.lms.factory`
builds the `dspy.LM`s from them. Validation only: nothing here loads a model or reads a key.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from experiments.lms.embedded import MODELS


class RoleModel(BaseModel):
    """One role's language model. `model` is any DSPy/LiteLLM model string, or `embedded/<name>`."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    model: str
    api_base: str | None = None
    # The NAME of the environment variable that holds the key, never the key itself.
    api_key_env: str | None = None
    temperature: float | None = None
    max_tokens: int | None = Field(default=None, gt=0)
    # Your price in USD per million prompt / completion tokens (self-hosted or negotiated); unset: DSPy's
    # price table for hosted models, unknown for everything else.
    usd_per_mtok_in: float | None = Field(default=None, ge=0)
    usd_per_mtok_out: float | None = Field(default=None, ge=0)
    # Provider limits for this role: calls in flight, requests and tokens per minute (None: no limit).
    max_concurrent: int | None = Field(default=None, ge=1)
    rpm: float | None = Field(default=None, gt=0)
    tpm: float | None = Field(default=None, gt=0)
    # Passed through to dspy.LM (e.g. {"num_retries": 5}); must not hold secrets.
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("model")
    @classmethod
    def _known_embedded(cls, model: str) -> str:
        # Checked here, not when the LM is built, so a typo fails before anything is loaded or written.
        if model.startswith("embedded/"):
            name = model.removeprefix("embedded/")
            if name not in MODELS:
                raise ValueError(f"unknown embedded model {name!r}; known: {', '.join(MODELS)}")
        return model

    @model_validator(mode="after")
    def _no_inline_secret(self) -> RoleModel:
        for key in self.options:
            if "key" in key.lower() or ("token" in key.lower() and key != "max_tokens"):
                raise ValueError(f"options.{key}: put secrets in an environment variable and name it in api_key_env")
        return self


class ModelsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    challenger: RoleModel = RoleModel(model="embedded/qwen2.5-coder-1.5b")
    verifier: RoleModel = RoleModel(model="embedded/qwen2.5-coder-1.5b")
    weak: RoleModel = RoleModel(model="embedded/qwen2.5-coder-0.5b")
    strong: RoleModel = RoleModel(model="embedded/qwen2.5-coder-1.5b")
    judge: RoleModel = RoleModel(model="embedded/qwen2.5-coder-1.5b", temperature=0.0)
    reflection: RoleModel = RoleModel(model="embedded/qwen2.5-coder-1.5b", temperature=0.7)
    # Embedded backend only: context window, threads, memory for saved prompt states per loaded model
    # (experiments/lms/llama_prefix_cache.py; 0 turns the store off) and the lazy grammar check
    # (experiments/lms/llama_sampling.py; false restores llama-cpp-python's eager order).
    n_ctx: int = Field(default=4096, ge=512)
    n_threads: int | None = Field(default=None, ge=1)
    prefix_cache_mb: int = Field(default=1024, ge=0)
    lazy_grammar: bool = True
