"""A DSPy 3.4 engine that runs an embedded GGUF model in process with llama-cpp-python.

`LlamaEngine(name)` implements the engine contract (`complete(Request) -> Response`, `stream`,
`close`) for `dspy.LM("embedded/<name>@<role>", engine=...)`. It declares response-schema support,
so DSPy's JSONAdapter sends each signature's JSON schema; the engine rewrites that schema for small
models (schema.py) and decodes under a GBNF grammar (gbnf.py), so replies always parse. Models load
lazily and are shared per process (llama_models.py): every engine and role using a file uses one
instance, calls to it are serialised, and llama.cpp reuses the evaluated prompt prefix between calls.
Engines pickle and deepcopy without the model handle (they reload lazily) and save to JSON through
`dump_state`/`load_state`. Log-probabilities are served for one-token completions (the judge's
P(yes) read, llama_next_token.py), greedily, and for a given reply (extension `continuation_logprobs`: the
likelihood judge's read); tool calls and reasoning are refused, not silently dropped.
"""

from __future__ import annotations

import random
from typing import Any

from dspy.clients.engines.base import validate_request
from dspy.lm15 import (
    ContextLengthError,
    Message,
    Request,
    Response,
    TextPart,
    UnsupportedFeatureError,
    Usage,
    response_to_events,
)

from experiments.lms.embedded import resolve
from experiments.lms.gbnf import schema_to_gbnf
from experiments.lms.llama_models import DEFAULT_PREFIX_CACHE_MB, Loaded, compile_grammar, default_threads, shared_model
from experiments.lms.llama_next_token import chat_tokens
from experiments.lms.llama_reads import CONTINUATION, continuation_response, next_token_response
from experiments.lms.schema import DEFAULT_MAX_ITEMS, DEFAULT_MAX_STRING_CHARS, rewrite_schema, schema_of

# Completion budget when neither the LM nor the call sets max_tokens (llama.cpp would otherwise
# fill the whole context).
DEFAULT_MAX_TOKENS = 1024
DEFAULT_N_CTX = 4096
_SEEDS = random.SystemRandom()


def _messages(request: Request) -> list[dict[str, str]]:
    out = []
    if isinstance(request.system, str):
        out.append({"role": "system", "content": request.system})
    elif request.system is not None:
        texts = [p.text for p in request.system if isinstance(p, TextPart)]
        if len(texts) != len(request.system):
            raise UnsupportedFeatureError("embedded models take text messages only", feature="system")
        out.append({"role": "system", "content": "".join(texts)})
    for message in request.messages:
        if message.text is None:
            raise UnsupportedFeatureError("embedded models take text messages only", feature="messages")
        role = "system" if message.role == "developer" else message.role
        out.append({"role": role, "content": message.text})
    return out


