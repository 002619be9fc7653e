"""A missing prerequisite skips the test on a laptop and fails it under CI (tests/support/requires.py)."""

from __future__ import annotations

import pytest

from tests.support.requires import missing, require_module


def outcome(fn, *args) -> tuple[type | None, str]:
    """What fn ends a test with: caught here, so a skip cannot pass for a failure (or the other way)."""
    try:
        fn(*args)
    except (pytest.skip.Exception, pytest.fail.Exception) as exc:
        return type(exc), str(exc)
    return None, ""


@pytest.mark.parametrize("ci", [None, "", "0", "false"])
def test_without_ci_a_missing_prerequisite_skips(monkeypatch, ci):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    kind, text = outcome(missing, "no chromium here")
    assert kind is pytest.skip.Exception and text == "no chromium here"
    kind, text = outcome(require_module, "autodata_no_such_module")
    assert kind is pytest.skip.Exception and "autodata_no_such_module is not importable" in text


@pytest.mark.parametrize("ci", ["true", "1", "yes"])
def test_under_ci_a_missing_prerequisite_fails(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    kind, text = outcome(missing, "no chromium here")
    assert kind is pytest.fail.Exception and text.startswith("no chromium here") and "CI is set" in text
    kind, text = outcome(require_module, "autodata_no_such_module")
    assert kind is pytest.fail.Exception and "autodata_no_such_module is not importable" in text


def test_a_present_module_is_returned(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert require_module("json").dumps([]) == "[]"
