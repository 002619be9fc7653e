"""Experimental CPU fixes, patched in for one benchmark run only, to measure what a proposed change buys.

- "memo": memoize DSPy's `model_metadata.model_info`. For a model name its bundled table does not know
  (any self-hosted served name such as `openai/judge`), it scans the whole table, and DSPy calls it
  three times per LM call (capabilities once, pricing twice).
- "switch": `sys.setswitchinterval(0.001)` (default 0.005 s): a thread whose reply has arrived waits
  less for the GIL while other threads are busy formatting and parsing.

Nothing here is used outside bench/; the real changes belong in the files named in docs/performance.md.
(A third fix, caching the judge's per-rubric signature, was measured here and is now in programs/judge.py.)
"""

from __future__ import annotations

import copy
import functools
import sys
from collections.abc import Iterator
from contextlib import contextmanager

KNOWN = ("memo", "switch")


def parse(text: str) -> frozenset[str]:
    names = frozenset(n for n in text.split("+") if n)
    if names - set(KNOWN):
        raise ValueError(f"unknown fixes {sorted(names - set(KNOWN))}; known: {', '.join(KNOWN)}")
    return names


@contextmanager
def patched(names: frozenset[str]) -> Iterator[None]:
    import dspy.clients.capabilities as capabilities
    import dspy.clients.costs as costs

    saved = (capabilities.model_info, costs.model_info)
    interval = sys.getswitchinterval()
    if "switch" in names:
        sys.setswitchinterval(0.001)
    if "memo" in names:
        original = saved[0]

        @functools.lru_cache(maxsize=256)
        def cached(provider, model, namespaces):
            return original(provider, model, namespaces=None if namespaces is None else list(namespaces))

        def model_info(provider, model, *, namespaces=None):
            return copy.deepcopy(cached(provider, model, None if namespaces is None else tuple(namespaces)))

        capabilities.model_info = costs.model_info = model_info
    try:
        yield
    finally:
        capabilities.model_info, costs.model_info = saved
        sys.setswitchinterval(interval)
