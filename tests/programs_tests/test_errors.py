"""The error policy of role calls: what is a bad reply, what is retried, what stops the run."""

from __future__ import annotations

import dspy
import pytest
from dspy.utils.exceptions import (
    AdapterParseError,
    ContextWindowExceededError,
    LMAuthError,
    LMProviderError,
    LMRateLimitError,
    LMServerError,
    LMTimeoutError,
    LMTransportError,
    LMUnexpectedError,
)
from pydantic import ValidationError

from programs import FatalLMError
from programs.errors import UnexpectedError, classify
from programs.records import Criterion
from testkit.world import World
from tests.programs_tests.test_loop import make


def _validation_error() -> ValidationError:
    try:
        Criterion(criterion="the answer names KW1", weight=0)
    except ValidationError as exc:
        return exc
    raise AssertionError("a weight of 0 must not validate")


def _wrapped(cause: BaseException) -> LMUnexpectedError:
    try:
        raise LMUnexpectedError("engine failed") from cause
    except LMUnexpectedError as exc:
        return exc


def _parse_error(text: str) -> AdapterParseError:
    return AdapterParseError(adapter_name="JSONAdapter", signature=dspy.Signature("q -> a"), lm_response=text)


CASES = [
    (_parse_error("not json"), "parse"),
    (_validation_error(), "parse"),
    (_parse_error(""), "transient"),  # an empty reply
    (LMRateLimitError("429", status=429), "transient"),
    (LMServerError("503", status=503), "transient"),
    (LMTimeoutError("slow"), "transient"),
    (LMTransportError("reset"), "transient"),
    (LMProviderError("the reply is not JSON", status=200), "transient"),
    (TimeoutError("read timed out"), "transient"),
    (ConnectionResetError("reset by peer"), "transient"),
    (_wrapped(TimeoutError("slow engine")), "transient"),
    (LMAuthError("bad key", status=401), "permanent"),
    (LMProviderError("forbidden", status=403), "permanent"),
    (ContextWindowExceededError(message="too long"), "permanent"),
    (KeyError("c3"), "systemic"),
    (TypeError("unexpected keyword"), "systemic"),
    (ValueError("bad value in our own code"), "systemic"),
    (AttributeError("no attribute 'rubric'"), "systemic"),
    (FileNotFoundError("/missing"), "systemic"),
    (_wrapped(KeyError("c3")), "systemic"),
]


@pytest.mark.parametrize(("exc", "kind"), CASES, ids=[f"{type(e).__name__}-{k}" for e, k in CASES])
def test_classify(exc, kind):
    assert classify(exc) == kind


def test_a_bug_in_a_role_call_stops_the_run_with_one_line_and_no_retry():
    program, engines = make(World(plan={1: {"weak": [1]}}))

    def broken(p):
        raise KeyError("c3")  # e.g. a signature that names a field the judge never returns

    engines["judge"].reply = broken
    with pytest.raises(UnexpectedError) as caught:
        program(document="A paper.", doc_id="d1")
    message = str(caught.value)
    assert isinstance(caught.value, FatalLMError) and "\n" not in message
    assert message.startswith("judge call (model 'scripted/judge') raised an unexpected")
    assert "KeyError" in message and "--debug" in message
    assert engines["judge"].calls == 1  # not retried


def test_a_reply_that_fails_validation_is_an_invalid_round():
    def zero_weight(p):
        reply = World().challenger(p)
        criteria = next(reply[k] for k in ("rubric", "positive_criteria") if k in reply)
        criteria[0]["weight"] = 0  # a criterion weight of 0 does not validate
        return reply

    world = World()
    world.challenger_reply = zero_weight
    program, engines = make(world, max_rounds=1)
    r = program(document="A paper.").rounds[0]
    assert r.reason == "invalid" and any(": parse: " in e for e in r.errors), r.errors
    assert engines["verifier"].calls == 0


def test_permanent_errors_still_name_the_model():
    program, engines = make(World())

    def denied(p):
        raise LMAuthError("401 invalid api key", status=401)

    engines["challenger"].reply = denied
    with pytest.raises(FatalLMError, match=r"^challenger model 'scripted/challenger' failed permanently") as caught:
        program(document="A paper.")
    assert not isinstance(caught.value, UnexpectedError)
