"""A real compile process killed with SIGKILL part-way resumes in the same --out, redoes at most the round
that was in flight, and ends with the same rows as an uninterrupted run.

Every run is `--no-cache`, so nothing can be answered from DSPy's cache and a resume that redid finished
work would pay for it: each process appends one line per LM call to its own file (tests/support/
run_command.py), and the killed and resumed processes together may make at most one round's calls more
than the uninterrupted reference. The resumed run's rows and accepted examples must equal the
reference's, apart from timings, usage and trial numbers (an interrupted trial is re-run under a new
number with the same parameters).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from experiments.records.files import read_jsonl
from experiments.records.resume import row_key
from tests.support.workers import SETTINGS, command_line

ROOT = Path(__file__).resolve().parents[2]
VOLATILE = ("seconds", "usage", "time", "trial")  # differ between runs of the same rounds
REPLAYED = "replayed from rounds.jsonl"  # the warning of an optimizer resumed without the LM cache


def args(docs: Path, out: Path) -> list[str]:
    sets = [f"corpus.source={docs}", *SETTINGS, "search.n_trials=2", "tracking.enabled=false"]
    return command_line("compile", "--out", str(out), "--quiet", "--no-cache", *[x for s in sets for x in ("--set", s)])


def env(tmp: Path, delay: float, calls: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "AUTODATA_TEST_DELAY": str(delay),
        "AUTODATA_TEST_CALLS": str(calls),
        "DSPY_CACHEDIR": str(tmp / "cache"),
    }


def calls(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def killed_after(command: list[str], environ: dict[str, str], out: Path, rows: int, cwd: Path) -> list[dict]:
    """Start `command`, SIGKILL it once its rounds.jsonl holds `rows` rows; the rows it left."""
    proc = subprocess.Popen(command, env=environ, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    try:
        while time.time() < deadline and len(read_jsonl(out / "rounds.jsonl")) < rows:
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    return read_jsonl(out / "rounds.jsonl")


def completed(command: list[str], environ: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, env=environ, capture_output=True, text=True, timeout=300, cwd=cwd)


def comparable(rows: list[dict]) -> Counter:
    return Counter(json.dumps({k: v for k, v in r.items() if k not in VOLATILE}, sort_keys=True) for r in rows)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kill_after", "phase"),
    [(3, "baseline"), (11, "optimize"), (34, "final")],  # mid-baseline; inside trial 0's GEPA run; mid-final
)
def test_kill_mid_run_then_resume_redoes_at_most_one_round(tmp_path, kill_after, phase):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(6):
        (docs / f"paper{i}.txt").write_text(f"Paper {i}. We study mechanism {i}.\n")
    reference, ref_calls = tmp_path / "reference", tmp_path / "reference.calls"
    done = subprocess.run(
        args(docs, reference), env=env(tmp_path, 0, ref_calls), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    ref_rows = read_jsonl(reference / "rounds.jsonl")
    assert calls(ref_calls) == sum(u["calls"] for r in ref_rows for u in r["usage"].values())  # all in rounds
    one_round = max(sum(u["calls"] for u in r["usage"].values()) for r in ref_rows)

    out, killed_calls, resumed_calls = tmp_path / "killed", tmp_path / "killed.calls", tmp_path / "resumed.calls"
    before = killed_after(args(docs, out), env(tmp_path, 0.05, killed_calls), out, kill_after, tmp_path)
    assert kill_after <= len(before) < len(ref_rows)
    # Where the kill landed: inside `phase`, which the reference continues after the last recorded round.
    assert before[-1]["phase"] == phase and ref_rows[len(before)]["phase"] == phase, [r["phase"] for r in before]
    json.loads((out / "config.json").read_text())  # whole-file outputs are valid after a kill

    resumed = subprocess.run(
        args(docs, out), env=env(tmp_path, 0, resumed_calls), capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert (REPLAYED in resumed.stderr) == (phase == "optimize"), resumed.stderr[-2000:]
    after = read_jsonl(out / "rounds.jsonl")
    keys = [row_key(r) for r in after]
    assert len(keys) == len(set(keys)), "a round was recorded twice"
    assert after[: len(before)] == before, "rounds recorded before the kill were changed or lost"

    repeated = calls(killed_calls) + calls(resumed_calls) - calls(ref_calls)
    assert 0 <= repeated <= one_round, (
        f"killed {calls(killed_calls)} + resumed {calls(resumed_calls)} calls vs {calls(ref_calls)} uninterrupted"
    )
    assert comparable(after) == comparable(ref_rows)
    assert comparable(read_jsonl(out / "accepted.jsonl")) == comparable(read_jsonl(reference / "accepted.jsonl"))
    got, want = json.loads((out / "summary.json").read_text()), json.loads((reference / "summary.json").read_text())
    outcome = ("documents", "accepted", "pass_rate", "rounds", "weak_mean", "strong_mean", "gap", "failure_mix")
    for side in ("baseline", "compiled"):
        assert {k: got[side]["test"][k] for k in outcome} == {k: want[side]["test"][k] for k in outcome}
    assert got["compiled"]["params"] == want["compiled"]["params"]


@pytest.mark.slow
def test_with_the_cache_on_a_resumed_optimizer_reruns_its_rounds_from_the_cache(tmp_path):
    """With the LM cache on, a resumed optimizer re-runs the rounds recorded before the kill (answered from
    the cache, so its modules leave the traces GEPA reflects on) instead of replaying them from
    rounds.jsonl, which the no-cache run above does and says so."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(6):
        (docs / f"paper{i}.txt").write_text(f"Paper {i}. We study mechanism {i}.\n")
    command = [a for a in args(docs, tmp_path / "reference") if a != "--no-cache"]
    reference = completed(command, env(tmp_path / "a", 0, tmp_path / "reference.calls"), tmp_path)
    assert reference.returncode == 0, reference.stderr[-2000:]
    ref_rows = read_jsonl(tmp_path / "reference" / "rounds.jsonl")
    one_round = max(sum(u["calls"] for u in r["usage"].values()) for r in ref_rows)
    kill_after = next(i for i, r in enumerate(ref_rows) if r["phase"] == "optimize") + 3  # inside GEPA's first pass

    out = tmp_path / "killed"
    command = [a if a != str(tmp_path / "reference") else str(out) for a in command]
    before = killed_after(command, env(tmp_path / "b", 0.05, tmp_path / "killed.calls"), out, kill_after, tmp_path)
    assert before[-1]["phase"] == "optimize", [r["phase"] for r in before]
    resumed = completed(command, env(tmp_path / "b", 0, tmp_path / "resumed.calls"), tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert REPLAYED not in resumed.stderr
    repeated = (
        calls(tmp_path / "killed.calls") + calls(tmp_path / "resumed.calls") - calls(tmp_path / "reference.calls")
    )
    assert 0 <= repeated <= one_round  # the recorded rounds came from the cache, not from the models
    after = read_jsonl(out / "rounds.jsonl")
    assert after[: len(before)] == before
    assert comparable(after) == comparable(ref_rows)
