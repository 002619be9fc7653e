"""The DSPy model-metadata memo (experiments/lms/dspy_fixes.py): on once the factory is imported, one table
lookup per name, the same answers as DSPy's own lookup, and a clean revert for the benchmarks."""

from __future__ import annotations

import dspy.clients.capabilities as capabilities
import dspy.clients.costs as costs
import pytest
from dspy.clients import model_metadata

import experiments.lms.factory  # noqa: F401  (importing the factory applies the memo, as every CLI run does)
from experiments.lms import dspy_fixes


@pytest.fixture
def counted_lookup():
    """DSPy's lookup behind a call counter, memoized by dspy_fixes; the memo as the factory left it after."""
    calls: list[tuple] = []

    def lookup(provider, model, *, namespaces=None):
        calls.append((provider, model, namespaces))
        return model_metadata.model_info(provider, model, namespaces=namespaces)

    dspy_fixes.revert()
    saved = (capabilities.model_info, costs.model_info)
    capabilities.model_info = costs.model_info = lookup
    try:
        dspy_fixes.apply()
        yield calls
    finally:
        dspy_fixes.revert()
        capabilities.model_info, costs.model_info = saved
        dspy_fixes.apply()


def test_the_factory_applies_the_memo():
    assert dspy_fixes.applied()
    assert capabilities.model_info is costs.model_info is not model_metadata.model_info


def test_a_served_name_is_looked_up_once_and_callers_get_copies(counted_lookup):
    first = capabilities.model_info("openai", "judge")  # a served name DSPy's table does not know
    again = costs.model_info("openai", "judge")
    listed = capabilities.model_info("openai", "judge", namespaces=["openai"])
    assert counted_lookup == [("openai", "judge", None), ("openai", "judge", ["openai"])]
    assert first == again == model_metadata.model_info("openai", "judge")
    known = costs.model_info("openai", "gpt-4o-mini")
    assert known == model_metadata.model_info("openai", "gpt-4o-mini") and known["input_cost_per_token"] > 0
    known["input_cost_per_token"] = -1.0  # a caller changing its copy changes nothing for the next one
    assert costs.model_info("openai", "gpt-4o-mini")["input_cost_per_token"] > 0
    assert listed == model_metadata.model_info("openai", "judge", namespaces=["openai"])


def test_revert_restores_dspys_lookup_and_apply_is_idempotent():
    dspy_fixes.revert()
    try:
        assert not dspy_fixes.applied() and capabilities.model_info is model_metadata.model_info
        dspy_fixes.revert()  # a second revert is a no-op
        assert costs.model_info is model_metadata.model_info
    finally:
        dspy_fixes.apply()
    memo = capabilities.model_info
    dspy_fixes.apply()
    assert capabilities.model_info is memo is costs.model_info
