"""Helpers for multi-process tests: scripted-world settings, worker subprocesses, an MLflow tracking server.

Every process started here runs with a timeout and in its own process group, and is killed (by its own
id) when a test ends, whatever happened.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A small compile on the scripted world (see tests/support/run_command.py for the plan).
SETTINGS = [
    "corpus.n_train=2",
    "corpus.n_val=2",
    "corpus.n_test=2",
    "loop.max_rounds=2",
    "loop.n_samples=2",
    "loop.backoff=0",
    "loop.sanity_checks=false",
    "rubric.min_positive=4",
    "rubric.max_positive=4",
    "rubric.min_penalties=1",
    "rubric.max_penalties=2",
    "optimizer.max_metric_calls=4",
    "acceptance.preset=paper",
]


def write_docs(folder: Path, n: int = 6) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"paper{i}.txt").write_text(f"Paper {i}. We study mechanism {i}. It works because of KW{i}.\n")
    return folder


def sets(*items: str) -> list[str]:
    return [arg for item in items for arg in ("--set", item)]


def env(tmp: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AUTODATA_TEST_")}
    return {
        **base,
        "PYTHONPATH": str(ROOT),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DSPY_CACHEDIR": str(tmp / "dspy_cache"),
        **extra,
    }


def command_line(command: str, *args: str) -> list[str]:
    """`python -m experiments.<command> <args>` on the scripted world's LMs (tests/support/run_command.py)."""
    return [sys.executable, "-m", "tests.support.run_command", command, *args]


def spawn(args: list[str], environ: dict[str, str], log: Path, command: str = "worker"):
    handle = open(log, "w")  # noqa: SIM115 - closed by stop()
    proc = subprocess.Popen(
        command_line(command, *args),
        stdout=handle,
        stderr=subprocess.STDOUT,
        env=environ,
        cwd=str(log.parent),
        start_new_session=True,
    )
    proc.log_handle, proc.log_path = handle, log
    return proc


def stop(proc) -> None:
    """Kill a process we started, and its group, if it is still running."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    proc.log_handle.close()


def wait_ok(procs: list, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise AssertionError(f"timed out; log:\n{proc.log_path.read_text()[-3000:]}") from None
        assert code == 0, proc.log_path.read_text()[-3000:]


def run_ok(args: list[str], environ: dict[str, str], log: Path, timeout: float = 120, command: str = "worker") -> str:
    proc = spawn(args, environ, log, command)
    try:
        wait_ok([proc], timeout)
    finally:
        stop(proc)
    return log.read_text()


@contextlib.contextmanager
def mlflow_server(backend_uri: str, artifact_root: Path, port: int, timeout: float = 120):
    """`mlflow server` on 127.0.0.1:port backed by `backend_uri`; yields its tracking URI."""
    log = artifact_root.parent / "mlflow-server.log"
    handle = open(log, "w")  # noqa: SIM115 - closed below
    cmd = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", backend_uri]
    cmd += ["--default-artifact-root", str(artifact_root), "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    environ = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "MLFLOW_DISABLE_TELEMETRY": "true"}
    proc = subprocess.Popen(cmd, stdout=handle, stderr=subprocess.STDOUT, env=environ, start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"mlflow server exited:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{uri}/health", timeout=2) as reply:
                if reply.status == 200:
                    break
            if time.monotonic() > deadline:
                raise AssertionError(f"mlflow server did not start in {timeout}s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield uri
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=20)
        handle.close()


def check_shared_study(storage, name: str, out: Path, n_trials: int, n_workers: int = 2) -> list:
    """The invariants of a study run by several workers; returns its trials."""
    import json

    import optuna

    from experiments.records.files import read_jsonl

    trials = optuna.load_study(study_name=name, storage=storage).trials
    assert len(trials) == n_trials
    assert sorted(t.number for t in trials) == list(range(n_trials))  # no duplicated or missing numbers
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials), [t.state for t in trials]
    assert all(t.params and "allow_penalties" in t.params for t in trials)
    assert {t.params["allow_penalties"] for t in trials} == {True, False}  # the two seeded structures ran
    folders = sorted(out.glob("worker-*"))
    assert len(folders) == n_workers
    ran = [json.loads((f / "worker.json").read_text())["trials"] for f in folders]
    assert all(ran), f"a worker ran no trial: {ran}"
    assert sorted(n for r in ran for n in r) == list(range(n_trials))
    assert {t.user_attrs["worker"] for t in trials} == {f.name.removeprefix("worker-") for f in folders}
    for folder, numbers in zip(folders, ran, strict=True):
        # One file per process, holding only its own trials (a trial repeating an earlier one's structure and
        # candidate in the same process adds no rows: RoundSink records a computation once).
        rows = read_jsonl(folder / "rounds.jsonl")
        assert rows and {r["trial"] for r in rows} <= set(numbers)
    return trials
