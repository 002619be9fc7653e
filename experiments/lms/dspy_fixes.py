"""A process-wide workaround for a DSPy 3.4.1 hot spot, applied once when the LM factory is imported.

`dspy.clients.model_metadata.model_info` scans DSPy's whole bundled model table for any name it does not
know (every self-hosted served name: vLLM, llama.cpp server, Ollama), and DSPy calls it three times per
LM call (capabilities once, pricing twice). bench/parallel measured ~0.8 ms of CPU per request from it,
enough to keep 8 document workers below 0.8 of ideal speed-up (docs/performance.md). The results depend
only on (provider, model, namespaces) and the bundled snapshot, so they are memoized; callers get a deep
copy, as they would from the original. `revert()` puts DSPy's own lookup back (the benchmarks measure
both). Remove this when DSPy caches the lookup itself.
"""

from __future__ import annotations

import copy
import functools

import dspy.clients.capabilities as capabilities
import dspy.clients.costs as costs

_ORIGINAL: tuple | None = None  # (capabilities.model_info, costs.model_info) while the memo is applied


def applied() -> bool:
    return _ORIGINAL is not None


def apply() -> None:
    global _ORIGINAL
    if _ORIGINAL is not None:
        return
    original = capabilities.model_info

    @functools.lru_cache(maxsize=512)
    def cached(provider, model, namespaces):
        return original(provider, model, namespaces=None if namespaces is None else list(namespaces))

    def model_info(provider, model, *, namespaces=None):
        return copy.deepcopy(cached(provider, model, None if namespaces is None else tuple(namespaces)))

    _ORIGINAL = (capabilities.model_info, costs.model_info)
    capabilities.model_info = costs.model_info = model_info


def revert() -> None:
    global _ORIGINAL
    if _ORIGINAL is None:
        return
    capabilities.model_info, costs.model_info = _ORIGINAL
    _ORIGINAL = None
