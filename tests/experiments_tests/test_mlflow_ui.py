"""The MLflow UI in a real browser (issue 6): a scripted compile's store, opened by `mlflow ui` in headless Chromium.

The end-to-end test compiles in process on scripted roles (as test_compile_scripted.py does), then runs
scripts/check_mlflow_ui.py on the run folder: it starts `mlflow ui` and Debian's Chromium, checks that the
runs table lists the parent run and its nested baseline/trial/final runs and that the metric chart page
draws the store's weak_mean and gap curves, and saves two screenshots. Set AUTODATA_UI_SHOTS=<folder> to
keep them (e.g. as CI artifacts); otherwise they go to the test's tmp dir.
"""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import sys
from pathlib import Path

import dspy
import pytest

from experiments.compile import compile_run
from experiments.records.progress import Progress
from experiments.run.overrides import build_config
from testkit.scripted import ScriptedEngine
from testkit.world import World, reflection_reply
from tests.support.requires import missing
from tests.support.workers import SETTINGS

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check_mlflow_ui.py"
INSTALL = ROOT / "scripts" / "install_browser.sh"
CHECK_TIMEOUT = 420  # mlflow ui starts in 12-30 s, each page in under 10 s; generous for a loaded CI machine


def run_check(*args: str, timeout: float = CHECK_TIMEOUT) -> subprocess.CompletedProcess:
    """Run the check in a subprocess; on timeout it gets SIGTERM, so it still stops its server and browser."""
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "MLFLOW_DISABLE_TELEMETRY": "true"}
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPT), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        pytest.fail(f"check_mlflow_ui.py took more than {timeout} s; stderr tail: {err[-1500:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def chromium_or_skip() -> str:
    """Chromium's path; installs it when missing, then skips (fails under CI) if it still is."""
    found = shutil.which("chromium")
    if found:
        return found
    proc = subprocess.run(["bash", str(INSTALL)], capture_output=True, text=True, timeout=900)
    found = shutil.which("chromium")
    if not found:
        last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        missing(f"headless Chromium is missing and scripts/install_browser.sh could not install it: {last[0]}")
    return found


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def scripted_compile(folder: Path) -> Path:
    """A small compile on scripted roles: parent run, nested baseline, trial-0, trial-1, final, round curves."""
    docs = folder / "docs"
    docs.mkdir()
    for i in range(6):
        (docs / f"paper{i}.txt").write_text(f"Paper {i}. We study mechanism {i}. It works because of KW{i}.\n")
    world = World(n_penalty=None, plan={1: {"weak": [1, 2, 3, 4]}, 2: {"weak": [1], "strong": [1, 2, 3, 4]}})
    engines = world.engines()
    engines["reflection"] = ScriptedEngine(reflection_reply)
    lms = {role: dspy.LM(f"scripted/{role}", engine=e, cache=False, num_retries=0) for role, e in engines.items()}
    cfg = build_config({}, [f"corpus.source={docs}", *SETTINGS, "search.n_trials=2"])
    out = folder / "run"
    compile_run(cfg, out, lms=lms, use_cache=False, progress=Progress(quiet=True))
    return out


@pytest.mark.browser
@pytest.mark.slow
def test_mlflow_ui_shows_parent_nested_runs_and_round_charts(in_tmp):
    chromium = chromium_or_skip()
    out = scripted_compile(in_tmp)
    assert (in_tmp / "mlflow.db").exists() and (out / "summary.json").exists()
    shots = Path(os.environ.get("AUTODATA_UI_SHOTS") or in_tmp / "shots")
    proc = run_check(str(out), "--shots", str(shots), "--chromium", chromium, "--no-install", "--keep-logs")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "runs table lists 'compile-run' and its 4 nested runs" in proc.stderr
    assert "metric chart draws the store's 8 curves of weak_mean, gap" in proc.stderr
    for name in ("mlflow-runs.png", "mlflow-metric-chart.png"):
        assert png_size(shots / name) == (1280, 720), name
        assert (shots / name).stat().st_size > 10_000, f"{name} looks blank"


def test_store_without_nested_runs_fails_with_one_line_reason(in_tmp):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{in_tmp / 'mlflow.db'}")
    client.create_run(client.create_experiment("autodata"), run_name="compile-run")
    proc = run_check(str(in_tmp), "--no-install", timeout=120)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("check_mlflow_ui: FAIL: parent run compile-run") and "no nested trial-N" in lines[-1]
    assert "Traceback" not in proc.stderr


def test_missing_store_fails_without_creating_one(tmp_path):
    proc = run_check(str(tmp_path / "nowhere" / "mlflow.db"), "--no-install", timeout=120)
    assert proc.returncode == 1 and "FAIL: no MLflow store at" in proc.stderr
    assert not (tmp_path / "nowhere").exists()
