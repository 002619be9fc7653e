"""Per-role concurrency and rate limits, applied around every LM call of the loop.

`RoleLimits` holds, per role, an optional cap on calls in flight and optional requests-per-minute and
tokens-per-minute limits (a provider's quota). `slot(role)` blocks until the call may start; `spent`
records the tokens a finished call used, for the tokens-per-minute window. Installed as the run's
`programs.hooks.RunHooks.limits`, so document and sample threads share one set of limits. No
limit, no wait.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

WINDOW = 60.0


@dataclass(frozen=True)
class Limit:
    max_concurrent: int | None = None
    rpm: float | None = None
    tpm: float | None = None


class RoleLimits:
    def __init__(
        self,
        limits: dict[str, Limit],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = {role: lim for role, lim in limits.items() if lim != Limit()}
        self._clock, self._sleep = clock, sleep
        self._sem = {
            r: threading.BoundedSemaphore(lim.max_concurrent) for r, lim in self.limits.items() if lim.max_concurrent
        }
        self._starts: dict[str, deque[float]] = {r: deque() for r in self.limits}
        self._tokens: dict[str, deque[tuple[float, int]]] = {r: deque() for r in self.limits}
        self._lock = threading.Lock()

    def _wait_for_window(self, role: str) -> None:
        lim = self.limits[role]
        while True:
            with self._lock:
                now = self._clock()
                starts, tokens = self._starts[role], self._tokens[role]
                while starts and now - starts[0] >= WINDOW:
                    starts.popleft()
                while tokens and now - tokens[0][0] >= WINDOW:
                    tokens.popleft()
                waits = []
                if lim.rpm and len(starts) >= lim.rpm:
                    waits.append(WINDOW - (now - starts[0]))
                if lim.tpm and sum(n for _, n in tokens) >= lim.tpm:
                    waits.append(WINDOW - (now - tokens[0][0]))
                if not waits:
                    starts.append(now)
                    return
            self._sleep(max(0.01, max(waits)))

    @contextmanager
    def slot(self, role: str) -> Iterator[None]:
        if role not in self.limits:
            yield
            return
        sem = self._sem.get(role)
        if sem:
            sem.acquire()
        try:
            self._wait_for_window(role)
            yield
        finally:
            if sem:
                sem.release()

    def spent(self, role: str, tokens: int) -> None:
        if role in self.limits and tokens:
            with self._lock:
                self._tokens[role].append((self._clock(), tokens))
