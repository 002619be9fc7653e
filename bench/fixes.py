"""CPU settings a benchmark run can change, to measure what a fix buys against the code as shipped.

Every run starts from the shipped state: the DSPy model-metadata memo on (`experiments/lms/dspy_fixes.py`,
applied by every CLI run when it imports the LM factory). A setting may name changes:
- "nomemo": DSPy's own `model_info` lookup put back for the run (`dspy_fixes.revert()`), which scans the
  whole bundled model table for every unknown served name, three times per LM call;
- "switch": `sys.setswitchinterval(0.001)` (default 0.005 s): a thread whose reply has arrived waits
  less for the GIL while other threads are busy formatting and parsing.
The previous state is restored when the block ends. Nothing here is used outside bench/.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

KNOWN = ("nomemo", "switch")


def parse(text: str) -> frozenset[str]:
    names = frozenset(n for n in text.split("+") if n)
    if names - set(KNOWN):
        raise ValueError(f"unknown fixes {sorted(names - set(KNOWN))}; known: {', '.join(KNOWN)}")
    return names


@contextmanager
def patched(names: frozenset[str]) -> Iterator[None]:
    from experiments.lms import dspy_fixes

    was_applied, interval = dspy_fixes.applied(), sys.getswitchinterval()
    if "nomemo" in names:
        dspy_fixes.revert()
    else:
        dspy_fixes.apply()
    if "switch" in names:
        sys.setswitchinterval(0.001)
    try:
        yield
    finally:
        (dspy_fixes.apply if was_applied else dspy_fixes.revert)()
        sys.setswitchinterval(interval)
