"""The run's hooks into the loop: one typed object in DSPy's context, read by the loop and the role caller.

A command installs `RunHooks` once for the run (`installed(...)`); a phase or a trial lays its own
observer or resume hook over them for a block. The fields, each optional (None: nothing happens):
- `observer(record, program)`: called with every finished round (the run's round sink);
- `budget`: `check()` before every LM call raises `BudgetExceeded` once a limit is reached; `add(usage)`
  counts what finished rounds and an optimizer's own calls spent;
- `limits`: per-role concurrency and rate limits (`RoleLimits`) around every LM call;
- `resume(program, doc_id)`: rounds an earlier, interrupted process recorded for this harness and
  document; installed where an optimizer calls the loop, which cannot pass `prior` itself.
DSPy's context is per thread and is copied into DSPy's and `programs.parallel`'s worker threads, so
document and sample threads see the same hooks. This module holds no policy of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Protocol

import dspy

from programs.limits import RoleLimits
from programs.records import RoundRecord

HOOKS_KEY = "autodata_hooks"

Observer = Callable[[RoundRecord, dspy.Module], None]
Resume = Callable[[dspy.Module, str], list[RoundRecord]]


class Budget(Protocol):
    def check(self) -> None:
        """Raise `programs.budget.BudgetExceeded` when a limit is reached."""

    def add(self, usage_by_role: dict[str, dict[str, Any]]) -> None:
        """Count spent usage ({role: {calls, prompt_tokens, completion_tokens, ...}})."""


@dataclass(frozen=True)
class RunHooks:
    observer: Observer | None = None
    budget: Budget | None = None
    limits: RoleLimits | None = None
    resume: Resume | None = None


def current() -> RunHooks:
    """The hooks in force in this thread (no hooks when none were installed)."""
    hooks = dspy.settings.get(HOOKS_KEY)
    return hooks if isinstance(hooks, RunHooks) else RunHooks()


@contextmanager
def installed(**changes: Any) -> Iterator[RunHooks]:
    """The hooks in force with `changes` (field=value) laid over them, for the block."""
    hooks = replace(current(), **changes)
    with dspy.context(**{HOOKS_KEY: hooks}):
        yield hooks
