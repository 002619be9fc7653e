"""`python -m experiments.worker` user errors: one line, no traceback, and a worker cannot change the study."""

from __future__ import annotations

import pytest

from experiments import worker
from tests.support.workers import SETTINGS, sets, write_docs


def test_joining_a_missing_study_is_one_line(tmp_path, capsys):
    code = worker.main(["--study", "nope", "--storage", f"journal:{tmp_path / 'j.log'}", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err == [
        "autodata: error: study 'nope' does not exist in this storage; create it first (--create)"
    ]


def test_out_is_required(tmp_path, capsys):
    assert worker.main(["--study", "s", "--storage", f"journal:{tmp_path / 'j.log'}"]) == 2
    assert "--out is required" in capsys.readouterr().err


@pytest.fixture
def created(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    docs = write_docs(tmp_path / "docs")
    storage = f"journal:{tmp_path / 'j.log'}"
    base = ["--study", "s", "--storage", storage, "--out", str(tmp_path / "run"), "--quiet"]
    config = sets(f"corpus.source={docs}", *SETTINGS, "tracking.enabled=false")
    assert worker.main(["--create", *base, "--n-trials", "3", *config]) == 0
    return base


def test_create_queues_the_budget_with_the_seeded_structures_first(created):
    import optuna

    from experiments.study.storage import make_storage

    study = optuna.load_study(study_name="s", storage=make_storage(created[3]))
    assert [t.state.name for t in study.trials] == ["WAITING"] * 3
    assert study.trials[0].system_attrs["fixed_params"]["allow_penalties"] is True
    assert study.trials[1].system_attrs["fixed_params"] == {"allow_penalties": False, "weight_cap": 7}
    assert set(study.user_attrs) >= {"config", "splits", "n_trials", "mlflow_parent_run_id"}
    assert worker.main(["--create", *created, "--n-trials", "3"]) == 0  # idempotent: still three trials
    assert len(optuna.load_study(study_name="s", storage=make_storage(created[3])).trials) == 3
    assert worker.main(["--create", *created, "--n-trials", "5"]) == 0  # a top-up queues two more
    study = optuna.load_study(study_name="s", storage=make_storage(created[3]))
    assert len(study.trials) == 5 and study.user_attrs["n_trials"] == 5


def test_a_worker_may_change_only_per_machine_settings(created, capsys):
    assert worker.main([*created, "--set", "rubric.weight_cap=3"]) == 2
    err = capsys.readouterr().err
    assert "rubric.weight_cap: a worker runs the study's config" in err and len(err.strip().splitlines()) == 1
