"""The `llamacpp/<alias>` provider: grammar-constrained structured output from a llama-cpp-python server.

DSPy 3.4.1 sends no JSON schema to `openai/<alias>` models it has no metadata for, and the llama.cpp
server (`python -m llama_cpp.server`, 0.3.36) rejects OpenAI's `{"type": "json_schema", ...}` anyway:
it only takes `{"type": "json_object", "schema": ...}` or a GBNF `grammar`. `register()` declares a
provider `llamacpp` to DSPy's native client (`dspy.lm15.register_provider`) that says response
schemas are supported and, on the wire, replaces the JSON-schema response_format by a `grammar` built
like the in-process engine's (schema.py + gbnf.py), so JSONAdapter replies always parse.

Use: `register()` before constructing `dspy.LM("llamacpp/<alias>", api_base="http://HOST:PORT/v1",
api_key=...)` (the factory does this); loading a saved program that names a `llamacpp/` model needs the
same registration. It relies on two private hooks of the vendored lm15 client (`_payload`, `_inner`),
pinned by dspy==3.4.1 and covered by the server test. It does not start servers.
"""

from __future__ import annotations

import threading
from typing import Any

from dspy.lm15 import (
    AccessPolicy,
    AsyncOpenAIChatLM,
    EndpointSupport,
    ModelSupport,
    OpenAIChatCompat,
    OpenAIChatLM,
    ProviderDefinition,
    register_provider,
)

from experiments.lms.gbnf import schema_to_gbnf
from experiments.lms.schema import rewrite_schema, schema_of

PROVIDER = "llamacpp"
DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
_lock = threading.Lock()


def to_grammar(payload: dict[str, Any]) -> dict[str, Any]:
    """Replace a JSON-schema response_format in a chat-completions body by an equivalent GBNF grammar."""
    fmt = payload.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") in ("json_schema", "json_object"):
        schema = schema_of(fmt)
        if schema is not None:
            payload = {k: v for k, v in payload.items() if k != "response_format"}
            payload["grammar"] = schema_to_gbnf(rewrite_schema(schema))
    return payload


class LlamaServerChatLM(OpenAIChatLM):
    """lm15's chat-completions adapter, sending a grammar instead of a JSON-schema response_format."""

    __slots__ = ()

    def _payload(self, request: Any, stream: bool) -> dict[str, Any]:
        return to_grammar(OpenAIChatLM._payload(self, request, stream))


class AsyncLlamaServerChatLM(AsyncOpenAIChatLM):
    """The async twin: lm15's async adapter delegates request building to an inner sync adapter."""

    __slots__ = ()

    def __post_init__(self) -> None:
        AsyncOpenAIChatLM.__post_init__(self)
        self._inner.__class__ = LlamaServerChatLM


def definition() -> ProviderDefinition:
    access = AccessPolicy(
        provider=PROVIDER,
        supports=EndpointSupport(complete=True, stream=True, models=True),
        auth_modes=("bearer",),
        base_url=DEFAULT_BASE_URL,
    )
    return ProviderDefinition(
        id=PROVIDER,
        dialect="openai-chat",
        adapter=LlamaServerChatLM,
        async_adapter=AsyncLlamaServerChatLM,
        access=access,
        compat=OpenAIChatCompat(instruction_role="system", max_tokens_field="max_tokens", json_schema="send"),
        placeholder_key="none",
        note="llama-cpp-python OpenAI-compatible server; structured output as a GBNF grammar",
    )


def register() -> None:
    """Declare the `llamacpp` provider for LMs constructed from now on (idempotent)."""
    with _lock:
        register_provider(
            definition(), supports=ModelSupport(response_schema=True, function_calling=False, reasoning=False)
        )
