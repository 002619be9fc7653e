"""Shared test setup: hermetic DSPy settings and caches, MLflow and HF caches under a temp dir.

Environment variables that libraries read at import time are set here, before any test module
imports dspy, mlflow or datasets.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

_HOME = tempfile.mkdtemp(prefix="autodata-tests-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
os.environ.setdefault("DSPY_CACHEDIR", os.path.join(_HOME, "dspy_cache"))
os.environ.setdefault("HF_HOME", os.path.join(_HOME, "hf"))
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["DO_NOT_TRACK"] = "true"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import dspy  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def clean_dspy_settings():
    """Every test starts with no LM, no adapter and memory-only, empty caches."""
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    dspy.configure(lm=None, adapter=None, track_usage=False, callbacks=[])
    yield
    dspy.configure(lm=None, adapter=None, track_usage=False, callbacks=[])


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in a fresh directory with MLflow pointed at a SQLite store inside it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    return tmp_path
