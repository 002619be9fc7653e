"""LM calls an optimizer makes itself, outside the loop's rounds: GEPA's reflection, MIPROv2's and COPRO's
instruction proposals. They cost tokens like any other call, so usage, cost and budget must count them.

The loop meters each role call in its own DSPy usage tracker, which hands its entries to the enclosing
tracker when it closes. `optimizer_calls(lms)` installs an enclosing tracker that also notes the entries
added to it directly: those are exactly the calls made outside any role meter. A model string is mapped
back to its role (the reflection role first, since an optimizer's own calls go to its prompt model).
Cache hits report no usage, as in the rounds. It does not meter the loop; the rounds do that.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dspy
from dspy.utils.usage_tracker import UsageTracker

from programs.usage import entry_tokens


class _DirectTracker(UsageTracker):
    """A usage tracker that keeps, apart, the entries added to it directly (not rolled up from within)."""

    def __init__(self) -> None:
        super().__init__()
        self.direct: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def add_usage(self, lm: str, usage_entry: dict[str, Any]) -> None:
        super().add_usage(lm, usage_entry)
        if usage_entry:
            self.direct[lm].append(self._flatten_usage_entry(usage_entry))


def by_role(direct: dict[str, list[dict[str, Any]]], lms: dict[str, dspy.LM]) -> dict[str, dict[str, int]]:
    """{role: {calls, prompt_tokens, completion_tokens}} for the directly tracked calls."""
    roles = {lm.model: role for role, lm in lms.items() if role != "reflection"}
    if "reflection" in lms:
        roles[lms["reflection"].model] = "reflection"
    usage: dict[str, dict[str, int]] = {}
    for model, entries in direct.items():
        tally = usage.setdefault(
            roles.get(model, "reflection"), {"calls": 0, "prompt_tokens": 0, "completion_tokens": 0}
        )
        for entry in entries:
            prompt, completion = entry_tokens(entry)
            tally["calls"] += 1
            tally["prompt_tokens"] += prompt
            tally["completion_tokens"] += completion
    return usage


@contextmanager
def optimizer_calls(lms: dict[str, dspy.LM], into: dict[str, dict[str, int]]) -> Iterator[None]:
    """Fills `into` with the usage of the calls made outside the loop, when the block ends (also on error)."""
    tracker = _DirectTracker()
    try:
        with dspy.context(usage_tracker=tracker):
            yield
    finally:
        into.update(by_role(tracker.direct, lms))
