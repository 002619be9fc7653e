"""Every command goes through the run session: it stops on a budget, honours a rate limit, and makes no LM
call with --dry-run. Each test runs all seven commands' real command lines (`main(argv, lms=...)`) on
scripted LMs, one command per parameter."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import dspy
import pytest

from experiments.run import build, session
from experiments.run.build import build_program
from experiments.run.harness import export_harness
from experiments.run.overrides import build_config
from programs.limits import RoleLimits
from testkit.scripted import scripted_lm
from tests.programs_tests.test_limits import FakeClock
from tests.support.run_command import scripted_lms
from tests.support.workers import SETTINGS, sets, write_docs

COMMANDS = ("compile", "generate", "evaluate", "calibrate", "worker", "shard", "judgecheck")
LABELS = Path(__file__).parent / "fixtures" / "judge_labels.jsonl"
# The joint judge makes one LM request per judge call, so the rate-limit test can count the calls.
SMALL = [*SETTINGS, "tracking.enabled=false", "judge.protocol=joint"]


def prepare(root: Path) -> Path:
    """Documents, an exported harness, a worker study and a shard queue under `root` (no LM call)."""
    docs = write_docs(root / "docs")
    cfg = build_config({}, SMALL)
    export_harness(build_program(cfg), cfg, root / "harness", {"command": "test"})
    config = sets(f"corpus.source={docs}", *SMALL, "optimizer.max_metric_calls=2")
    worker = argv("worker", root)[:6]
    assert importlib.import_module("experiments.worker").main(["--create", *worker, "--n-trials", "1", *config]) == 0
    assert importlib.import_module("experiments.shard").main(["--create", *shard_args(root)]) == 0
    return root


@pytest.fixture
def world(in_tmp: Path) -> Path:
    return prepare(in_tmp / "world")


def ran(root: Path) -> list[Path]:
    """What a command that ran writes: its run directory, or a worker's folder."""
    return [*root.glob("run"), *root.glob("study/worker-*"), *root.glob("shard/worker-*")]


def shard_args(tmp: Path) -> list[str]:
    queue = ["--queue", "q", "--storage", f"journal:{tmp / 'queue.log'}", "--harness", str(tmp / "harness")]
    return [*queue, "--docs", str(tmp / "docs"), "--out", str(tmp / "shard"), "--set", "tracking.enabled=false"]


def argv(command: str, tmp: Path) -> list[str]:
    """A small, complete command line of each command."""
    config = sets(f"corpus.source={tmp / 'docs'}", *SMALL)
    out = ["--out", str(tmp / "run"), "--no-cache"]
    return {
        "compile": [*out, *config, *sets("search.n_trials=1", "optimizer.max_metric_calls=2")],
        "generate": [*out, "--harness", str(tmp / "harness"), "--docs", str(tmp / "docs"), *config],
        "evaluate": [*out, "--methods", "agentic", *config],
        "calibrate": [*out, "--probe", "--docs", "2", *config],
        "worker": [
            "--study",
            "s",
            "--storage",
            f"journal:{tmp / 'study.log'}",
            "--out",
            str(tmp / "study"),
            "--no-cache",
        ],
        "shard": [*shard_args(tmp), "--no-cache"],
        "judgecheck": [*out, "--labels", str(LABELS), *sets("judge.protocol=joint", "tracking.enabled=false")],
    }[command]


def lms_for(command: str) -> dict[str, dspy.LM]:
    if command == "judgecheck":  # a judge that meets every criterion of the labelled answers
        return {"judge": scripted_lm("judge", lambda p: dict.fromkeys(p.outputs, True))}
    return scripted_lms()


def calls(lms: dict[str, dspy.LM]) -> int:
    return sum(lm.engine.calls for lm in lms.values())


def run(command: str, args: list[str], lms: dict[str, dspy.LM] | None, capsys) -> tuple[int, str]:
    code = importlib.import_module(f"experiments.{command}").main(args, lms=lms)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("command", COMMANDS)
def test_a_budget_stops_the_command_cleanly(command, in_tmp, capsys):
    full, stopped = lms_for(command), lms_for(command)
    assert run(command, argv(command, prepare(in_tmp / "full")), full, capsys)[0] == 0
    limited = [*argv(command, prepare(in_tmp / "stopped")), *sets("budget.max_tokens=1")]
    code, printed = run(command, limited, stopped, capsys)
    assert code == 0 and "token budget reached" in printed, printed[-2000:]
    assert 0 < calls(stopped) < calls(full)  # it ran, and stopped before the end


@pytest.mark.parametrize("command", COMMANDS)
def test_the_judge_rate_limit_applies_to_every_call(command, world, monkeypatch, capsys):
    """`models.judge.rpm=1` on a fake clock: every judge call after the first waits out a minute."""
    clock = FakeClock()
    monkeypatch.setattr(build, "RoleLimits", lambda limits: RoleLimits(limits, clock=clock, sleep=clock.sleep))
    lms = lms_for(command)
    code, printed = run(command, [*argv(command, world), *sets("models.judge.rpm=1")], lms, capsys)
    assert code == 0, printed[-2000:]
    judged = lms["judge"].engine.calls  # the joint judge: one request per judge call
    assert judged >= 2 and clock.now == pytest.approx(60.0 * (judged - 1))


@pytest.mark.parametrize("command", COMMANDS)
def test_dry_run_makes_no_lm_call_and_builds_no_model(command, world, monkeypatch, capsys):
    monkeypatch.setattr(session, "build_lms", lambda *a, **k: pytest.fail("an LM was built"))
    lms = lms_for(command)
    code, printed = run(command, [*argv(command, world), "--dry-run"], lms, capsys)
    assert code == 0 and "Dry run (an estimate, not a bound" in printed, printed[-2000:]
    assert calls(lms) == 0 and ran(world) == []


def test_an_option_a_mode_does_not_use_is_rejected_with_one_line(world, capsys):
    rows = world / "rounds.jsonl"
    rows.write_text(json.dumps({"phase": "p"}) + "\n")
    cases = [
        ("calibrate", ["--rounds", str(rows), "--dry-run"], "--dry-run does not apply here"),
        ("evaluate", ["--from-rounds", str(rows), "--split", "val"], "--split does not apply here"),
        ("worker", [*argv("worker", world)[:4], "--status", "--max-trials", "1"], "--max-trials does not apply here"),
        ("shard", ["--merge", "--max-docs", "2", *shard_args(world)], "--max-docs does not apply here"),
    ]
    for command, args, message in cases:
        code, printed = run(command, args, None, capsys)
        errors = [line for line in printed.splitlines() if line.startswith("autodata: error:")]
        assert code == 2 and len(errors) == 1 and message in errors[0], (command, printed)


def test_missing_model_packages_fail_at_start_with_one_line(in_tmp, monkeypatch, capsys):
    """`ensure_embedded` runs first: without the model packages a run stops before it writes anything."""
    from experiments import compile as compile_cmd
    from experiments.lms import factory
    from experiments.lms.assemble import EmbeddedModelError

    def missing(name: str) -> Path:
        raise EmbeddedModelError(f"embedded model {name} is not installed")

    monkeypatch.setattr(factory, "model_path", missing)
    monkeypatch.setattr(session, "build_lms", lambda *a, **k: pytest.fail("LMs were built"))
    docs = write_docs(in_tmp / "docs")
    code = compile_cmd.main(["--out", str(in_tmp / "run"), *sets(f"corpus.source={docs}", "tracking.enabled=false")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and err == ["autodata: error: embedded model qwen2.5-coder-0.5b is not installed"]
    assert not (in_tmp / "run").exists()
