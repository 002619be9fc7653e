"""Fault injection: a compile against a flaky OpenAI-compatible server finishes and accounts for every fault.

The fake server (testkit/fake_openai.py) answers the five loop roles with a seeded mix of HTTP
429/500/503, timeouts, garbage bodies, empty content and valid replies. Role LMs are built by the real
factory (`openai/<role>` + api_base + api_key_env, a 0.3 s client timeout, DSPy's own retries off), so
every fault reaches the loop's RoleCaller once. The test matches the server's per-role fault counts
against the error entries of the recorded rounds, and summary.json (per phase and `all_rounds`)
against the rows.
Reflection (GEPA's proposer) is kept fault-free: its calls do not go through the loop.
"""

from __future__ import annotations

import re
from collections import Counter

import dspy
import pytest

from experiments.compile import compile_run
from experiments.config import ROLES
from experiments.lms.factory import build_lms
from experiments.records.files import read_jsonl
from experiments.records.progress import Progress
from experiments.report.summary import summarize
from experiments.run.overrides import build_config
from testkit.fake_openai import FakeOpenAI, FaultPlan, world_reply
from testkit.world import World

LOOP_ROLES = frozenset({"challenger", "verifier", "weak", "strong", "judge"})
WEIGHTS = {"ok": 0.82, "429": 0.03, "500": 0.03, "503": 0.03, "timeout": 0.03, "garbage": 0.03, "empty": 0.03}
KEY = "sk-fake-fault-test-1234"
# How each injected fault shows in a round's error entry ("role: kind: ExceptionType: message").
SIGNS = {
    "429": r"injected HTTP 429",
    "500": r"injected HTTP 500",
    "503": r"injected HTTP 503",
    "timeout": r"read timed out",
    "garbage": r"is not JSON",
    "empty": r"empty or null response|empty reply to a one-token judge request",
}
TRANSIENT = ("429", "500", "503", "timeout", "garbage", "empty")


def fake_settings(base_url: str, timeout: float = 0.3) -> list[str]:
    """`--set` overrides pointing every role at the fake server, through the real LM factory."""
    sets = []
    for role in ROLES:
        sets += [
            f"models.{role}.model=openai/{role}",
            f"models.{role}.api_base={base_url}",
            f"models.{role}.api_key_env=FAKE_OPENAI_KEY",
            f"models.{role}.options.timeout={timeout}",
            f"models.{role}.options.num_retries=0",  # DSPy's retries would hide faults from the loop
        ]
    return sets


def small_compile(docs, base_url: str, extra: list[str] = ()):
    return build_config(
        {},
        [
            f"corpus.source={docs}",
            "corpus.n_train=2",
            "corpus.n_val=2",
            "corpus.n_test=2",
            "loop.max_rounds=2",
            "loop.n_samples=2",
            "loop.backoff=0.01",
            "loop.infra_retries=3",
            "loop.sanity_checks=false",
            "rubric.min_positive=4",
            "rubric.max_positive=4",
            "rubric.min_penalties=1",
            "rubric.max_penalties=2",
            "optimizer.max_metric_calls=4",
            "search.n_trials=1",
            "acceptance.preset=paper",
            *fake_settings(base_url),
            *extra,
        ],
    )


def write_docs(folder, n=6):
    folder.mkdir()
    for i in range(n):
        (folder / f"paper{i}.txt").write_text(f"Paper {i}. We study mechanism {i}. It works because of KW{i}.\n")
    return folder


