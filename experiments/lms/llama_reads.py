"""The embedded engine's log-probability reads, which the judges use instead of sampled replies.

- `next_token_response`: a one-token completion with its top alternatives' log-probabilities (the
  probability judge's P(yes)); greedy.
- `continuation_response`: the log-probability of every token of a *given* reply (the likelihood judge's
  read of a criterion after an answer). Asked for with the request extension `continuation_logprobs`; the
  request's last message is the reply, as an assistant message; nothing is generated.

Both reuse the evaluated prompt prefix, so the criteria of one answer cost only their own tokens, and
keep the prompt state of a call that evaluated a long new prefix (the answer), not one per criterion.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dspy.lm15 import (
    ContextLengthError,
    Message,
    Request,
    Response,
    TokenLogprob,
    TopLogprob,
    UnsupportedFeatureError,
    Usage,
)

from experiments.lms.llama_models import Loaded
from experiments.lms.llama_next_token import (
    chat_tokens,
    continuation_logprobs,
    next_token_logprobs,
    piece,
    top_choices,
)

CONTINUATION = "continuation_logprobs"
# A read saves its prompt state only when it evaluated this many new tokens.
_SAVE_AFTER_TOKENS = 128


@contextmanager
def _context_errors(model: str) -> Iterator[None]:
    try:
        yield
    except ValueError as exc:
        if "context window" in str(exc):
            raise ContextLengthError(f"{model}: {exc}", provider="embedded") from None
        raise


def next_token_response(model: str, loaded: Loaded, request: Request, messages: list[dict[str, str]]) -> Response:
    """A one-token completion with the log-probabilities of its top alternatives (judges read P(yes))."""
    config = request.config
    if config.max_tokens != 1 or config.response_format is not None or request.tools:
        raise UnsupportedFeatureError(
            f"embedded model {model!r} returns logprobs only for one-token completions without "
            "response_format or tools (max_tokens=1)",
            feature="config.logprobs",
        )
    with loaded.lock:
        tokens = chat_tokens(loaded.llama, messages)
        loaded.states.restore(loaded.llama, tokens)
        with _context_errors(model):
            logprobs, evaluated = next_token_logprobs(loaded.llama, tokens)
        if evaluated >= _SAVE_AFTER_TOKENS:
            loaded.states.save(loaded.llama)
        top = top_choices(loaded.llama, logprobs, max(config.logprobs or 1, 1))
    chosen = top[0]  # greedy: the reply is the most likely token
    alternatives = tuple(TopLogprob(token=c.text, logprob=c.logprob, token_id=c.token_id) for c in top)
    return Response(
        id=None,
        model=model,
        message=Message.assistant(chosen.text),
        # One token was asked for and given: the reply is complete (DSPy warns on "length").
        finish_reason="stop",
        usage=Usage(input_tokens=len(tokens), output_tokens=1, total_tokens=len(tokens) + 1),
        logprobs=(TokenLogprob(token=chosen.text, logprob=chosen.logprob, token_id=chosen.token_id, top=alternatives),),
    )


def continuation_response(model: str, loaded: Loaded, request: Request, messages: list[dict[str, str]]) -> Response:
    """The request's last (assistant) message scored as the reply: one logprob per reply token."""
    if len(messages) < 2 or messages[-1]["role"] != "assistant" or not messages[-1]["content"]:
        raise UnsupportedFeatureError(
            f"{CONTINUATION} needs the reply to score as a non-empty last assistant message",
            feature="config.extensions",
        )
    reply = messages[-1]["content"]
    with loaded.lock:
        prefix = chat_tokens(loaded.llama, messages[:-1])
        tokens = loaded.llama.tokenize(reply.encode("utf-8"), add_bos=False, special=False)
        loaded.states.restore(loaded.llama, prefix)
        with _context_errors(model):
            logprobs, evaluated = continuation_logprobs(loaded.llama, prefix, tokens)
        if evaluated >= _SAVE_AFTER_TOKENS:
            loaded.states.save(loaded.llama)
        pieces = [piece(loaded.llama, t) for t in tokens]
    total = len(prefix) + len(tokens)
    return Response(
        id=None,
        model=model,
        message=Message.assistant(reply),
        finish_reason="stop",
        usage=Usage(input_tokens=total, output_tokens=0, total_tokens=total),
        logprobs=tuple(
            TokenLogprob(token=text, logprob=lp, token_id=t)
            for text, lp, t in zip(pieces, logprobs, tokens, strict=True)
        ),
    )
