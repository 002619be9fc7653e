"""A scripted DSPy engine: replies are computed from the prompt by a Python function, one per role.

The engine parses what DSPy's JSONAdapter sends (input sections `[[ ## name ## ]]` in the user
message, output fields and their descriptions in the system message) and hands a `Prompt` to the
reply function, which returns a dict of output values (sent back as JSON), a raw string, a float (the
P(yes) of a one-token reply with log-probabilities, for the probability judge), or raises.
Thread-safe; counts calls. Deterministic, so threads cannot reorder its answers.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

import dspy
from dspy.lm15 import Message, Response, TextPart, TokenLogprob, TopLogprob, Usage

_SECTION = re.compile(r"\[\[ ## (\w+) ## \]\]\n(.*?)(?=\n\n\[\[ ## |\n\nRespond with|\Z)", re.S)
_OUTPUT = re.compile(r"^\d+\. `(\w+)` \(([^)]*)\):[ ]?(.*)$", re.M)


@dataclass
class Prompt:
    system: str
    user: str
    inputs: dict[str, str]
    outputs: dict[str, str]  # output field name -> description
    config: object
    demos: int = 0  # few-shot demos in the request (user/assistant pairs before the last user message)

    def has_input(self, name: str) -> bool:
        return name in self.inputs


def parse(request) -> Prompt:
    system = request.system if isinstance(request.system, str) else "".join(p.text for p in request.system or ())
    user = request.messages[-1].text or ""
    inputs = {m.group(1): m.group(2).strip() for m in _SECTION.finditer(user)}
    out_block = system.split("Your output fields are:", 1)[-1].split("All interactions", 1)[0]
    outputs = {m.group(1): m.group(3).strip() for m in _OUTPUT.finditer(out_block)}
    demos = sum(getattr(m, "role", None) == "assistant" for m in request.messages)
    return Prompt(system, user, inputs, outputs, request.config, demos)


class ScriptedEngine:
    supports_response_schema = True
    supported_params = frozenset(
        {"temperature", "max_tokens", "response_format", "seed", "stop", "top_p", "logprobs", "top_logprobs"}
    )

    def __init__(self, reply: Callable[[Prompt], dict | str | float]):
        self.reply = reply
        self.calls = 0
        self.prompts: list[Prompt] = []
        self._lock = threading.Lock()

    def complete(self, request) -> Response:
        prompt = parse(request)
        with self._lock:
            self.calls += 1
            self.prompts.append(prompt)
        value = self.reply(prompt)
        if isinstance(value, float):  # P(yes) for a one-token request with log-probabilities
            return yes_no_response(value, len(prompt.user) // 4)
        text = value if isinstance(value, str) else json.dumps(value)
        usage = Usage(input_tokens=len(prompt.user) // 4, output_tokens=len(text) // 4, total_tokens=0)
        return Response(
            id=None, model="scripted", message=Message.assistant([TextPart(text)]), finish_reason="stop", usage=usage
        )

    def stream(self, request):
        raise NotImplementedError("the scripted engine does not stream")

    def close(self) -> None:
        pass

    def __deepcopy__(self, memo):
        return self


def yes_no_response(p: float, prompt_tokens: int) -> Response:
    """A one-token reply whose alternatives carry P(yes) = p, split over spelling variants."""
    p = min(max(p, 1e-9), 1 - 1e-9)
    top = sorted([("Yes", 0.6 * p), (" yes", 0.3 * p), ("No", 0.9 * (1 - p)), ("The", 0.1)], key=lambda t: -t[1])
    alternatives = tuple(TopLogprob(token=t, logprob=math.log(m)) for t, m in top)
    first = TokenLogprob(token=top[0][0], logprob=math.log(top[0][1]), top=alternatives)
    usage = Usage(input_tokens=prompt_tokens, output_tokens=1, total_tokens=prompt_tokens + 1)
    return Response(None, "scripted", Message.assistant([TextPart(top[0][0])]), "stop", usage, logprobs=(first,))


def scripted_lm(name: str, reply: Callable[[Prompt], dict | str]) -> dspy.LM:
    return dspy.LM(f"scripted/{name}", engine=ScriptedEngine(reply), cache=False, num_retries=0)
