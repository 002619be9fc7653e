"""A worker killed with SIGKILL mid-trial: its trial becomes FAIL by heartbeat and another worker finishes."""

from __future__ import annotations

import json
import os
import signal
import time

import optuna
import pytest

from experiments.study.shared import finished_count
from experiments.study.storage import shared_storage
from tests.support.workers import SETTINGS, env, run_ok, sets, spawn, stop, wait_ok, write_docs


@pytest.mark.slow
def test_dead_workers_trial_fails_by_heartbeat_and_the_study_completes(tmp_path):
    docs = write_docs(tmp_path / "docs")
    url = f"sqlite:///{tmp_path / 'study.db'}"
    out = tmp_path / "run"
    common = ["--study", "hb", "--storage", url, "--out", str(out), "--no-cache", "--quiet"]
    common += ["--heartbeat", "1", "--grace", "3"]
    environ = env(tmp_path)
    config = sets(f"corpus.source={docs}", *SETTINGS, "tracking.enabled=false")
    run_ok(["--create", *common, "--n-trials", "2", *config], environ, tmp_path / "create.log")

    hung = spawn(common, {**environ, "AUTODATA_TEST_HANG": "1"}, tmp_path / "hung.log")
    storage = shared_storage(url)
    try:
        deadline = time.monotonic() + 120
        while not [t for t in optuna.load_study(study_name="hb", storage=storage).trials if t.state.name == "RUNNING"]:
            assert hung.poll() is None and time.monotonic() < deadline, hung.log_path.read_text()[-2000:]
            time.sleep(0.2)
        time.sleep(1.5)  # at least one heartbeat recorded
        os.killpg(hung.pid, signal.SIGKILL)
        hung.wait(timeout=30)
    finally:
        stop(hung)
    time.sleep(4)  # past the grace period

    rescuer = spawn(common, environ, tmp_path / "rescuer.log")
    try:
        wait_ok([rescuer], timeout=180)
    finally:
        stop(rescuer)
    trials = optuna.load_study(study_name="hb", storage=storage).trials
    assert [t.state.name for t in trials] == ["FAIL", "COMPLETE"]
    assert finished_count(optuna.load_study(study_name="hb", storage=storage)) == 2
    summary = json.loads(next(out.glob(f"worker-*-{rescuer.pid}/worker.json")).read_text())
    assert summary["trials"] == [1] and summary["study_finished"] == 2
