"""Noticing DSPy cache hits inside a role call, with what the cached replies originally cost.

DSPy answers a repeated request from its response cache and reports no usage for it, so a round
answered from the cache would look like free work. `watch()` opens a tally for one role call; while
it is open, every cache hit in this thread is counted with the tokens the cached reply cost when it
was made (DSPy keeps them in the cache record), and every reply stored in the cache gets the wall
seconds of its own request beside it, so a later hit can report the time it originally took too.

It wraps `dspy.cache` in a pass-through proxy (installed again whenever `dspy.configure_cache`
replaces the cache); a reply cached by an older version carries no seconds, and a hit on a reply
cached through LiteLLM's compatibility path carries no tokens (DSPy clears them): both count as hits
with what is known. No I/O of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import dspy

SECONDS_KEY = "autodata_seconds"  # stored beside DSPy's own fields in a cache record


@dataclass
class CacheTally:
    # When the current request began: the role call's start, then the end of each request (a role
    # call can make several requests, e.g. a judge asking once per criterion).
    mark: float = field(default_factory=time.monotonic)
    hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0

    def add_hit(self, record: Any) -> None:
        usage = record.get("usage") if isinstance(record, dict) else getattr(record, "usage", None)
        usage = usage if isinstance(usage, dict) else {}
        self.hits += 1
        self.prompt_tokens += int(usage.get("prompt_tokens") or 0)
        self.completion_tokens += int(usage.get("completion_tokens") or 0)
        if isinstance(record, dict) and isinstance(record.get(SECONDS_KEY), (int, float)):
            self.seconds += float(record[SECONDS_KEY])
        self.lap()

    def lap(self) -> float:
        """Seconds since the previous request of this role call ended (or the call began)."""
        now = time.monotonic()
        seconds, self.mark = now - self.mark, now
        return seconds


_TALLY: ContextVar[CacheTally | None] = ContextVar("autodata_cache_tally", default=None)
_INSTALL = threading.Lock()


class _Watched:
    """`dspy.cache` with hits reported to the open tally; everything else passes through."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def get(self, request: dict[str, Any], ignored_args_for_cache_key: list[str] | None = None) -> Any:
        record = self._inner.get(request, ignored_args_for_cache_key)
        tally = _TALLY.get()
        if record is not None and tally is not None:
            tally.add_hit(record)
        return record

    def put(
        self,
        request: dict[str, Any],
        value: Any,
        ignored_args_for_cache_key: list[str] | None = None,
        enable_memory_cache: bool = True,
    ) -> None:
        tally = _TALLY.get()
        if tally is not None and isinstance(value, dict):
            value = {**value, SECONDS_KEY: round(tally.lap(), 3)}
        self._inner.put(request, value, ignored_args_for_cache_key, enable_memory_cache)


def _install() -> None:
    with _INSTALL:
        if not isinstance(dspy.cache, _Watched):
            dspy.cache = _Watched(dspy.cache)


@contextmanager
def watch() -> Iterator[CacheTally]:
    """A tally of the cache hits of the calls made in this block (this thread only)."""
    _install()
    tally = CacheTally()
    token = _TALLY.set(tally)
    try:
        yield tally
    finally:
        _TALLY.reset(token)