class LlamaEngine:
    """In-process llama.cpp engine for one embedded model (see the module docstring)."""

    supports_response_schema = True
    supports_function_calling = False
    supports_reasoning = False
    # Log-probabilities of a given reply (request extension `continuation_logprobs`, llama_reads.py).
    supports_continuation_logprobs = True
    supported_params = frozenset(
        {"temperature", "max_tokens", "top_p", "stop", "seed", "response_format", "logprobs", "top_logprobs"}
    )

    def __init__(
        self,
        model: str,
        *,
        n_ctx: int = DEFAULT_N_CTX,
        n_threads: int | None = None,
        prefix_cache_mb: int = DEFAULT_PREFIX_CACHE_MB,
        lazy_grammar: bool = True,
        default_max_tokens: int = DEFAULT_MAX_TOKENS,
        max_string_chars: int | None = DEFAULT_MAX_STRING_CHARS,
        max_items: int | None = DEFAULT_MAX_ITEMS,
    ):
        resolve(model)  # fail fast on unknown names; the files are only touched on the first call
        self.model = model
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.prefix_cache_mb = prefix_cache_mb
        self.lazy_grammar = lazy_grammar
        self.default_max_tokens = default_max_tokens
        self.max_string_chars = max_string_chars
        self.max_items = max_items

    def __repr__(self) -> str:
        return f"LlamaEngine({self.model!r}, n_ctx={self.n_ctx})"

    # --- copying, pickling, JSON state: configuration only; the loaded model is process-wide ---
    def __deepcopy__(self, memo: dict[int, Any]) -> LlamaEngine:
        return self

    def dump_state(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "n_ctx": self.n_ctx,
            "n_threads": self.n_threads,
            "prefix_cache_mb": self.prefix_cache_mb,
            "lazy_grammar": self.lazy_grammar,
            "default_max_tokens": self.default_max_tokens,
            "max_string_chars": self.max_string_chars,
            "max_items": self.max_items,
        }

    @classmethod
    def load_state(cls, state: dict[str, Any]) -> LlamaEngine:
        state = dict(state)
        return cls(state.pop("model"), **state)

    def __getstate__(self) -> dict[str, Any]:
        return self.dump_state()

    def __setstate__(self, state: dict[str, Any]) -> None:
        LlamaEngine.__init__(self, **state)

    # --- the engine contract ---
    def _kwargs(self, request: Request) -> dict[str, Any]:
        config = request.config
        refused = [
            name
            for name, bad in (
                ("tools", bool(request.tools)),
                ("config.reasoning", config.reasoning is not None and config.reasoning.effort != "off"),
                ("config.probabilities", config.probabilities is not None),
                ("config.extensions", bool(set(config.extensions or {}) - {CONTINUATION})),
            )
            if bad
        ]
        if refused:
            raise UnsupportedFeatureError(
                f"embedded model {self.model!r} does not support {refused[0]}", feature=refused[0]
            )
        kwargs: dict[str, Any] = {
            "max_tokens": config.max_tokens or self.default_max_tokens,
            "seed": config.seed if config.seed is not None else _SEEDS.randrange(2**31),
            "stop": list(config.stop) or None,
        }
        for name in ("temperature", "top_p", "top_k", "frequency_penalty", "presence_penalty"):
            if getattr(config, name) is not None:
                kwargs[name] = getattr(config, name)
        schema = schema_of(config.response_format)
        if schema is not None:
            safe = rewrite_schema(schema, max_string_chars=self.max_string_chars, max_items=self.max_items)
            kwargs["grammar"] = schema_to_gbnf(safe)
        return kwargs

    def complete(self, request: Request) -> Response:
        validate_request(request)
        if (request.config.extensions or {}).get(CONTINUATION):
            return self._continuation(request)
        if request.config.logprobs is not None:
            return self._next_token(request)
        messages, kwargs = _messages(request), self._kwargs(request)
        loaded = self._loaded()
        with loaded.lock:
            if "grammar" in kwargs:
                kwargs["grammar"] = compile_grammar(loaded.llama, kwargs["grammar"])
            loaded.states.restore(loaded.llama, chat_tokens(loaded.llama, messages))
            try:
                out = loaded.llama.create_chat_completion(messages=messages, **kwargs)
            except ValueError as exc:
                if "context window" in str(exc):
                    raise ContextLengthError(f"{self.model}: {exc}", provider="embedded") from None
                raise
            loaded.states.save(loaded.llama)
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        return Response(
            id=out.get("id"),
            model=self.model,
            message=Message.assistant(choice["message"].get("content") or ""),
            finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
            usage=Usage(
                input_tokens=usage.get("prompt_tokens"),
                output_tokens=usage.get("completion_tokens"),
                total_tokens=usage.get("total_tokens"),
            ),
        )

    def _loaded(self) -> Loaded:
        threads = self.n_threads or default_threads()
        return shared_model(self.model, self.n_ctx, threads, self.prefix_cache_mb, self.lazy_grammar)

    def _next_token(self, request: Request) -> Response:
        return next_token_response(self.model, self._loaded(), request, _messages(request))

    def _continuation(self, request: Request) -> Response:
        return continuation_response(self.model, self._loaded(), request, _messages(request))

    def stream(self, request: Request):
        """One complete response as stream events (tokens are not streamed incrementally)."""
        return response_to_events(self.complete(request))

    def close(self) -> None:
        """Nothing to release per engine: loaded models are shared (see `unload_all`)."""
