"""A recognisable fake API key never appears in any output: run files, exports, MLflow store and
artifacts, stdout, stderr, logs, or the one-line error of a rejected key.

The key must reach the (fake) server, which rejects requests without it, and the MLflow store must
really hold the runs and the exported harness before the grep: a store left empty by a swallowed
MLflow failure would otherwise pass.
"""

from __future__ import annotations

import logging

import pytest

from experiments import compile as compile_cmd
from experiments.compile import compile_run
from experiments.config import ROLES
from experiments.lms.factory import build_lms
from experiments.records.progress import Progress
from experiments.run.overrides import build_config
from testkit.fake_openai import FakeOpenAI, FaultPlan, world_reply
from testkit.world import World

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


def logged_runs(in_tmp, summary: dict) -> dict[str, list[str]]:
    """The compile's MLflow runs (name -> artifact paths), read back from the store the test points at."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{in_tmp / 'mlflow.db'}")
    parent = client.get_run(summary["mlflow"]["parent_run_id"])
    children = client.search_runs(
        [parent.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )

    def artifacts(run_id: str, path: str | None = None) -> list[str]:
        found = []
        for item in client.list_artifacts(run_id, path):
            found += artifacts(run_id, item.path) if item.is_dir else [item.path]
        return found

    runs = {parent.info.run_name: artifacts(parent.info.run_id)}
    runs.update({run.info.run_name: artifacts(run.info.run_id) for run in children})
    assert parent.data.params, "the parent run has no params"
    return runs


def test_key_is_in_no_output(in_tmp, docs, monkeypatch, caplog, capfd):
    monkeypatch.setenv("CANARY_KEY", KEY)
    caplog.set_level(logging.DEBUG)
    world = World(n_penalty=None, plan={1: {"weak": [1], "strong": [1, 2, 3, 4]}})
    # The server answers 401 to any request that does not carry KEY, so a finished run proves it was sent.
    with FakeOpenAI(world_reply(world), api_key=KEY) as server:
        cfg = build_config({}, base_sets(docs) + role_sets(server.base_url))
        lms = build_lms(cfg.models)
        summary = compile_run(cfg, in_tmp / "run", lms=lms, use_cache=False, progress=Progress(quiet=False))
        compile_cmd.print_summary(summary)
    assert server.counts["ok"] > 0 and server.counts["401"] == 0
    assert {model for model, _ in server.by_model} == set(ROLES)  # every role's LM sent the key
    # Only a store that really holds the runs and the harness makes the grep below mean anything.
    assert summary["mlflow"]["failures"] == {}
    runs = logged_runs(in_tmp, summary)
    assert {"baseline", "trial-0", "final"} <= set(runs)
    parent = runs[f"compile-{(in_tmp / 'run').name}"]
    assert {"run/program.json", "run/harness.json", "run/config.json", "run/rounds.jsonl"} <= set(parent)
    assert any(path.startswith("harness/") for path in runs["trial-0"])
    out, err = capfd.readouterr()
    assert "trials (val pass rate / metric score)" in out and "corpus:" in err  # the streams were captured
    assert KEY not in out and KEY not in err
    assert KEY not in caplog.text
    assert grep_tree(in_tmp, KEY) == []


def test_rejected_key_error_names_role_not_key(in_tmp, docs, monkeypatch, capfd):
    monkeypatch.setenv("CANARY_KEY", KEY)
    world = World(n_penalty=None)
    with FakeOpenAI(world_reply(world), faults=FaultPlan({"401": 1.0})) as server:
        argv = ["--preset", "quick", "--out", str(in_tmp / "run"), "--no-cache"]
        for item in base_sets(docs) + role_sets(server.base_url):
            argv += ["--set", item]
        code = compile_cmd.main(argv)
    assert server.counts["401"] >= 1  # the key was sent and rejected
    out, err = capfd.readouterr()
    lines = err.strip().splitlines()
    assert code == 1
    assert lines[-1].startswith("autodata: error: challenger model 'openai/challenger' failed permanently")
    assert KEY not in out and KEY not in err
    assert grep_tree(in_tmp, KEY) == []
