"""Fault policy against the fake OpenAI-compatible server: fatal errors, empty replies, DSPy's own retries.

A wrong key (HTTP 401) must stop a compile at its first call with one line naming the role and model,
without the key. A 503 and an empty reply are each retried once by the loop and listed as transient.
The factory leaves retrying to the loop: DSPy's own `num_retries` (3 by default) would repeat
429/5xx/timeouts invisibly, with 1 + 2 + 4 s of sleeps.
"""

from __future__ import annotations

import dspy
import pytest

from experiments.compile import compile_run
from experiments.lms.factory import build_lms
from experiments.records.progress import Progress
from experiments.run.overrides import build_config
from programs.errors import FatalLMError
from programs.retry import RoleCaller
from programs.solver import Solver
from programs.usage import UsageMeter
from testkit.fake_openai import FakeOpenAI, FaultPlan, world_reply
from testkit.world import World
from tests.experiments_tests.test_faults import fake_settings, small_compile, write_docs


@pytest.fixture
def fake_key(monkeypatch):
    monkeypatch.setenv("FAKE_OPENAI_KEY", "sk-wrong-key-5678")
    return "sk-wrong-key-5678"


def test_bad_key_stops_the_compile_at_once_with_one_line(in_tmp, fake_key):
    fake = FakeOpenAI(world_reply(World()), api_key="sk-the-right-one")
    try:
        fake.start()
        cfg = small_compile(write_docs(in_tmp / "docs"), fake.base_url)
        with pytest.raises(FatalLMError) as caught:
            compile_run(cfg, in_tmp / "run", lms=build_lms(cfg.models), use_cache=False, progress=Progress(quiet=True))
    finally:
        fake.stop()
    message = str(caught.value)
    assert "\n" not in message and fake_key not in message
    assert message.startswith("challenger model 'openai/challenger'") and "401" in message
    assert fake.requests == 1  # no retry of a permanent error, no further document


def _solver_with_caller(base_url: str, retries: int = 2) -> tuple[Solver, RoleCaller]:
    cfg = build_config({}, fake_settings(base_url))
    solver = Solver()
    solver.set_lm(build_lms(cfg.models)["weak"])
    program = dspy.Module()
    program.weak = solver
    return solver, RoleCaller(program, UsageMeter(), retries=retries, backoff=0.01)


def test_transient_fault_is_retried_by_the_loop_and_listed(fake_key):
    dspy.configure(adapter=dspy.JSONAdapter())
    plan = FaultPlan({"503": 1.0}, max_faults=1)
    with FakeOpenAI(world_reply(World()), faults=plan, api_key=fake_key) as fake:
        solver, caller = _solver_with_caller(fake.base_url)
        answer = caller.call("weak", lambda: solver("ctx", "Question 1: why?", 0, 1.0))
    assert answer == "I do not know."
    assert fake.counts == {"503": 1, "ok": 1}
    assert len(caller.errors) == 1 and caller.errors[0].startswith("weak: transient: ")


def test_empty_reply_is_retried_as_transient(fake_key):
    dspy.configure(adapter=dspy.JSONAdapter())
    plan = FaultPlan({"empty": 1.0}, max_faults=1)
    with FakeOpenAI(world_reply(World()), faults=plan, api_key=fake_key) as fake:
        solver, caller = _solver_with_caller(fake.base_url)
        answer = caller.call("weak", lambda: solver("ctx", "Question 1: why?", 0, 1.0))
    assert answer == "I do not know." and caller.errors[0].startswith("weak: transient: ")


def test_factory_leaves_retries_to_the_loop(fake_key):
    sets = [s for s in fake_settings("http://127.0.0.1:9/v1") if "num_retries" not in s]
    lms = build_lms(build_config({}, sets).models)
    assert {lm.num_retries for lm in lms.values()} == {0}
