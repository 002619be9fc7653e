"""Log-probabilities of a given reply from the embedded engine, for real: the batched read against a
token-by-token one, the prompt cache left as it was, the likelihood judge's ordering, and refusals.
Marked `real_model` (Qwen2.5-Coder-0.5B; a few seconds each)."""

from __future__ import annotations

import dspy
import pytest
from dspy.lm15 import Config, Message, Request, UnsupportedFeatureError

from experiments.lms.factory import build_lm
from experiments.lms.llama_models import default_threads, shared_model
from experiments.lms.llama_next_token import chat_tokens, continuation_logprobs, next_token_logprobs
from experiments.lms.role_models import ModelsConfig, RoleModel
from programs.judge_likelihood import LikelihoodJudge
from programs.records import Criterion
from tests.support.requires import require_module

pytestmark = pytest.mark.real_model
MODELS = ModelsConfig(n_ctx=2048)
NAME = "qwen2.5-coder-0.5b"
MESSAGES = [
    {"role": "system", "content": "You restate answers."},
    {"role": "user", "content": "Answer:\nThe cache is keyed by the prompt prefix.\n\nState one point it makes."},
]


@pytest.fixture(autouse=True)
def llama_cpp():
    return require_module("llama_cpp")


def _lm() -> dspy.LM:
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    return build_lm("judge", RoleModel(model=f"embedded/{NAME}", temperature=0.0), MODELS)


def _score(lm: dspy.LM, reply: str):
    request = Request(
        model=lm.model,
        system=MESSAGES[0]["content"],
        messages=(Message.user(MESSAGES[1]["content"]), Message.assistant(reply)),
        config=Config(max_tokens=1, extensions={"continuation_logprobs": True}),
    )
    return lm(request)


def test_batched_read_matches_token_by_token_and_leaves_the_prefix_cached():
    loaded = shared_model(NAME, MODELS.n_ctx, default_threads())
    with loaded.lock:
        llama = loaded.llama
        prefix = chat_tokens(llama, MESSAGES)
        reply = llama.tokenize(b"The cache is keyed by the prompt prefix.", add_bos=False, special=False)
        batched, _ = continuation_logprobs(llama, prefix, reply)
        assert llama.n_tokens == len(prefix), "the reply is dropped from the cache, the prefix kept"
        again, evaluated = continuation_logprobs(llama, prefix, reply)
        stepwise = []
        for i, token in enumerate(reply):
            logprobs, _ = next_token_logprobs(llama, prefix + reply[:i])
            stepwise.append(float(logprobs[token]))
    assert evaluated == 1, "the same prefix again: only its last token is evaluated, for its logits"
    assert again == pytest.approx(batched, abs=1e-6)
    # Batched and one-at-a-time evaluation differ only in floating-point order.
    assert batched == pytest.approx(stepwise, abs=0.05)


def test_the_engine_scores_every_reply_token_and_prefers_what_the_answer_says():
    lm = _lm()
    said = _score(lm, "The cache is keyed by the prompt prefix.")
    unsaid = _score(lm, "The cache is keyed by the user's name.")
    assert said.text == "The cache is keyed by the prompt prefix."
    assert "".join(t.token for t in said.logprobs) == said.text
    assert sum(t.logprob for t in said.logprobs) > sum(t.logprob for t in unsaid.logprobs)


def test_the_likelihood_judge_reads_a_point_as_likelier_after_an_answer_that_makes_it():
    judge = LikelihoodJudge()
    judge.set_lm(_lm())
    # A made-up fact, so that the model's own knowledge cannot make the point likely without the answer.
    rubric = [Criterion(criterion="States that the Zorblat valve's indicator glows teal when it is open.", weight=1)]
    question = "How does an operator tell that the Zorblat valve is open?"
    right = judge.read(question, rubric, "When the Zorblat valve is open, its indicator glows teal.")[0]
    wrong = judge.read(question, rubric, "The operator checks the pressure gauge on the inlet pipe.")[0]
    assert right > wrong


def test_a_request_without_a_reply_to_score_is_refused_in_one_line():
    lm = _lm()
    request = Request(
        model=lm.model,
        messages=(Message.user("hi"),),
        config=Config(max_tokens=1, extensions={"continuation_logprobs": True}),
    )
    with pytest.raises(UnsupportedFeatureError, match="last assistant message"):
        lm.engine.complete(request)
    other = Request(model=lm.model, messages=(Message.user("hi"),), config=Config(extensions={"beam": 4}))
    with pytest.raises(UnsupportedFeatureError, match=r"config\.extensions"):
        lm.engine.complete(other)
