"""The llama.cpp models loaded in this process: one shared instance per file and settings.

Every engine and role that uses the same GGUF file with the same settings shares one `llama_cpp.Llama`,
loaded on first use. Each has its own lock, because a llama.cpp context is not thread-safe; holding it
for a whole call also keeps llama.cpp's prompt cache (the evaluated prefix of the previous call) useful,
and each has a store of recent prompt states (llama_prefix_cache.py) so that roles taking turns on one
model do not evaluate their shared prefixes again. Grammar-constrained calls check the grammar lazily
(llama_sampling.py) unless `lazy_grammar` is off.
Also here: checking a grammar before llama.cpp sees it (a refused grammar would crash the process).
This module does not build prompts or parse replies (see llama_engine.py).
"""

from __future__ import annotations

import atexit
import os
import threading
from dataclasses import dataclass
from typing import Any

from dspy.lm15 import UnsupportedFeatureError

from experiments.lms.embedded import model_path
from experiments.lms.llama_prefix_cache import PrefixStates
from experiments.lms.llama_sampling import use_lazy_grammar

# Default memory for saved prompt states per loaded model (`models.prefix_cache_mb`); a state of the
# 1.5B model holding a 2,500-token prompt is about 70 MB.
DEFAULT_PREFIX_CACHE_MB = 1024


@dataclass
class Loaded:
    """A loaded `llama_cpp.Llama`, the lock every call on it must hold, and its saved prompt states."""

    llama: Any
    lock: threading.Lock
    states: PrefixStates


_LOADED: dict[tuple[str, int, int, int, bool], Loaded] = {}
_LOADED_LOCK = threading.Lock()
_ACCEPTED_GRAMMARS: set[str] = set()


def default_threads() -> int:
    """The CPU cores this process may use (llama-cpp-python's own default is half of them)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not Linux
        return max(os.cpu_count() or 1, 1)


def shared_model(
    name: str,
    n_ctx: int,
    n_threads: int,
    prefix_cache_mb: int = DEFAULT_PREFIX_CACHE_MB,
    lazy_grammar: bool = True,
) -> Loaded:
    """The process-wide loaded instance of embedded model `name` for these settings (loaded on first use)."""
    path = str(model_path(name))
    key = (path, n_ctx, n_threads, prefix_cache_mb, lazy_grammar)
    with _LOADED_LOCK:
        loaded = _LOADED.get(key)
        if loaded is None:
            from llama_cpp import Llama  # the optional `embedded` extra, imported when a model is loaded

            llama = Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, verbose=False)
            if lazy_grammar:
                use_lazy_grammar(llama)
            loaded = _LOADED[key] = Loaded(llama, threading.Lock(), PrefixStates(prefix_cache_mb << 20))
        return loaded


def unload_all() -> None:
    """Free every loaded model that is not busy; busy ones are forgotten and freed when their call ends.

    Also runs at interpreter exit, so llama.cpp is released before Python tears its modules down
    (otherwise llama-cpp-python prints an ignored TypeError from `Llama.__del__`).
    """
    with _LOADED_LOCK:
        loaded = list(_LOADED.values())
        _LOADED.clear()
    for entry in loaded:
        if entry.lock.acquire(timeout=5):
            try:
                entry.states.clear()
                entry.llama.close()
            finally:
                entry.lock.release()


atexit.register(unload_all)


def compile_grammar(llama: Any, text: str) -> Any:
    """A LlamaGrammar for `text`, after checking that llama.cpp accepts it.

    llama-cpp-python 0.3.36 adds a NULL sampler to its chain when llama.cpp refuses a grammar and then
    crashes the process; a refused grammar raises UnsupportedFeatureError here instead. Checked once per text.
    """
    import llama_cpp  # the optional `embedded` extra (see shared_model)
    from llama_cpp.llama_grammar import LlamaGrammar

    if text not in _ACCEPTED_GRAMMARS:
        sampler = llama_cpp.llama_sampler_init_grammar(llama._model.vocab, text.encode("utf-8"), b"root")
        if not sampler:
            raise UnsupportedFeatureError(
                "llama.cpp refused the grammar built for this response_format", feature="config.response_format"
            )
        llama_cpp.llama_sampler_free(sampler)
        _ACCEPTED_GRAMMARS.add(text)
    return LlamaGrammar.from_string(text, verbose=False)
