"""One-token log-probabilities from the embedded engine, for real: clean tokens, the judge's P(yes) read,
and the KV prefix reused between prompts that differ only at the end. Marked `real_model` (SmolLM2-135M
and Qwen2.5-Coder-0.5B; a few seconds each)."""

from __future__ import annotations

import math

import dspy
import pytest
from dspy.lm15 import Config, Message, Request, UnsupportedFeatureError

from experiments.lms.factory import build_lm
from experiments.lms.llama_models import default_threads, shared_model
from experiments.lms.llama_next_token import chat_tokens, next_token_logprobs
from experiments.lms.role_models import ModelsConfig, RoleModel
from programs.judge_probability import ProbabilityJudge
from programs.records import Criterion
from tests.support.requires import require_module

pytestmark = pytest.mark.real_model
MODELS = ModelsConfig(n_ctx=2048)
SYSTEM = "You are a strict grader. Reply with one word: yes or no."


@pytest.fixture(autouse=True)
def llama_cpp():
    return require_module("llama_cpp")


def _lm(name: str) -> dspy.LM:
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    return build_lm("judge", RoleModel(model=f"embedded/{name}", temperature=0.0), MODELS)


def _ask(lm: dspy.LM, question: str, k: int = 20):
    request = Request(
        model=lm.model,
        system=SYSTEM,
        messages=(Message.user(question),),
        config=Config(max_tokens=1, temperature=0.0, logprobs=k),
    )
    return lm(request)


def test_top_tokens_are_clean_text_sorted_and_normalised():
    response = _ask(_lm("qwen2.5-coder-0.5b"), "Is water wet? Reply yes or no.")
    top = response.logprobs[0].top
    assert len(top) == 20 and all("\x00" not in t.token for t in top)
    assert [t.logprob for t in top] == sorted((t.logprob for t in top), reverse=True)
    assert sum(math.exp(t.logprob) for t in top) <= 1.0 + 1e-6
    assert {"yes", "no"} <= {t.token.strip().lower() for t in top}
    assert response.text == top[0].token


def test_the_judge_reads_a_higher_p_yes_for_an_answer_that_makes_the_point():
    judge = ProbabilityJudge(calibration="fixed")
    judge.set_lm(_lm("qwen2.5-coder-0.5b"))
    rubric = [Criterion(criterion="States that the capital of France is Paris.", weight=1)]
    right = judge.read("What is the capital of France?", rubric, "The capital of France is Paris.")[0]
    wrong = judge.read("What is the capital of France?", rubric, "I like turtles and sunny weather.")[0]
    assert right > wrong


def test_the_shared_prefix_is_evaluated_once():
    loaded = shared_model("smollm2-135m", MODELS.n_ctx, default_threads())
    with loaded.lock:
        first = chat_tokens(loaded.llama, [{"role": "user", "content": "A long shared answer text. " * 20 + "One?"}])
        second = chat_tokens(loaded.llama, [{"role": "user", "content": "A long shared answer text. " * 20 + "Two?"}])
        next_token_logprobs(loaded.llama, first)
        _, evaluated_second = next_token_logprobs(loaded.llama, second)
        _, evaluated_again = next_token_logprobs(loaded.llama, second)
    assert evaluated_second < 10 < len(second)
    assert evaluated_again == 1  # the same prompt again: only the last token, for its logits


def test_logprobs_for_longer_replies_are_refused_in_one_line():
    lm = _lm("smollm2-135m")
    request = Request(model=lm.model, messages=(Message.user("hi"),), config=Config(max_tokens=5, logprobs=5))
    with pytest.raises(UnsupportedFeatureError, match="one-token completions"):
        lm.engine.complete(request)
