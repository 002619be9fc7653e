"""The round sink and `run_phase`: rounds run again, rounds answered from the cache, crashed documents."""

from __future__ import annotations

from types import SimpleNamespace

import dspy
import pytest

from experiments.config import BudgetConfig, TrackingConfig
from experiments.records.files import read_jsonl
from experiments.records.progress import Progress
from experiments.records.sink import PhaseContext, RoundSink
from experiments.report.summary import summarize
from experiments.report.work_table import work_table
from experiments.run.budget import BudgetGuard
from experiments.run.phase import run_phase
from experiments.tracking import Tracker
from metrics import HarnessPolicy, thresholds_for
from programs import AgenticSelfInstruct, RubricStructure, hooks
from programs.judge_criterion import CriterionJudge
from testkit.world import World

STRUCTURE = RubricStructure(allow_penalties=False, min_positive=4, max_positive=4, min_penalties=0)
DOC = SimpleNamespace(id="d1", text="A paper about KW1.")


def program_and_engines(cache: bool, judge=None):
    world = World(plan={1: {"weak": [1]}, 2: {"weak": [1], "strong": [1, 2, 3, 4]}})
    policy = HarnessPolicy(STRUCTURE, thresholds_for("paper"))
    program = AgenticSelfInstruct(policy, max_rounds=2, n_samples=2, judge=judge)
    engines = world.engines()
    for role, engine in engines.items():
        getattr(program, role).set_lm(dspy.LM(f"scripted/{role}", engine=engine, cache=cache, num_retries=0))
    dspy.configure(adapter=dspy.JSONAdapter(), track_usage=True)
    return program, engines


def sink_and_context(out, phase: str = "optimize"):
    sink = RoundSink(out, Tracker(TrackingConfig(enabled=False), "t"), Progress(quiet=True))
    return sink, PhaseContext(phase, None, {"d1": "train"}, "paper", thresholds_for("paper"), STRUCTURE)


def calls_of(usage_by_role: dict) -> int:
    return sum(u["calls"] for u in usage_by_role.values())


def test_a_round_run_again_is_not_written_twice_but_every_call_is_counted(tmp_path):
    """What an optimizer does when it evaluates the same candidate on the same document twice."""
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    program, engines = program_and_engines(cache=False)
    sink, ctx = sink_and_context(tmp_path)
    guard = BudgetGuard(BudgetConfig(), {})
    with hooks.installed(observer=sink.observer(ctx), budget=guard):
        program(document=DOC.text, doc_id=DOC.id)
        program(document=DOC.text, doc_id=DOC.id)
    made = sum(e.calls for e in engines.values())
    rows, repeats = read_jsonl(tmp_path / "rounds.jsonl"), read_jsonl(tmp_path / "repeats.jsonl")
    assert len(rows) == 2 and len(repeats) == 2  # the second run's two rounds were recorded already
    assert [(r["doc_id"], r["round"]) for r in repeats] == [(r["doc_id"], r["round"]) for r in rows]
    assert calls_of(guard.usage) == made
    assert calls_of(summarize(rows, ["d1"])["usage_by_role"]) + sum(calls_of(r["usage"]) for r in repeats) == made


def test_rounds_answered_from_the_cache_are_reported_as_cached_not_free(tmp_path):
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=True)
    program, engines = program_and_engines(cache=True, judge=CriterionJudge())  # one request per criterion
    sink, first = sink_and_context(tmp_path, "baseline")
    run_phase(program, [DOC], sink, first)
    made = sum(e.calls for e in engines.values())
    _, again = sink_and_context(tmp_path, "final")  # the same harness on the same document: all cached
    run_phase(program, [DOC], sink, again)
    assert sum(e.calls for e in engines.values()) == made  # no new LM call
    before, cached = summarize(first.rows, ["d1"]), summarize(again.rows, ["d1"])
    assert sum(cached["tokens_by_role"].values()) == 0
    assert cached["cache"]["hits"] == cached["cache"]["calls"] == calls_of(before["usage_by_role"])
    live = sum(before["tokens_by_role"].values()) + before["cache"]["tokens"]
    assert cached["cache"]["tokens"] == live > 0
    assert all(u["cached_seconds"] > 0 for r in again.rows for u in r["usage"].values())
    # Each cached reply carries the seconds its own request took (not the time since its role call began,
    # which would count earlier requests of the same call again): they add up to no more than the first
    # run's requests, live or themselves answered from the cache within that run (the judge repeats some
    # requests inside one round, e.g. identical answers, so a first run has hits of its own).
    for first_row, cached_row in zip(first.rows, again.rows, strict=True):
        for role, u in cached_row["usage"].items():
            f = first_row["usage"][role]
            slack = 0.0005 * (u["cache_hits"] + f.get("cache_hits", 0) + 1)  # values are rounded to milliseconds
            assert u["cached_seconds"] <= f["seconds"] + f.get("cached_seconds", 0.0) + slack, (role, u, f)
    table = work_table({"baseline": before, "final": cached})
    tokens_line = next(line for line in table.splitlines() if line.startswith("tokens"))
    assert f"0 + {live:,} cached" in tokens_line
    assert "cached" in next(line for line in table.splitlines() if line.startswith("seconds"))


def test_a_crashed_document_is_recorded_and_the_phase_goes_on(tmp_path):
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    program, _ = program_and_engines(cache=False)
    original = program.forward

    def forward(document, doc_id="", prior=None):
        if doc_id == "bad":
            raise RuntimeError("a bug outside any LM call\nsecond line")
        return original(document=document, doc_id=doc_id, prior=prior)

    program.forward = forward
    sink, ctx = sink_and_context(tmp_path, "baseline")
    bad = SimpleNamespace(id="bad", text="Another paper.")
    outcomes = run_phase(program, [bad, DOC], sink, ctx)
    assert [o.error for o in outcomes] == ["RuntimeError: a bug outside any LM call", None]
    assert sink.crashed == [
        {"phase": "baseline", "trial": None, "doc_id": "bad", "error": "RuntimeError: a bug outside any LM call"}
    ]
    assert {r["doc_id"] for r in read_jsonl(tmp_path / "rounds.jsonl")} == {"d1"}


@pytest.fixture(autouse=True)
def _no_cache_after():
    yield
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)


def test_an_accepted_round_cut_off_from_accepted_jsonl_by_a_kill_is_restored_on_resume(tmp_path):
    """A kill between the two appends leaves the accepted round in rounds.jsonl only."""
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    program, _ = program_and_engines(cache=False)
    sink, ctx = sink_and_context(tmp_path)
    with hooks.installed(observer=sink.observer(ctx), budget=BudgetGuard(BudgetConfig(), {})):
        program(document=DOC.text, doc_id=DOC.id)
    accepted = read_jsonl(tmp_path / "accepted.jsonl")
    assert len(accepted) == 1 and [r["accepted"] for r in read_jsonl(tmp_path / "rounds.jsonl")] == [False, True]
    (tmp_path / "accepted.jsonl").write_text("")  # what the kill left

    sink_and_context(tmp_path)  # the resumed run opens the same directory
    assert read_jsonl(tmp_path / "accepted.jsonl") == accepted
    sink_and_context(tmp_path)  # and once more: nothing is added twice
    assert read_jsonl(tmp_path / "accepted.jsonl") == accepted
