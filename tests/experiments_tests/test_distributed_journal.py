"""Two worker processes share one Optuna study through a journal file (the single-host choice)."""

from __future__ import annotations

from pathlib import Path

from experiments import worker
from experiments.study.storage import make_storage
from tests.support.workers import (
    SETTINGS,
    check_shared_study,
    command_line,
    env,
    run_ok,
    sets,
    spawn,
    stop,
    wait_ok,
    write_docs,
)


def test_two_workers_share_a_journal_study(tmp_path):
    docs = write_docs(tmp_path / "docs")
    storage = f"journal:{tmp_path / 'study.log'}"
    out = tmp_path / "run"
    common = ["--study", "s", "--storage", storage, "--out", str(out), "--no-cache", "--quiet"]
    environ = env(tmp_path)
    config = sets(f"corpus.source={docs}", *SETTINGS, "tracking.enabled=false")
    run_ok(["--create", *common, "--n-trials", "4", *config], environ, tmp_path / "create.log")

    together = {**environ, "AUTODATA_TEST_DELAY": "0.01", "AUTODATA_TEST_BARRIER": f"{tmp_path / 'barrier'}:2"}
    workers = [spawn(common, together, tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        wait_ok(workers, timeout=300)
    finally:
        for proc in workers:
            stop(proc)
    check_shared_study(make_storage(storage), "s", out, n_trials=4)

    report = worker.status("s", storage)
    assert report["states"] == {"COMPLETE": 4} and report["budget"] == 4
    assert (Path(report["best"]["harness_dir"]) / "program.json").exists()  # ready for `generate --harness`


def test_claims_are_exclusive_under_a_thread_race(tmp_path):
    """Eight threads race to claim five queued trials: each is claimed once and no trial is added."""
    from concurrent.futures import ThreadPoolExecutor

    import optuna

    from experiments.study.shared import claim_trial
    from experiments.study.storage import shared_storage

    storage = shared_storage(f"journal:{tmp_path / 'race.log'}")
    study = optuna.create_study(study_name="race", storage=storage)
    for _ in range(5):
        study.enqueue_trial({})

    def claim_all(_):
        mine = optuna.load_study(study_name="race", storage=storage)
        got = []
        while (trial := claim_trial(mine, budget=5)) is not None:
            got.append(trial.number)
        return got

    with ThreadPoolExecutor(8) as pool:
        claimed = [n for got in pool.map(claim_all, range(8)) for n in got]
    assert sorted(claimed) == [0, 1, 2, 3, 4]
    assert len(study.trials) == 5


def test_compile_joins_the_workers_study_and_tests_its_best_trial(tmp_path):
    """Workers run the study; `compile --set search.external=true` waits for it and runs the final phase."""
    import json
    import subprocess

    from tests.support.workers import ROOT

    docs = write_docs(tmp_path / "docs")
    storage = f"journal:{tmp_path / 'study.log'}"
    out = tmp_path / "run"
    common = ["--study", "s", "--storage", storage, "--out", str(out), "--no-cache", "--quiet"]
    environ = env(tmp_path)
    config = sets(f"corpus.source={docs}", *SETTINGS, "tracking.enabled=false")
    run_ok(["--create", *common, "--n-trials", "2", *config], environ, tmp_path / "create.log")
    workers = [spawn(common, environ, tmp_path / "worker.log")]
    try:
        wait_ok(workers, timeout=300)
    finally:
        for proc in workers:
            stop(proc)
    external = sets("search.external=true", f"search.storage={storage}", "search.study_name=s", "search.n_trials=2")
    proc = subprocess.run(
        command_line("compile", "--out", str(out), "--no-cache", "--quiet", *config, *external),
        env={**environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["compiled"]["trial"] in (0, 1) and summary["compiled"]["test"]["documents"] == 2
    assert len(summary["trials"]) == 2 and (out / "program.json").exists()
