"""Grammar-constrained sampling that consults the grammar lazily, for in-process llama.cpp models.

llama-cpp-python 0.3.36 puts the grammar sampler at the head of its sampler chain, so for every generated
token the grammar is run over the whole vocabulary (152k tokens for Qwen2.5) before top-k even looks at
it; on two cores that made the challenger's schema-constrained reply decode at about a third of the
model's free speed (docs/performance.md). llama.cpp's own command-line sampler works the other way round,
and so does this one: draw a token from the unconstrained chain, ask the grammar about that one token,
and only when the grammar refuses it apply the grammar to the whole vocabulary and draw again from what
is left. Greedy decoding gives exactly the tokens of the eager order (the most likely token the grammar
allows either is the free argmax or is found by the redraw). With temperature the draw is llama.cpp's:
an allowed token is kept as drawn, so the distribution is not renormalised over allowed tokens first.

`use_lazy_grammar(llama)` installs it on one `llama_cpp.Llama`. Calls without a grammar, and calls whose
sampler keeps state across tokens beyond the random seed (mirostat, repetition penalties, logits
processors), keep llama-cpp-python's own chain, because a refused draw would enter that state.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
from typing import Any

import numpy as np
from dspy.lm15 import UnsupportedFeatureError

_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)], align=True)


class LazyGrammarSampler:
    """Stands in for llama-cpp-python's `LlamaSampler` inside `Llama.generate` (it calls `sample` only)."""

    def __init__(self, llama: Any, free: Any, redraw: Any, grammar: Any):
        import llama_cpp  # the optional `embedded` extra, present whenever a Llama exists

        self._lib = llama_cpp
        self._free = free  # chain without grammar: draws the candidate (and accepts it)
        self._redraw = redraw  # same chain, applied after the grammar when the candidate is refused
        self._grammar = llama_cpp.llama_sampler_init_grammar(
            llama._model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
        )
        if not self._grammar:
            raise UnsupportedFeatureError("llama.cpp refused the grammar", feature="config.response_format")
        self._n_vocab = llama.n_vocab()
        self._one: Any = llama_cpp.llama_token_data()
        self._one_array: Any = llama_cpp.llama_token_data_array(
            data=ctypes.pointer(self._one), size=1, selected=-1, sorted=False
        )
        self._all = np.empty(self._n_vocab, dtype=_TOKEN_DATA)
        self.drawn = 0
        self.redrawn = 0

    def sample(self, ctx: Any, idx: int) -> int:
        lib = self._lib
        token = int(lib.llama_sampler_sample(self._free.sampler, ctx.ctx, idx))
        self.drawn += 1
        if not self._allows(token):
            self.redrawn += 1
            token = self._draw_allowed(ctx, idx)
        lib.llama_sampler_accept(self._grammar, token)
        return token

    def _allows(self, token: int) -> bool:
        self._one.id, self._one.logit, self._one.p = token, 0.0, 0.0
        self._one_array.size, self._one_array.selected, self._one_array.sorted = 1, -1, False
        self._lib.llama_sampler_apply(self._grammar, ctypes.byref(self._one_array))
        return self._one.logit != -math.inf

    def _draw_allowed(self, ctx: Any, idx: int) -> int:
        lib = self._lib
        logits = np.ctypeslib.as_array(lib.llama_get_logits_ith(ctx.ctx, idx), shape=(self._n_vocab,))
        cand = self._all
        cand["id"] = np.arange(self._n_vocab, dtype=np.int32)
        cand["logit"] = logits
        cand["p"] = 0.0
        array = lib.llama_token_data_array(
            data=cand.ctypes.data_as(lib.llama_token_data_p), size=self._n_vocab, selected=-1, sorted=False
        )
        lib.llama_sampler_apply(self._grammar, ctypes.byref(array))
        lib.llama_sampler_apply(self._redraw.sampler, ctypes.byref(array))
        if not 0 <= array.selected < array.size or array.data[array.selected].logit == -math.inf:
            raise RuntimeError("the grammar allows no token here; the reply cannot be completed")
        token = int(array.data[array.selected].id)
        lib.llama_sampler_accept(self._redraw.sampler, token)
        return token

    def close(self) -> None:
        if self._grammar:
            self._lib.llama_sampler_free(self._grammar)
            self._grammar = None
        self._free.close()
        self._redraw.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter teardown: the library may already be gone
            self.close()


def _stateful(options: dict[str, Any]) -> bool:
    return bool(
        options.get("mirostat_mode")
        or options.get("logits_processor")
        or options.get("repeat_penalty", 1.0) != 1.0
        or options.get("frequency_penalty", 0.0)
        or options.get("presence_penalty", 0.0)
    )


def use_lazy_grammar(llama: Any) -> None:
    """Make `llama`'s grammar-constrained calls check the grammar lazily (see the module docstring)."""
    eager = llama._init_sampler

    def init_sampler(**options: Any) -> Any:
        grammar = options.get("grammar")
        if grammar is None or _stateful(options):
            return eager(**options)
        options["grammar"] = None
        return LazyGrammarSampler(llama, eager(**options), eager(**options), grammar)

    llama._init_sampler = init_sampler
