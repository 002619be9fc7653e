"""Saved prompt states (llama_prefix_cache.py), for real on SmolLM2-135M: a restore happens exactly at
`MIN_GAIN` tokens of gain, evaluates only the rest and reads the same next token; old states are
replaced by the ones that extend them and evicted past the capacity; the engine restores between roles.
Marked `real_model` (a few seconds)."""

from __future__ import annotations

import dspy
import numpy as np
import pytest
from dspy.lm15 import Config, Message, Request

from experiments.lms.factory import build_lm
from experiments.lms.llama_models import default_threads, shared_model
from experiments.lms.llama_next_token import chat_tokens, next_token_logprobs
from experiments.lms.llama_prefix_cache import MIN_GAIN, PrefixStates, common_prefix
from experiments.lms.role_models import ModelsConfig, RoleModel
from tests.support.requires import require_module

pytestmark = pytest.mark.real_model
TEXT = "The encoder reads the sentence, the decoder writes its translation one word at a time. " * 8


@pytest.fixture(scope="module")
def llama():
    require_module("llama_cpp")
    # A cache size of its own gives this module a model instance no other test shares.
    return shared_model("smollm2-135m", 1024, default_threads(), prefix_cache_mb=7).llama


def _tokens(llama, text: str) -> list[int]:
    return llama.tokenize(text.encode(), add_bos=False)


def _other(llama) -> None:
    """Put an unrelated prompt in the context, as another role would."""
    next_token_logprobs(llama, _tokens(llama, "Unrelated words about cooking pasta and tomatoes. " * 5))


def test_common_prefix():
    assert common_prefix([1, 2, 3], [1, 2, 4, 5]) == 2
    assert common_prefix((1, 2), [1, 2, 3]) == 2
    assert common_prefix([], [1]) == 0 and common_prefix([5], [6]) == 0


def test_a_restore_happens_exactly_at_min_gain_and_reads_the_same_next_token(llama):
    base = _tokens(llama, TEXT)
    assert len(base) > MIN_GAIN + 10
    states = PrefixStates(64 << 20)
    next_token_logprobs(llama, base)
    states.save(llama)
    assert len(states) == 1

    _other(llama)
    below = base[: MIN_GAIN - 1] + _tokens(llama, " zebra")
    assert states.restore(llama, below) == 0  # 31 tokens of gain: not worth a restore
    assert states.restored == 0

    _other(llama)
    at = base[:MIN_GAIN] + _tokens(llama, " zebra")
    assert states.restore(llama, at) == MIN_GAIN
    assert llama.n_tokens == len(base)  # the whole saved state is back; the caller trims to the prefix

    _other(llama)
    probe = base + _tokens(llama, " In short,")
    assert states.restore(llama, probe) == len(base)
    restored, evaluated = next_token_logprobs(llama, probe)
    assert evaluated == len(probe) - len(base)
    llama.reset()
    cold, evaluated_cold = next_token_logprobs(llama, probe)
    assert evaluated_cold == len(probe)
    assert int(np.argmax(restored)) == int(np.argmax(cold))
    assert float(np.max(np.abs(restored - cold))) < 0.05


def test_newer_states_replace_the_ones_they_extend_and_capacity_evicts_the_oldest(llama):
    base = _tokens(llama, TEXT)
    states = PrefixStates(64 << 20)
    next_token_logprobs(llama, base[:60])
    states.save(llama)
    next_token_logprobs(llama, base)  # extends the saved 60 tokens
    states.save(llama)
    assert len(states) == 1
    _other(llama)
    states.save(llama)
    assert len(states) == 2

    one = states.bytes // 2
    small = PrefixStates(one + one // 2)  # room for one state of this size, not two
    next_token_logprobs(llama, base)
    small.save(llama)
    _other(llama)
    small.save(llama)
    assert len(small) == 1
    assert small.restore(llama, base) == 0  # the first state was evicted

    off = PrefixStates(0)
    off.save(llama)
    assert len(off) == 0


def test_the_engine_restores_a_role_s_prompt_after_another_role_used_the_model():
    require_module("llama_cpp")
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    models = ModelsConfig(n_ctx=1024, prefix_cache_mb=9)  # an instance of its own (see the fixture above)
    lm = build_lm("judge", RoleModel(model="embedded/smollm2-135m", temperature=0.0), models)

    def ask(system: str, question: str):
        config = Config(max_tokens=1, temperature=0.0, logprobs=2)
        return lm(Request(model=lm.model, system=system, messages=(Message.user(question),), config=config))

    loaded = shared_model("smollm2-135m", 1024, default_threads(), prefix_cache_mb=9)
    ask("You grade answers. " + TEXT, "First criterion?")
    ask("You write questions about cooking.", "Another role's prompt.")
    before = loaded.states.restored
    ask("You grade answers. " + TEXT, "Second criterion?")
    assert loaded.states.restored == before + 1
    messages = [
        {"role": "system", "content": "You grade answers. " + TEXT},
        {"role": "user", "content": "Second criterion?"},
    ]
    with loaded.lock:
        held = loaded.llama.input_ids[: loaded.llama.n_tokens].tolist()
        prompt = chat_tokens(loaded.llama, messages)
    assert held == prompt
