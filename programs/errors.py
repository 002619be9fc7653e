"""Sorting exceptions from role calls into what the loop does with them.

- "parse": the model replied but the reply did not fit the signature; the round is recorded as
  invalid and the loop goes on.
- "transient": timeouts, connection resets, rate limits, server errors, empty replies; retried.
- "permanent": bad key, unknown model, unsupported request, context window exceeded; these are
  systemic, so they stop the run with one line naming the role and model (`FatalLMError`).
"""

from __future__ import annotations

from dspy.utils.exceptions import (
    AdapterParseError,
    ContextWindowExceededError,
    LMAuthError,
    LMBillingError,
    LMConfigurationError,
    LMError,
    LMInvalidRequestError,
    LMUnsupportedFeatureError,
)

_PERMANENT = (
    LMAuthError,
    LMBillingError,
    LMConfigurationError,
    LMUnsupportedFeatureError,
    LMInvalidRequestError,
    ContextWindowExceededError,
)


class FatalLMError(RuntimeError):
    """A systemic LM failure: the run cannot go on. Its message is one line for the user."""

    def __init__(self, role: str, model: str, cause: BaseException):
        self.role, self.model, self.cause = role, model, cause
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        super().__init__(f"{role} model {model!r} failed permanently ({type(cause).__name__}): {first[:300]}")


class EmptyReplyError(RuntimeError):
    """The model returned nothing usable; treated as transient."""


def classify(exc: BaseException) -> str:
    """Return "parse", "transient" or "permanent" for an exception raised by a role call."""
    if isinstance(exc, AdapterParseError):
        # An empty reply is a provider hiccup, not a malformed answer: retry it.
        return "parse" if str(getattr(exc, "lm_response", "") or "").strip() else "transient"
    if isinstance(exc, _PERMANENT):
        return "permanent"
    if isinstance(exc, (LMError, EmptyReplyError, TimeoutError, ConnectionError, OSError)):
        status = getattr(exc, "status", None)
        if status in (401, 403, 404):
            return "permanent"
        return "transient"
    # pydantic validation of a parsed reply, JSON decoding and the like: the reply was malformed.
    if isinstance(exc, (ValueError, TypeError, KeyError)):
        return "parse"
    return "transient"
