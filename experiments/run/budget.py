"""`BudgetGuard`: tokens, dollars and minutes spent so far, checked before every LM call.

The round sink adds each finished round's usage; `check()` raises `BudgetExceeded` once a limit is
reached, so the run stops before the next call and the caller writes all outputs. Spending is counted
per finished round, so a run can overshoot by at most the calls of the rounds in flight. A dollar
limit with roles of unknown price counts only the priced roles, and says so when it stops.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from experiments.config import BudgetConfig
from experiments.report.costs import Price, cost
from programs.budget import BudgetExceeded
from programs.usage import total_tokens


class BudgetGuard:
    def __init__(self, cfg: BudgetConfig, prices: dict[str, Price | None]):
        self.cfg, self.prices = cfg, prices
        self.started = time.monotonic()
        self.usage: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def add(self, usage_by_role: Mapping[str, Mapping[str, float]]) -> None:
        with self._lock:
            for role, u in usage_by_role.items():
                mine = self.usage.setdefault(role, {})
                for key, value in u.items():
                    mine[key] = mine.get(key, 0) + value

    def tokens(self) -> int:
        with self._lock:
            return sum(total_tokens(u) for u in self.usage.values())

    def usd(self) -> float:
        with self._lock:
            spent = cost(self.usage, self.prices)
        return sum(v for v in spent["by_role"].values() if v is not None)

    def minutes(self) -> float:
        return (time.monotonic() - self.started) / 60

    def check(self) -> None:
        c = self.cfg
        if c.max_minutes is not None and self.minutes() >= c.max_minutes:
            raise BudgetExceeded(f"time budget reached: {self.minutes():.1f} of {c.max_minutes} minutes")
        if c.max_tokens is not None and self.tokens() >= c.max_tokens:
            raise BudgetExceeded(f"token budget reached: {self.tokens():,} of {c.max_tokens:,} tokens")
        if c.max_usd is not None and self.usd() >= c.max_usd:
            raise BudgetExceeded(f"dollar budget reached: ${self.usd():.4f} of ${c.max_usd}")
