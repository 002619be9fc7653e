"""Run independent calls of one round (solver samples) on a few threads, keeping DSPy's context.

DSPy keeps per-call settings (the LM, traces, usage trackers) in a context variable; each worker runs
inside a copy of the caller's context so `dspy.context(...)` and usage tracking carry over. Results
come back in input order. With one worker it is a plain loop.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def map_parallel(fn: Callable[[T], R], items: list[T], workers: int) -> list[R]:
    if workers <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        futures = [pool.submit(contextvars.copy_context().run, fn, item) for item in items]
        return [f.result() for f in futures]
