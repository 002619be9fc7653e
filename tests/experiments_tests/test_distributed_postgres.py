"""Workers and a compile against a real PostgreSQL (private cluster from Debian packages) and MLflow server.

One PostgreSQL cluster and one `mlflow server` (backed by PostgreSQL, artifacts in a shared folder) serve
the module. Two worker processes share an Optuna study in PostgreSQL and nest their trial runs under the
study's MLflow run; a compile logs its runs to the server through MLFLOW_TRACKING_URI and they are read
back from it.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.support.postgres import free_port, postgres_cluster  # noqa: F401 - a fixture
from tests.support.workers import (
    SETTINGS,
    check_shared_study,
    command_line,
    env,
    mlflow_server,
    run_ok,
    sets,
    spawn,
    stop,
    wait_ok,
    write_docs,
)

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def tracking(postgres_cluster, tmp_path_factory):  # noqa: F811
    root = tmp_path_factory.mktemp("mlflow")
    backend = postgres_cluster.create_database("mlflow")
    with mlflow_server(backend, root / "artifacts", free_port()) as uri:
        yield uri


@pytest.mark.slow
def test_two_workers_share_a_postgres_study_and_nest_runs_on_the_server(postgres_cluster, tracking, tmp_path):  # noqa: F811
    from mlflow.tracking import MlflowClient

    from experiments.study.storage import shared_storage

    storage = postgres_cluster.create_database("optuna_workers")
    docs = write_docs(tmp_path / "docs")
    out = tmp_path / "run"
    common = ["--study", "pg", "--storage", storage, "--out", str(out), "--no-cache", "--quiet", "--heartbeat", "2"]
    environ = env(tmp_path, MLFLOW_TRACKING_URI=tracking)
    run_ok(
        ["--create", *common, "--n-trials", "4", *sets(f"corpus.source={docs}", *SETTINGS)],
        environ,
        tmp_path / "create.log",
    )
    study_info = json.loads((out / "study.json").read_text())
    assert "postgres:***@" in study_info["storage"]  # the password is not written to disk

    together = {**environ, "AUTODATA_TEST_DELAY": "0.01", "AUTODATA_TEST_BARRIER": f"{tmp_path / 'barrier'}:2"}
    workers = [spawn(common, together, tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        wait_ok(workers, timeout=300)
    finally:
        for proc in workers:
            stop(proc)
    trials = check_shared_study(shared_storage(storage), "pg", out, n_trials=4)

    client = MlflowClient(tracking_uri=tracking)
    parent = client.get_run(study_info["mlflow_parent_run_id"])
    assert parent.info.status == "FINISHED"  # ended by the worker that saw the study complete
    children = client.search_runs([parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert sorted(c.info.run_name for c in children) == [f"trial-{t.number}" for t in trials]
    for child in children:
        assert "structure.allow_penalties" in child.data.params
        assert client.get_metric_history(child.info.run_id, "accepted")  # per-round curves reached the server


@pytest.mark.slow
def test_compile_logs_to_the_tracking_server_with_a_postgres_study(postgres_cluster, tracking, tmp_path):  # noqa: F811
    from mlflow.tracking import MlflowClient

    storage = postgres_cluster.create_database("optuna_compile")
    docs = write_docs(tmp_path / "docs")
    out = tmp_path / "run"
    args = ["--out", str(out), "--quiet", "--no-cache"]
    args += sets(f"corpus.source={docs}", *SETTINGS, "search.n_trials=2", f"search.storage={storage}")
    done = subprocess.run(
        command_line("compile", *args),
        env=env(tmp_path, MLFLOW_TRACKING_URI=tracking),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["mlflow"]["tracking_uri"] == tracking and not summary["mlflow"]["failures"]

    client = MlflowClient(tracking_uri=tracking)
    parent = client.get_run(summary["mlflow"]["parent_run_id"])
    assert parent.info.status == "FINISHED" and parent.data.params["search.n_trials"] == "2"
    children = client.search_runs([parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert sorted(c.info.run_name for c in children) == ["baseline", "final", "trial-0", "trial-1"]
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id, "run")}
    assert "run/summary.json" in artifacts  # artifacts went to the server's artifact root


def test_claims_are_exclusive_on_postgres(postgres_cluster):  # noqa: F811
    """Eight threads race to claim five queued trials in PostgreSQL: each is claimed once."""
    from concurrent.futures import ThreadPoolExecutor

    import optuna

    from experiments.study.shared import claim_trial
    from experiments.study.storage import shared_storage

    url = postgres_cluster.create_database("optuna_race")
    study = optuna.create_study(study_name="race", storage=url)
    for _ in range(5):
        study.enqueue_trial({})

    def claim_all(_):
        mine = optuna.load_study(study_name="race", storage=shared_storage(url))
        got = []
        while (trial := claim_trial(mine, budget=5)) is not None:
            got.append(trial.number)
        return got

    with ThreadPoolExecutor(8) as pool:
        claimed = [n for got in pool.map(claim_all, range(8)) for n in got]
    assert sorted(claimed) == [0, 1, 2, 3, 4]
    assert len(optuna.load_study(study_name="race", storage=url).trials) == 5
