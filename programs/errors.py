"""Sorting exceptions from role calls into what the loop does with them.

- "parse": the model replied but the reply did not fit the signature (DSPy's `AdapterParseError`) or
  the record built from it (a pydantic `ValidationError`, e.g. a rubric weight of 0); the round is
  recorded as invalid and the loop goes on.
- "transient": known provider and transport faults: timeouts, connection failures, rate limits,
  server errors, unreadable provider bodies, empty replies; retried.
- "permanent": bad key, billing, unknown model, unsupported request, context window exceeded; these
  are systemic, so they stop the run with one line naming the role and model (`FatalLMError`).
- "systemic": anything else. An exception nobody anticipated (a `KeyError` in a signature, a
  `TypeError` in an adapter, an engine failure DSPy could not classify) is a bug or an unsupported
  setup, not a flaky model: retrying it or filing it as a bad reply would hide it. It stops the run with
  one line (`UnexpectedError`); `--debug` shows the full traceback.
"""

from __future__ import annotations

from dspy.utils.exceptions import (
    AdapterParseError,
    ContextWindowExceededError,
    LMAuthError,
    LMBillingError,
    LMCollectionLimitError,
    LMConfigurationError,
    LMInvalidRequestError,
    LMLockTimeoutError,
    LMProviderError,
    LMRateLimitError,
    LMServerError,
    LMStreamAssemblyError,
    LMTimeoutError,
    LMTransportError,
    LMUnexpectedError,
    LMUnsupportedFeatureError,
)
from pydantic import ValidationError

_PERMANENT = (
    LMAuthError,
    LMBillingError,
    LMConfigurationError,
    LMUnsupportedFeatureError,
    LMInvalidRequestError,
    ContextWindowExceededError,
    LMCollectionLimitError,  # a local collector's budget: DSPy says never retry it
)
_TRANSIENT = (
    LMRateLimitError,
    LMTimeoutError,
    LMServerError,
    LMTransportError,
    LMLockTimeoutError,
    LMStreamAssemblyError,  # an incomplete stream
    TimeoutError,
    ConnectionError,
)
_DENIED = (401, 403, 404)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


class FatalLMError(RuntimeError):
    """A systemic failure of a role call: the run cannot go on. Its message is one line for the user."""

    def __init__(self, role: str, model: str, cause: BaseException):
        self.role, self.model, self.cause = role, model, cause
        super().__init__(self.describe())

    def describe(self) -> str:
        return (
            f"{self.role} model {self.model!r} failed permanently ({type(self.cause).__name__}): "
            f"{_first_line(self.cause)}"
        )


class UnexpectedError(FatalLMError):
    """An exception of no known kind inside a role call: stops the run like a permanent LM error."""

    def describe(self) -> str:
        # Name what went wrong underneath DSPy's wrapper of unclassified engine failures.
        cause = next((c for c in _causes(self.cause) if not isinstance(c, LMUnexpectedError)), self.cause)
        return (
            f"{self.role} call (model {self.model!r}) raised an unexpected {type(cause).__name__}: "
            f"{_first_line(cause)}; this is a bug or an unsupported setup, not a model fault "
            "(rerun with --debug for the traceback)"
        )


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        chain.append(link)
        seen.add(id(link))
        link = link.__cause__ or link.__context__
    return chain


def classify(exc: BaseException) -> str:
    """Return "parse", "transient", "permanent" or "systemic" for an exception raised by a role call."""
    if isinstance(exc, AdapterParseError):
        # An empty reply is a provider hiccup, not a malformed answer: retry it.
        return "parse" if str(getattr(exc, "lm_response", "") or "").strip() else "transient"
    if isinstance(exc, ValidationError):
        return "parse"
    if isinstance(exc, _PERMANENT) or getattr(exc, "status", None) in _DENIED:
        return "permanent"
    if isinstance(exc, _TRANSIENT):
        return "transient"
    if isinstance(exc, LMUnexpectedError):
        # DSPy wraps an engine failure it cannot classify; a timeout or lost connection underneath is
        # still a known transient fault.
        underneath = _causes(exc)[1:]
        return "transient" if any(isinstance(c, _TRANSIENT) for c in underneath) else "systemic"
    if isinstance(exc, LMProviderError):
        return "transient"  # the provider answered with an error or an unreadable body
    return "systemic"
