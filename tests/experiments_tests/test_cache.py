"""An identical second compile (new run directory, same cache) makes no new backend calls."""

from __future__ import annotations

import dspy

from experiments.compile import compile_run
from experiments.lms.factory import build_lms
from experiments.records.files import read_jsonl
from experiments.records.progress import Progress
from experiments.run.overrides import build_config
from testkit.fake_openai import FakeOpenAI, world_reply
from testkit.world import World
from tests.experiments_tests.test_secrets import base_sets, role_sets


def test_second_identical_run_hits_the_cache_only(in_tmp, monkeypatch):
    monkeypatch.setenv("CANARY_KEY", "k")
    docs = in_tmp / "docs"
    docs.mkdir()
    for i in range(4):
        (docs / f"p{i}.txt").write_text(f"Paper {i} about mechanism {i}.")
    world = World(n_penalty=None, plan={1: {"weak": [1, 2, 3, 4]}, 2: {"weak": [1], "strong": [1, 2, 3, 4]}})
    with FakeOpenAI(world_reply(world)) as server:
        cfg = build_config({}, [*base_sets(docs), *role_sets(server.base_url), f"cache_dir={in_tmp / 'cache'}"])
        first = compile_run(cfg, in_tmp / "run1", lms=build_lms(cfg.models), progress=Progress(quiet=True))
        calls_first = sum(server.counts.values())
        # The same work again from a fresh process state: new LM objects, new run directory, same cache dir.
        dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)  # drop the in-memory layer
        second = compile_run(cfg, in_tmp / "run2", lms=build_lms(cfg.models), progress=Progress(quiet=True))
        calls_second = sum(server.counts.values()) - calls_first
    assert calls_first > 10 and calls_second == 0
    strip = ("time", "seconds", "usage")
    rows1 = [{k: v for k, v in r.items() if k not in strip} for r in read_jsonl(in_tmp / "run1" / "rounds.jsonl")]
    rows2 = [{k: v for k, v in r.items() if k not in strip} for r in read_jsonl(in_tmp / "run2" / "rounds.jsonl")]
    assert rows1 == rows2
    assert first["compiled"]["test"]["pass_rate"] == second["compiled"]["test"]["pass_rate"]