def outcome_of(entry: str) -> str:
    found = [name for name, sign in SIGNS.items() if re.search(sign, entry)]
    assert len(found) == 1, f"unattributable error entry: {entry}"
    return found[0]


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    world = World(n_penalty=None, plan={1: {"weak": [1, 2, 3, 4]}, 2: {"weak": [1], "strong": [1, 2, 3, 4]}})
    plan = FaultPlan(WEIGHTS, seed=3, models=LOOP_ROLES, timeout_sleep=0.8)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)
        mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp / 'mlflow.db'}")
        mp.setenv("FAKE_OPENAI_KEY", KEY)
        dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
        fake = FakeOpenAI(world_reply(world), faults=plan, api_key=KEY)
        try:
            fake.start()
            cfg = small_compile(write_docs(tmp / "docs"), fake.base_url)
            out = tmp / "run"
            summary = compile_run(cfg, out, lms=build_lms(cfg.models), use_cache=False, progress=Progress(quiet=True))
        finally:
            fake.stop()
        yield fake.stats(), out, summary


def test_compile_finishes_with_faults_of_every_kind(faulty_run):
    stats, out, summary = faulty_run
    assert (out / "summary.json").exists() and (out / "harness.json").exists()
    injected = {k: n for k, n in stats["counts"].items() if k != "ok"}
    assert set(injected) == set(SIGNS), injected  # the seeded plan exercised every fault kind
    states = [t["state"] for t in summary["trials"]]
    assert "COMPLETE" in states and "FAIL" not in states, states


def test_every_injected_fault_is_one_error_entry_of_a_round(faulty_run):
    stats, out, _ = faulty_run
    rows = read_jsonl(out / "rounds.jsonl")
    seen = Counter()
    for row in rows:
        for entry in row["errors"]:
            role, kind = entry.split(": ", 2)[:2]
            outcome = outcome_of(entry)
            assert kind == ("transient" if outcome in TRANSIENT else "parse"), entry
            seen[(role, outcome)] += 1
    served = Counter(
        {(m, o): n for m, by in stats["by_model"].items() for o, n in by.items() if o != "ok" and m in LOOP_ROLES}
    )
    assert seen == served


def test_every_request_is_a_counted_call(faulty_run):
    stats, out, _ = faulty_run
    rows = read_jsonl(out / "rounds.jsonl")
    calls = Counter()
    for row in rows:
        for role, usage in row["usage"].items():
            calls[role] += usage["calls"]
    served = Counter({m: sum(by.values()) for m, by in stats["by_model"].items() if m in LOOP_ROLES})
    assert calls == served


def test_transient_faults_are_retried_and_failed_rounds_say_why(faulty_run):
    _, out, _ = faulty_run
    rows = read_jsonl(out / "rounds.jsonl")
    for row in rows:
        if row["reason"] in ("invalid", "error"):
            assert row["errors"], row["reason"]  # a failed round names the fault that ended it
        if row["reason"] == "invalid":
            assert any(": parse: " in e for e in row["errors"])
    # Rounds that met a transient fault and still reached a decision: the retry worked.
    recovered = [
        r for r in rows if any(": transient: " in e for e in r["errors"]) and r["reason"] in ("accepted", "too_easy")
    ]
    assert recovered


def test_summary_json_reports_its_phases_errors_and_failure_mix(faulty_run):
    _, out, summary = faulty_run
    rows = read_jsonl(out / "rounds.jsonl")

    def rebuilt(phase: str, split: str) -> dict:
        mine = [r for r in rows if r["phase"] == phase and r["split"] == split]
        return summarize(mine, sorted({r["doc_id"] for r in mine}))

    reported = [summary["baseline"]["val"], summary["baseline"]["test"], summary["compiled"]["test"]]
    expected = [rebuilt("baseline", "val"), rebuilt("baseline", "test"), rebuilt("final", "test")]
    for got, want in zip(reported, expected, strict=True):
        assert got["lm_errors"] == want["lm_errors"]
        assert got["failure_mix"] == want["failure_mix"]
    assert sum(sum(s["lm_errors"].values()) for s in reported) > 0


def test_summary_json_totals_every_fault(faulty_run):
    stats, out, summary = faulty_run
    injected = sum(n for m, by in stats["by_model"].items() if m in LOOP_ROLES for k, n in by.items() if k != "ok")
    assert sum(summary["all_rounds"]["lm_errors"].values()) == injected
