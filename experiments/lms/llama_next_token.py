"""Next-token log-probabilities from an in-process llama.cpp model, reusing the evaluated prompt prefix.

llama-cpp-python reports log-probabilities only for models loaded with `logits_all=True`, which keeps the
logits of every prompt position (for Qwen's 152k-token vocabulary, 2.5 GB at a 4k context) and computes
them all. A judge that reads P(yes) needs the distribution at one position only: the end of the prompt.
So this module evaluates the prompt itself, keeps llama.cpp's KV cache for the part of the prompt that
matches the previous call (prompts that share a question and an answer and differ only in the rubric
criterion then cost only the criterion's tokens), and reads the last position's logits.

`chat_tokens` renders messages with the model's own chat template (from the GGUF metadata) and opens the
assistant turn; `next_token_logprobs` returns the distribution of the next token and `top_choices` its k
most likely tokens; `continuation_logprobs` scores a given continuation token by token (a judge's
log-likelihood of a criterion after an answer).
Callers must hold the model's lock (see llama_models.py). Nothing here samples or applies a grammar.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from experiments.lms.llama_prefix_cache import common_prefix


@dataclass(frozen=True)
class TokenChoice:
    token_id: int
    text: str
    logprob: float


@functools.lru_cache(maxsize=8)
def _formatter(llama: Any) -> Any:
    from llama_cpp import llama_chat_format  # the optional `embedded` extra, imported on first use

    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        raise ValueError("the model carries no chat template in its GGUF metadata")
    model = llama._model
    eos = model.token_get_text(llama.token_eos()) if llama.token_eos() != -1 else ""
    bos = model.token_get_text(llama.token_bos()) if llama.token_bos() != -1 else ""
    return llama_chat_format.Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)


def chat_tokens(llama: Any, messages: list[dict[str, str]]) -> list[int]:
    """The token ids of `messages` in the model's chat format, ending where the assistant's reply starts."""
    prompt = _formatter(llama)(messages=messages).prompt
    # The template writes the BOS token itself where the model wants one.
    return llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)


def _evaluate(llama: Any, tokens: list[int]) -> int:
    """Evaluate `tokens`, reusing the cached prefix; returns how many tokens were actually evaluated."""
    if not tokens:
        raise ValueError("empty prompt")
    if len(tokens) > llama.n_ctx():
        raise ValueError(f"Requested tokens ({len(tokens)}) exceed context window of {llama.n_ctx()}")
    common = common_prefix(llama.input_ids[: llama.n_tokens], tokens)
    # The last token is always evaluated again: its logits are the ones we read.
    common = min(common, len(tokens) - 1)
    llama.n_tokens = common
    llama._requires_eval = True
    llama.eval(tokens[common:])
    return len(tokens) - common


def next_token_logprobs(llama: Any, tokens: list[int]) -> tuple[np.ndarray, int]:
    """Log-probabilities over the vocabulary for the token after `tokens`, and the tokens evaluated."""
    evaluated = _evaluate(llama, tokens)
    logits = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(llama.n_vocab(),)).astype(np.float64)
    peak = logits.max()
    return logits - peak - np.log(np.exp(logits - peak).sum()), evaluated


def continuation_logprobs(llama: Any, prefix: list[int], continuation: list[int]) -> tuple[list[float], int]:
    """log P(token | everything before it) for each token of `continuation` after `prefix`, and the
    prefix tokens evaluated. The continuation is evaluated in batches with logits at every position and
    then dropped from the cache, so the next call on the same prefix (another criterion) starts from it."""
    if not continuation:
        raise ValueError("empty continuation")
    if len(prefix) + len(continuation) > llama.n_ctx():
        raise ValueError(
            f"Requested tokens ({len(prefix) + len(continuation)}) exceed context window of {llama.n_ctx()}"
        )
    first, evaluated = next_token_logprobs(llama, prefix)
    out = [float(first[continuation[0]])]
    n_past = llama.n_tokens
    rest = continuation[:-1]  # the logits after token i predict token i + 1
    for start in range(0, len(rest), llama.n_batch):
        batch = rest[start : start + llama.n_batch]
        llama._ctx.kv_cache_seq_rm(-1, n_past + start, -1)
        llama._batch.set_batch(batch=batch, n_past=n_past + start, logits_all=True)
        llama._ctx.decode(llama._batch)
        rows = np.ctypeslib.as_array(llama._ctx.get_logits(), shape=(len(batch), llama.n_vocab())).astype(np.float64)
        peak = rows.max(axis=1, keepdims=True)
        logprobs = rows - peak - np.log(np.exp(rows - peak).sum(axis=1, keepdims=True))
        targets = continuation[start + 1 : start + 1 + len(batch)]
        out.extend(float(logprobs[i, t]) for i, t in enumerate(targets))
    # Drop the continuation from the cache; the prefix stays for the next read.
    llama._ctx.kv_cache_seq_rm(-1, n_past, -1)
    llama.n_tokens = n_past
    return out, evaluated


def top_choices(llama: Any, logprobs: np.ndarray, k: int) -> list[TokenChoice]:
    """The k most likely tokens of a distribution, most likely first."""
    best = np.argsort(-logprobs)[: max(k, 1)]
    return [TokenChoice(int(i), piece(llama, int(i)), float(logprobs[i])) for i in best]


def piece(llama: Any, token: int) -> str:
    """The text of one token."""
    # `detokenize`, not `_model.token_to_piece`, which returns its fixed-size buffer padded with NULs.
    return llama.detokenize([token]).decode("utf-8", "replace")
