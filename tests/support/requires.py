"""Missing test prerequisites (Chromium, `llama_cpp.server`, PostgreSQL): a skip on a laptop, a failure in CI.

`missing(reason)` skips the calling test, unless the `CI` environment variable is set (to anything but
"" / "0" / "false"), in which case it fails it: a CI job that silently skips the browser or server tests
would report green without running them. `require_module(name)` does the same for an import. Call
them inside a test or fixture, not at module level, so that a run which deselects the tests by marker
(`-m "not server"`) does not trip over them.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so a missing prerequisite fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


def require_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        missing(f"{name} is not importable ({exc})")
        raise  # unreachable: missing() always raises
