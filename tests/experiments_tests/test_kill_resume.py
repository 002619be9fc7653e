"""A real compile process killed with SIGKILL part-way resumes in the same --out without losing or
duplicating rounds, and ends with the same outputs as an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from experiments.outputs import read_jsonl
from experiments.resume import row_key
from tests.support.workers import SETTINGS

ROOT = Path(__file__).resolve().parents[2]


def args(docs: Path, out: Path) -> list[str]:
    sets = [f"corpus.source={docs}", *SETTINGS, "search.n_trials=2", "tracking.enabled=false"]
    out_args = [sys.executable, "-m", "tests.support.run_compile", "--out", str(out), "--quiet"]
    return out_args + [x for s in sets for x in ("--set", s)]


def env(tmp: Path, delay: float) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "AUTODATA_TEST_DELAY": str(delay),
        "DSPY_CACHEDIR": str(tmp / "cache"),
    }


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [3, 11])  # mid-baseline; inside the first trial's optimizer
def test_kill_mid_run_then_resume_matches_an_uninterrupted_run(tmp_path, kill_after):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(6):
        (docs / f"paper{i}.txt").write_text(f"Paper {i}. We study mechanism {i}.\n")
    reference = tmp_path / "reference"
    done = subprocess.run(
        args(docs, reference), env=env(tmp_path / "ref", 0), capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]

    out = tmp_path / "killed"
    proc = subprocess.Popen(
        args(docs, out),
        env=env(tmp_path / "run", 0.05),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    try:
        while time.time() < deadline and len(read_jsonl(out / "rounds.jsonl")) < kill_after:
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    before = read_jsonl(out / "rounds.jsonl")
    assert kill_after <= len(before)
    json.loads((out / "config.json").read_text())  # whole-file outputs are valid after a kill

    resumed = subprocess.run(
        args(docs, out), env=env(tmp_path / "run", 0), capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    after = read_jsonl(out / "rounds.jsonl")
    keys = [row_key(r) for r in after]
    assert len(keys) == len(set(keys)), "a round was recorded twice"
    assert after[: len(before)] == before, "rounds recorded before the kill were changed or lost"
    ref_rows = read_jsonl(reference / "rounds.jsonl")
    assert {row_key(r) for r in after} == {row_key(r) for r in ref_rows}
    accepted = read_jsonl(out / "accepted.jsonl")
    assert len({row_key(r) for r in accepted}) == len(accepted)
    got, want = json.loads((out / "summary.json").read_text()), json.loads((reference / "summary.json").read_text())
    assert got["compiled"]["test"]["pass_rate"] == want["compiled"]["test"]["pass_rate"]
    assert got["baseline"]["test"]["pass_rate"] == want["baseline"]["test"]["pass_rate"]
