"""Per-role accounting of LM calls and tokens, independent of how providers name their models.

`UsageMeter.role(name)` is a context manager around one role call: it opens a DSPy usage tracker,
then adds the LM requests the call made (counted by a DSPy callback, so a one-criterion judge's many
requests, failed requests and cache hits all count), its prompt/completion tokens and its wall seconds
to that role's tally. Cache hits
count as calls with no new tokens (DSPy reports no usage for them); they are tallied apart, as
`cache_hits` with the tokens and seconds the cached replies originally cost (`programs.cache_hits`).
Thread-safe; merges across rounds and phases.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dspy
from dspy.utils.callback import BaseCallback

from programs.cache_hits import CacheTally, watch

_PROMPT_KEYS = ("prompt_tokens", "input_tokens")
_COMPLETION_KEYS = ("completion_tokens", "output_tokens")


def _tokens(entry: Mapping[str, object], keys: tuple[str, ...]) -> int:
    for key in keys:
        value = entry.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(value)
    return 0


def entry_tokens(entry: Mapping[str, object]) -> tuple[int, int]:
    """(prompt, completion) tokens of one provider usage entry, whichever names the provider uses."""
    return _tokens(entry, _PROMPT_KEYS), _tokens(entry, _COMPLETION_KEYS)


def total_tokens(tally: Mapping[str, float]) -> int:
    """Prompt plus completion tokens of one role's usage tally (the calls made now, not cache hits)."""
    return int(tally.get("prompt_tokens", 0) + tally.get("completion_tokens", 0))


def cached_tokens(tally: Mapping[str, float]) -> int:
    """The tokens the cache hits of one role's tally cost when their replies were first made."""
    return int(tally.get("cached_prompt_tokens", 0) + tally.get("cached_completion_tokens", 0))


class _RequestCounter(BaseCallback):
    """Counts the LM requests started inside one role call, cache hits and failed requests included."""

    def __init__(self) -> None:
        self.requests = 0

    def on_lm_start(self, call_id: str, instance: Any, inputs: dict[str, Any]) -> None:
        self.requests += 1


class UsageMeter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.totals: dict[str, dict[str, float]] = {}  # role -> calls, tokens (ints) and seconds

    @contextmanager
    def role(self, name: str) -> Iterator[None]:
        started, counter = time.monotonic(), _RequestCounter()
        with (
            dspy.track_usage() as tracker,
            watch() as cached,
            dspy.context(callbacks=[*dspy.settings.callbacks, counter]),
        ):
            try:
                yield
            finally:
                self._add(name, tracker.get_total_tokens(), time.monotonic() - started, cached, counter.requests)

    def _add(
        self,
        role: str,
        by_model: dict[str, dict[str, Any]],
        seconds: float = 0.0,
        cached: CacheTally | None = None,
        requests: int = 1,
    ) -> None:
        counts = [entry_tokens(u) for u in by_model.values()]
        prompt, completion = sum(p for p, _ in counts), sum(c for _, c in counts)
        with self._lock:
            tally = self.totals.setdefault(role, {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0})
            # LM requests, not role calls: a one-criterion judge makes one request per criterion.
            tally["calls"] += requests
            tally["prompt_tokens"] += prompt
            tally["completion_tokens"] += completion
            tally["seconds"] = round(tally.get("seconds", 0) + seconds, 3)
            if cached is not None and cached.hits:
                # Answered from DSPy's cache: no tokens now, but this is what the replies cost when made.
                tally["cache_hits"] = tally.get("cache_hits", 0) + cached.hits
                tally["cached_prompt_tokens"] = tally.get("cached_prompt_tokens", 0) + cached.prompt_tokens
                tally["cached_completion_tokens"] = tally.get("cached_completion_tokens", 0) + cached.completion_tokens
                tally["cached_seconds"] = round(tally.get("cached_seconds", 0) + cached.seconds, 3)

    def tokens(self, role: str) -> int:
        with self._lock:
            return total_tokens(self.totals.get(role, {}))

    def snapshot(self) -> dict[str, dict[str, float]]:
        with self._lock:
            return {role: dict(t) for role, t in self.totals.items()}

    def merge(self, other: Mapping[str, Mapping[str, float]]) -> None:
        with self._lock:
            for role, tally in other.items():
                mine = self.totals.setdefault(role, {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0})
                for key, value in tally.items():
                    mine[key] = mine.get(key, 0) + value
