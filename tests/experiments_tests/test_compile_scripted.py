"""`compile_run` end to end on scripted roles: phases, files, recomputable rows, MLflow nesting, Optuna."""

from __future__ import annotations

import json

import dspy
import optuna
import pytest

from experiments.compile import compile_run
from experiments.config import build_config
from experiments.outputs import read_jsonl
from experiments.progress import Progress
from experiments.rows import recompute
from tests.support.scripted import ScriptedEngine
from tests.support.world import World

REQUIRED = {"phase", "candidate", "split", "doc_id", "round", "question_type", "context", "question",
            "reference_answer", "rubric", "verifier", "weak", "strong", "weak_mean", "strong_mean", "gap",
            "preset", "thresholds", "accepted", "reason", "usage"}


def write_docs(folder, n=6):
    folder.mkdir()
    for i in range(n):
        (folder / f"paper{i}.txt").write_text(f"Paper {i}. We study mechanism {i}. It works because of KW{i}.\n")
    return folder


def scripted_lms(world: World) -> dict[str, dspy.LM]:
    engines = world.engines()
    engines["reflection"] = ScriptedEngine(lambda p: "```\nAsk about the paper's specific mechanism.\n```")
    return {role: dspy.LM(f"scripted/{role}", engine=e, cache=False, num_retries=0) for role, e in engines.items()}


@pytest.fixture
def run(in_tmp):
    world = World(n_penalty=None, plan={1: {"weak": [1, 2, 3, 4]}, 2: {"weak": [1], "strong": [1, 2, 3, 4]}})
    docs = write_docs(in_tmp / "docs")
    cfg = build_config({}, [
        f"corpus.source={docs}", "corpus.n_train=2", "corpus.n_val=2", "corpus.n_test=2",
        "loop.max_rounds=2", "loop.n_samples=2", "loop.backoff=0", "loop.sanity_checks=false",
        "rubric.min_positive=4", "rubric.max_positive=4", "rubric.min_penalties=1", "rubric.max_penalties=2",
        "optimizer.max_metric_calls=4", "search.n_trials=2", "acceptance.preset=paper",
    ])
    out = in_tmp / "run"
    summary = compile_run(cfg, out, lms=scripted_lms(world), use_cache=False, progress=Progress(quiet=True))
    return cfg, out, summary


def test_outputs_and_rows(run):
    cfg, out, summary = run
    for name in ("program.json", "harness.json", "config.json", "rounds.jsonl", "accepted.jsonl", "summary.json"):
        assert (out / name).exists(), name
    rows = read_jsonl(out / "rounds.jsonl")
    assert {r["phase"] for r in rows} == {"baseline", "optimize", "select", "final"}
    for row in rows:
        assert REQUIRED <= set(row)
        assert recompute(row) == (row["accepted"], row["reason"])
        assert all(len(a["verdicts"]) == len(row["rubric"]) for a in row["weak"] + row["strong"])
    baseline_test = [r for r in rows if r["phase"] == "baseline" and r["split"] == "test"]
    assert [r["reason"] for r in baseline_test] == ["too_easy", "accepted"] * 2
    assert summary["baseline"]["test"]["pass_rate"] == 1.0
    assert summary["compiled"]["test"]["documents"] == 2
    accepted = read_jsonl(out / "accepted.jsonl")
    assert len(accepted) == sum(r["accepted"] for r in rows)
    assert "KEY" not in (out / "config.json").read_text()


def test_study_has_a_trial_with_and_without_penalties(run):
    cfg, out, summary = run
    study = optuna.load_study(study_name=summary["study"]["name"], storage=summary["study"]["storage"])
    assert len(study.trials) == 2
    assert {t.params["allow_penalties"] for t in study.trials} == {True, False}
    for t in study.trials:
        json.dumps(t.user_attrs)  # JSON-only attributes
        assert (out / "trials" / f"trial-{t.number}" / "program.json").exists()


def test_mlflow_parent_and_nested_runs_with_round_curves(run):
    from mlflow.tracking import MlflowClient

    cfg, out, summary = run
    client = MlflowClient()
    parent = client.get_run(summary["mlflow"]["parent_run_id"])
    assert parent.data.params["loop.max_rounds"] == "2"
    exp = parent.info.experiment_id
    children = client.search_runs([exp], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    names = sorted(c.info.run_name for c in children)
    assert names == ["baseline", "final", "trial-0", "trial-1"]
    baseline = next(c for c in children if c.info.run_name == "baseline")
    history = client.get_metric_history(baseline.info.run_id, "weak_mean")
    assert [m.step for m in history] == list(range(1, len(history) + 1)) and len(history) >= 4
    known = {parent.info.run_id} | {c.info.run_id for c in children}
    for r in client.search_runs([exp]):  # no orphan top-level runs (GEPA logs into the trial's run)
        assert r.info.run_id == parent.info.run_id or r.data.tags.get("mlflow.parentRunId") in known
