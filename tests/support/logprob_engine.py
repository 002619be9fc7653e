"""A scripted engine that answers one-token requests with log-probabilities, like a judge's P(yes) read.

`p_yes(system, user) -> float` decides the probability of "yes" for each request; the engine returns
"Yes"/" yes" and "No" alternatives carrying that mass (split across variants, as real tokenisers do)
plus an unrelated token. Requests without `config.logprobs` get `fallback(prompt)` as a JSON reply
(for the per_criterion path). `logprobs=False` makes it a provider without log-probabilities.
`loglik(system, user, reply) -> float` makes it score given replies (the likelihood judge's read, request
extension `continuation_logprobs`): the value is spread over the reply's words as its tokens.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import dspy
from dspy.lm15 import Message, Response, TextPart, TokenLogprob, Usage

from testkit.scripted import Prompt, parse, yes_no_response


class LogprobEngine:
    supports_response_schema = True
    supported_params = frozenset({"temperature", "max_tokens", "response_format", "logprobs", "top_logprobs"})

    def __init__(
        self,
        p_yes: Callable[[str, str], float],
        fallback: Callable[[Prompt], dict] | None = None,
        logprobs: bool = True,
        loglik: Callable[[str, str, str], float] | None = None,
    ):
        self.p_yes, self.fallback, self.logprobs, self.loglik = p_yes, fallback, logprobs, loglik
        self.supports_continuation_logprobs = loglik is not None
        self.requests: list[tuple[str, str]] = []
        self.calls = 0
        self._lock = threading.Lock()

    def complete(self, request) -> Response:
        system = request.system if isinstance(request.system, str) else "".join(p.text for p in request.system or ())
        if (request.config.extensions or {}).get("continuation_logprobs"):
            return self._scored(system, request.messages[-2].text or "", request.messages[-1].text or "")
        user = request.messages[-1].text or ""
        with self._lock:
            self.calls += 1
            self.requests.append((system, user))
        usage = Usage(input_tokens=len(user) // 4, output_tokens=1, total_tokens=len(user) // 4 + 1)
        if request.config.logprobs is None or not self.logprobs:
            reply = self.fallback(parse(request)) if self.fallback else {"met": False}
            text = json.dumps(reply)
            return Response(None, "scripted", Message.assistant([TextPart(text)]), "stop", usage)
        return yes_no_response(self.p_yes(system, user), len(user) // 4)

    def _scored(self, system: str, user: str, reply: str) -> Response:
        assert self.loglik is not None, "the likelihood judge asked a provider that does not score replies"
        with self._lock:
            self.calls += 1
            self.requests.append((system, user + "\n>> " + reply))
        words = reply.split()
        value = self.loglik(system, user, reply)
        logprobs = tuple(TokenLogprob(token=w, logprob=value / len(words)) for w in words)
        usage = Usage(input_tokens=len(user) // 4, output_tokens=0, total_tokens=len(user) // 4)
        return Response(None, "scripted", Message.assistant([TextPart(reply)]), "stop", usage, logprobs=logprobs)

    def stream(self, request):
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __deepcopy__(self, memo):
        return self


def logprob_lm(name: str, engine: LogprobEngine) -> dspy.LM:
    return dspy.LM(f"scripted/{name}", engine=engine, cache=False, num_retries=0)
