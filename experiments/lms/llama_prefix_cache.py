"""Saved llama.cpp states of recent prompts, so a prompt that starts like an earlier one skips that part.

llama.cpp keeps the evaluated tokens of the previous call only, and the roles of a round take turns on
one model (challenger, verifier, judge, strong solver, judge again), so each call found the context
holding another role's prompt and evaluated its own from the start: on two cores that prompt processing
was most of a round. `PrefixStates` keeps the states (the KV cache, as llama.cpp serialises it) of recent
calls, keyed by the tokens they hold. Before a call, `restore` loads the saved state that shares the
longest prefix with the new prompt, when that beats what the context already holds by at least
`MIN_GAIN` tokens; the caller's own prefix matching then evaluates only the rest. A challenger's second
round on a document shares its instructions, the document and the first round's feedback; a judge
returning to a question shares its instructions, question and rubric.

Memory is bounded by `capacity_bytes` (least recently used first out). A new state replaces the saved
states it extends or shares most of their tokens with (at least half of an older state's tokens): the
newer one serves those prefixes as well, so a judge's many calls on one question keep one entry.
Callers hold the model's lock (llama_models.py).
"""

from __future__ import annotations

import ctypes
from collections import OrderedDict
from typing import Any

import numpy as np

# Below this many tokens a restore (tens of milliseconds to copy the state in) is not worth it.
MIN_GAIN = 32


def common_prefix(a: Any, b: Any) -> int:
    """How many leading tokens `a` and `b` share."""
    n = min(len(a), len(b))
    if n == 0:
        return 0
    left, right = np.asarray(a[:n]), np.asarray(b[:n])
    differ = np.flatnonzero(left != right)
    return int(differ[0]) if differ.size else n


class PrefixStates:
    """Least-recently-used store of llama.cpp states keyed by their token sequences (module docstring)."""

    def __init__(self, capacity_bytes: int):
        self.capacity_bytes = capacity_bytes
        self._states: OrderedDict[tuple[int, ...], Any] = OrderedDict()
        self.restored = 0
        self.tokens_saved = 0

    @property
    def bytes(self) -> int:
        return sum(len(state) for state in self._states.values())

    def __len__(self) -> int:
        return len(self._states)

    def restore(self, llama: Any, tokens: list[int]) -> int:
        """Load the saved state sharing the longest prefix with `tokens` if it beats the live context.

        Returns how many more leading tokens of `tokens` the context holds than before (0: nothing loaded).
        """
        if not self._states:
            return 0
        live = common_prefix(llama.input_ids[: llama.n_tokens], tokens)
        best_key, best = None, live
        for key in self._states:
            shared = common_prefix(key, tokens)
            if shared > best:
                best_key, best = key, shared
        if best_key is None or best - live < MIN_GAIN:
            return 0
        import llama_cpp  # the optional `embedded` extra, present whenever a Llama exists

        state = self._states[best_key]
        self._states.move_to_end(best_key)
        if llama_cpp.llama_state_set_data(llama._ctx.ctx, state, len(state)) != len(state):
            raise RuntimeError("llama.cpp refused a saved state")
        llama.input_ids[: len(best_key)] = best_key
        llama.n_tokens = len(best_key)
        llama._requires_eval = True  # the restored logits are stale: the caller evaluates at least one token
        self.restored += 1
        self.tokens_saved += best - live
        return best - live

    def save(self, llama: Any) -> None:
        """Keep the state of what the context holds now, evicting old states past the capacity."""
        if self.capacity_bytes <= 0 or llama.n_tokens < MIN_GAIN:
            return
        import llama_cpp

        key = tuple(int(t) for t in llama.input_ids[: llama.n_tokens])
        size = llama_cpp.llama_state_get_size(llama._ctx.ctx)
        if size > self.capacity_bytes:
            return
        state = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_get_data(llama._ctx.ctx, state, size)
        if written != size:
            return
        for old in [k for k in self._states if common_prefix(k, key) * 2 >= len(k)]:
            del self._states[old]
        self._states[key] = state
        while self.bytes > self.capacity_bytes:
            self._states.popitem(last=False)

    def clear(self) -> None:
        self._states.clear()
