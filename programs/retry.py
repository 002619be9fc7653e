"""Calling one role with the loop's error policy: retry transient faults, stop on permanent ones.

`RoleCaller.call(role, fn)` runs `fn` under the role's usage meter. Transient errors (timeouts, 429,
5xx, empty replies) are retried with exponential backoff and jitter and listed in `errors`; when the
retries run out, or the reply does not parse, the round ends with a `RoundFailure` carrying its reason.
Permanent errors raise `FatalLMError`, which ends the run with one line naming the role and model, and
exceptions of no known kind raise `UnexpectedError` (a `FatalLMError`), never retried (programs.errors).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import dspy

from programs.budget import BudgetExceeded
from programs.errors import FatalLMError, UnexpectedError, classify
from programs.hooks import current as current_hooks
from programs.records import Reason
from programs.usage import UsageMeter

T = TypeVar("T")


class RoundFailure(Exception):
    """Ends one round (not the run) with a reason code and a detail for the feedback."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def model_name(program: object, role: str) -> str:
    module = getattr(program, role, None)
    lms = [p.lm for _, p in module.named_predictors()] if isinstance(module, dspy.Module) else []
    lm = next((lm for lm in lms if lm is not None), None) or dspy.settings.lm
    return getattr(lm, "model", "unset")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:240]}" if text else type(exc).__name__


class RoleCaller:
    # `program` is anything holding the role modules as attributes (the harness, or a namespace around a judge).
    def __init__(self, program: object, meter: UsageMeter, retries: int = 2, backoff: float = 1.0) -> None:
        self.program, self.meter = program, meter
        self.retries, self.backoff = retries, backoff
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def call(self, role: str, fn: Callable[[], T]) -> T:
        hooks = current_hooks()
        if hooks.budget is not None:
            hooks.budget.check()  # raises BudgetExceeded, which ends the run, not the round
        limits = hooks.limits
        for attempt in range(self.retries + 1):
            try:
                if limits is None:
                    with self.meter.role(role):
                        return fn()
                before = self.meter.tokens(role)
                try:
                    with limits.slot(role), self.meter.role(role):
                        return fn()
                finally:
                    limits.spent(role, self.meter.tokens(role) - before)
            except (RoundFailure, BudgetExceeded):
                raise
            except Exception as exc:
                kind = classify(exc)
                if kind == "permanent":
                    raise FatalLMError(role, model_name(self.program, role), exc) from exc
                if kind == "systemic":
                    raise UnexpectedError(role, model_name(self.program, role), exc) from exc
                with self._lock:
                    self.errors.append(f"{role}: {kind}: {_one_line(exc)}")
                if kind == "parse":
                    raise RoundFailure("invalid", f"{role} reply did not parse ({_one_line(exc)})") from exc
                if attempt < self.retries and self.backoff > 0:
                    time.sleep(self.backoff * (2**attempt) * (0.5 + random.random()))
        raise RoundFailure("error", f"{role} failed after {self.retries + 1} tries ({self.errors[-1]})")
