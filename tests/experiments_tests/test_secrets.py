"""A recognisable fake API key never appears in any output: run files, exports, MLflow store and
artifacts, logs, or the one-line error of a rejected key."""

from __future__ import annotations

import logging

import pytest

from experiments import compile as compile_cmd
from experiments.compile import compile_run
from experiments.config import ROLES, build_config
from experiments.lms.factory import build_lms
from experiments.progress import Progress
from tests.support.fake_openai import FakeOpenAI, FaultPlan, world_reply
from tests.support.world import World

KEY = "sk-AUTODATA-CANARY-7f3a9c1e5b"


def role_sets(url: str) -> list[str]:
    sets = []
    for role in ROLES:
        sets += [
            f"models.{role}.model=openai/{role}",
            f"models.{role}.api_base={url}",
            f"models.{role}.api_key_env=CANARY_KEY",
            f"models.{role}.options.num_retries=0",
        ]
    return sets


def base_sets(docs) -> list[str]:
    return [
        f"corpus.source={docs}",
        "corpus.n_train=1",
        "corpus.n_val=1",
        "corpus.n_test=1",
        "loop.max_rounds=2",
        "loop.n_samples=1",
        "loop.backoff=0",
        "loop.sanity_checks=false",
        "rubric.min_positive=4",
        "rubric.max_positive=4",
        "rubric.min_penalties=1",
        "rubric.max_penalties=2",
        "optimizer.max_metric_calls=2",
        "search.n_trials=1",
    ]


def grep_tree(root, needle: str) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and needle.encode() in path.read_bytes():
            hits.append(str(path.relative_to(root)))
    return hits


@pytest.fixture
def docs(in_tmp):
    folder = in_tmp / "docs"
    folder.mkdir()
    for i in range(4):
        (folder / f"p{i}.txt").write_text(f"Paper {i} about mechanism {i}.")
    return folder


def test_key_is_in_no_output(in_tmp, docs, monkeypatch, caplog):
    monkeypatch.setenv("CANARY_KEY", KEY)
    caplog.set_level(logging.DEBUG)
    world = World(n_penalty=None, plan={1: {"weak": [1], "strong": [1, 2, 3, 4]}})
    with FakeOpenAI(world_reply(world)) as server:
        cfg = build_config({}, base_sets(docs) + role_sets(server.base_url))
        lms = build_lms(cfg.models)
        assert all(lm.kwargs.get("api_key") == KEY for lm in lms.values())  # it is really in use
        compile_run(cfg, in_tmp / "run", lms=lms, use_cache=False, progress=Progress(quiet=True))
        assert server.counts["ok"] > 0
    assert grep_tree(in_tmp, KEY) == []
    assert KEY not in caplog.text


def test_rejected_key_error_names_role_not_key(in_tmp, docs, monkeypatch, capsys):
    monkeypatch.setenv("CANARY_KEY", KEY)
    world = World(n_penalty=None)
    with FakeOpenAI(world_reply(world), faults=FaultPlan({"401": 1.0})) as server:
        argv = ["--preset", "quick", "--out", str(in_tmp / "run"), "--no-cache"]
        for item in base_sets(docs) + role_sets(server.base_url):
            argv += ["--set", item]
        code = compile_cmd.main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and err[-1].startswith("autodata: error: challenger model 'openai/challenger' failed permanently")
    assert KEY not in "\n".join(err)
    assert grep_tree(in_tmp, KEY) == []
