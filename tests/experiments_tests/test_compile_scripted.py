"""`compile_run` end to end on scripted roles: phases, files, recomputable rows, MLflow nesting, Optuna."""

from __future__ import annotations

import json
from pathlib import Path

import dspy
import optuna
import pytest

from experiments.compile import compile_run
from experiments.records.files import read_jsonl
from experiments.records.progress import Progress
from experiments.records.rows import recompute
from experiments.run.overrides import build_config
from testkit.scripted import ScriptedEngine
from testkit.world import World, reflection_reply
from tests.support.workers import SETTINGS, command_line, write_docs

REQUIRED = {
    "phase",
    "candidate",
    "split",
    "doc_id",
    "round",
    "question_type",
    "context",
    "question",
    "reference_answer",
    "rubric",
    "verifier",
    "weak",
    "strong",
    "weak_mean",
    "strong_mean",
    "gap",
    "preset",
    "thresholds",
    "accepted",
    "reason",
    "usage",
}


def scripted_lms(world: World) -> dict[str, dspy.LM]:
    engines = world.engines()
    engines["reflection"] = ScriptedEngine(reflection_reply)
    return {role: dspy.LM(f"scripted/{role}", engine=e, cache=False, num_retries=0) for role, e in engines.items()}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    in_tmp = tmp_path_factory.mktemp("compile")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(in_tmp)
        mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{in_tmp / 'mlflow.db'}")
        dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
        yield _compile(in_tmp)


def _compile(in_tmp):
    world = World(n_penalty=None, plan={1: {"weak": [1, 2, 3, 4]}, 2: {"weak": [1], "strong": [1, 2, 3, 4]}})
    docs = write_docs(in_tmp / "docs")
    cfg = build_config({}, [f"corpus.source={docs}", *SETTINGS, "search.n_trials=3"])
    out = in_tmp / "run"
    summary = compile_run(cfg, out, lms=scripted_lms(world), use_cache=False, progress=Progress(quiet=True))
    return cfg, out, summary


def test_outputs_and_rows(run):
    cfg, out, summary = run
    for name in ("program.json", "harness.json", "config.json", "rounds.jsonl", "accepted.jsonl", "summary.json"):
        assert (out / name).exists(), name
    assert summary["crashed_documents"] == [], summary["crashed_documents"]  # a crash is never a rejection
    assert json.loads((out / "summary.json").read_text())["crashed_documents"] == []
    rows = read_jsonl(out / "rounds.jsonl")
    assert {r["phase"] for r in rows} == {"baseline", "optimize", "select", "final"}
    for row in rows:
        assert set(row) >= REQUIRED
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
    assert len(study.trials) == 3 and all(t.state.name == "COMPLETE" for t in study.trials)
    assert {t.params["allow_penalties"] for t in study.trials} == {True, False}
    assert all("weight_cap" in t.params for t in study.trials)
    for t in study.trials:
        json.dumps(t.user_attrs)  # JSON-only attributes
        assert (Path(t.user_attrs["harness_dir"]) / "program.json").exists()


def test_mlflow_parent_and_nested_runs_with_round_curves(run):
    from mlflow.tracking import MlflowClient

    cfg, out, summary = run
    client = MlflowClient(tracking_uri=summary["mlflow"]["tracking_uri"])
    parent = client.get_run(summary["mlflow"]["parent_run_id"])
    assert parent.data.params["loop.max_rounds"] == "2"
    exp = parent.info.experiment_id
    children = client.search_runs([exp], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    names = sorted(c.info.run_name for c in children)
    assert names == ["baseline", "final", "trial-0", "trial-1", "trial-2"]
    trial = next(c for c in children if c.info.run_name == "trial-2")
    assert "structure.allow_penalties" in trial.data.params and "optimizer" in trial.data.params
    baseline = next(c for c in children if c.info.run_name == "baseline")
    history = client.get_metric_history(baseline.info.run_id, "weak_mean")
    assert [m.step for m in history] == list(range(1, len(history) + 1)) and len(history) >= 4
    assert client.search_logged_models([exp]) == []  # the pickling MLflow model flavour is opt-in
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id, "run")}
    assert {"run/program.json", "run/harness.json"} <= artifacts
    known = {parent.info.run_id} | {c.info.run_id for c in children}
    for r in client.search_runs([exp]):  # no orphan top-level runs (GEPA logs into the trial's run)
        assert r.info.run_id == parent.info.run_id or r.data.tags.get("mlflow.parentRunId") in known


def test_exported_harness_generates_a_loadable_dataset_in_a_fresh_process(run, tmp_path):
    import os
    import subprocess

    import datasets

    cfg, out, summary = run
    harness = json.loads((out / "harness.json").read_text())
    assert harness["format"] == "autodata-harness" and "api_base" not in json.dumps(harness)
    new_docs = tmp_path / "new_docs"
    new_docs.mkdir()
    for i in range(3):
        (new_docs / f"note{i}.md").write_text(f"# Note {i}\nA new method {i} relies on KW{i}.\n")
    (new_docs / "empty.txt").write_text("   \n")
    gen_out = tmp_path / "gen"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.run(
        command_line(
            "generate",
            "--harness",
            str(out),
            "--docs",
            str(new_docs),
            "--out",
            str(gen_out),
            "--no-cache",
            "--quiet",
            "--set",
            "tracking.enabled=false",
        ),
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = datasets.load_dataset(str(gen_out / "dataset"), split="train")
    assert loaded.num_rows == 3 and set(loaded.column_names) >= {"question", "rubric", "gap", "source_licence"}
    assert loaded[0]["rubric"][0]["weight"] > 0
    assert "Licences" in (gen_out / "dataset" / "README.md").read_text()
    rows = read_jsonl(gen_out / "rounds.jsonl")
    assert {r["phase"] for r in rows} == {"generate"} and all(
        recompute(r) == (r["accepted"], r["reason"]) for r in rows
    )


def test_mlflow_outage_only_warns_and_local_files_stay_complete(tmp_path, monkeypatch, caplog):
    import logging

    monkeypatch.chdir(tmp_path)
    docs = write_docs(tmp_path / "docs")
    world = World(n_penalty=None, plan={1: {"weak": [1], "strong": [1, 2, 3, 4]}})
    cfg = build_config(
        {},
        [
            f"corpus.source={docs}",
            *SETTINGS,
            "search.n_trials=1",
            f"tracking.tracking_uri=sqlite:///{tmp_path / 'a-file' / 'mlflow.db'}",
        ],
    )
    (tmp_path / "a-file").write_text("not a directory")
    caplog.set_level(logging.WARNING)
    summary = compile_run(
        cfg, tmp_path / "run", lms=scripted_lms(world), use_cache=False, progress=Progress(quiet=True)
    )
    assert "MLflow is unavailable" in caplog.text and "log model" not in caplog.text
    assert summary["mlflow"]["parent_run_id"] is None and summary["compiled"]["test"]["documents"] == 2
    for name in ("program.json", "harness.json", "rounds.jsonl", "summary.json"):
        assert (tmp_path / "run" / name).exists()


def test_push_to_hub_offline_fails_with_one_line(tmp_path, monkeypatch):
    import datasets

    from experiments.config import ConfigError
    from experiments.generate import push

    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there: like being offline
    folder = tmp_path / "ds"
    datasets.Dataset.from_list([{"question": "q"}]).to_parquet(str(folder / "data" / "train-x.parquet"))
    with pytest.raises(ConfigError, match="push_to_hub org/name failed") as err:
        push(folder, "org/name")
    assert "\n" not in str(err.value)
