"""A command resumed in the same --out links its MLflow run to the run the killed process left RUNNING, and
ends that run and its running child runs as KILLED (the UI then shows no orphan as running)."""

from __future__ import annotations

import json

from mlflow.tracking import MlflowClient

from experiments.run.overrides import build_config
from experiments.run.session import MLFLOW_RUN_FILE, Session
from tests.support.run_command import scripted_lms
from tests.support.workers import SETTINGS


def _session(cfg, out):
    return Session(cfg, out, "compile", lms=scripted_lms(), use_cache=False, quiet=True)


def test_a_resumed_command_ends_the_killed_runs_and_links_to_them(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cfg = build_config({}, [*SETTINGS, f"tracking.tracking_uri={uri}"])
    out = tmp_path / "run"
    # A process killed mid-run: its parent and one trial run stay RUNNING, a finished phase does not.
    first = _session(cfg, out)
    first.__enter__()
    killed = first.tracker.parent_id
    trial, phase = first.tracker.child("trial-0"), first.tracker.child("baseline")
    first.tracker.end(phase)
    assert json.loads((out / MLFLOW_RUN_FILE).read_text()) == {"tracking_uri": uri, "run_id": killed}

    with _session(cfg, out) as second:
        resumed = second.tracker.parent_id
    client = MlflowClient(uri)
    status = {run_id: client.get_run(run_id).info.status for run_id in (killed, trial, phase, resumed)}
    assert status == {killed: "KILLED", trial: "KILLED", phase: "FINISHED", resumed: "FINISHED"}
    assert client.get_run(resumed).data.tags["autodata.resumes"] == killed
    assert client.get_run(killed).data.tags["autodata.resumed_by"] == resumed
    assert json.loads((out / MLFLOW_RUN_FILE).read_text())["run_id"] == resumed

    # A third command in the same directory links to the finished run and leaves it FINISHED.
    with _session(cfg, out) as third:
        pass
    assert client.get_run(resumed).info.status == "FINISHED"
    assert client.get_run(third.tracker.parent_id).data.tags["autodata.resumes"] == resumed


def test_a_record_from_another_tracking_store_or_an_unreadable_one_is_ignored(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cfg = build_config({}, [*SETTINGS, f"tracking.tracking_uri={uri}"])
    out = tmp_path / "run"
    out.mkdir()
    client = MlflowClient(uri)
    other = client.create_run(client.create_experiment("other")).info.run_id
    # A record naming a RUNNING run of this store but saying it lives in another store, then a file that
    # is not JSON: neither links the new run or touches the other one.
    for text in (json.dumps({"tracking_uri": "sqlite:///elsewhere.db", "run_id": other}), "{not json"):
        (out / MLFLOW_RUN_FILE).write_text(text)
        with _session(cfg, out) as s:
            pass
        assert "autodata.resumes" not in client.get_run(s.tracker.parent_id).data.tags
        assert client.get_run(other).info.status == "RUNNING"
