"""One role call outside the loop (a judge check, a re-grading), under the loop's error policy and hooks.

`call_alone(module, role, fn)` runs `fn` (which calls `module`) through a `RoleCaller`: the run's budget
is checked before the call and charged with its usage after it (`programs.hooks`), the role's limits
apply, transient errors are retried `retries` times, and permanent or unexpected errors raise
`FatalLMError` / `UnexpectedError` naming the role and its model. A failure of this call only (a reply
that does not parse, retries used up) raises `RoundFailure`, for the caller to record.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import TypeVar

import dspy

from programs.hooks import current as current_hooks
from programs.retry import RoleCaller
from programs.usage import UsageMeter

T = TypeVar("T")


def call_alone(module: dspy.Module, role: str, fn: Callable[[], T], retries: int = 0, backoff: float = 1.0) -> T:
    meter = UsageMeter()
    caller = RoleCaller(SimpleNamespace(**{role: module}), meter, retries=retries, backoff=backoff)
    try:
        return caller.call(role, fn)
    finally:
        budget = current_hooks().budget
        if budget is not None:
            budget.add(meter.snapshot())
