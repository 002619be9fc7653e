"""`evaluate_run` end to end on scripted roles: five methods, files, MLflow nesting, reliability, CLI errors."""

from __future__ import annotations

import json

import dspy
import pytest

from experiments.evaluate import Options, evaluate_run, main
from experiments.records.files import read_jsonl
from experiments.records.progress import Progress
from experiments.records.rows import recompute
from experiments.run.build import build_program
from experiments.run.harness import export_harness
from experiments.run.overrides import build_config
from tests.experiments_tests.fixtures.eval_world import SETTINGS, EvalWorld, lms, write_docs

METHODS = ["cot", "grounded", "self_instruct", "agentic", "compiled"]
TRIALS = [
    {"number": 0, "state": "COMPLETE", "value": 0.5, "params": {"allow_penalties": True, "weight_cap": 10}},
    {"number": 1, "state": "COMPLETE", "value": 1.0, "params": {"allow_penalties": False, "weight_cap": 7}},
]


def _harness(folder, cfg):
    """A 'compiled' harness: the configured loop with the no-penalty structure, plus a compile summary."""
    no_penalties = cfg.rubric.model_copy(update={"allow_penalties": False, "min_penalties": 0})
    export_harness(build_program(cfg, no_penalties), cfg, folder, {"command": "test"})
    summary = {"corpus": {"splits": {"train": ["paper1"], "val": [], "test": []}}, "trials": TRIALS}
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("evaluate")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)
        mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp / 'mlflow.db'}")
        dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
        cfg = build_config({}, [f"corpus.source={write_docs(tmp / 'docs')}", *SETTINGS])
        harness = _harness(tmp / "harness", cfg)
        out = tmp / "out"
        opts = Options(harness=harness, judge_repeats=2, judge_items=4)
        world = lms(EvalWorld(), second_judge=True)
        record = evaluate_run(cfg, METHODS, out, opts, lms=world, use_cache=False, progress=Progress(quiet=True))
        yield cfg, out, record


def test_every_method_ran_on_the_same_documents(run):
    cfg, out, record = run
    assert record["crashed_documents"] == []  # a crash is listed, never folded into the rejections
    rows = read_jsonl(out / "rounds.jsonl")
    assert [m for m in METHODS if any(r["phase"] == m for r in rows)] == METHODS
    for m in METHODS:
        assert {r["doc_id"] for r in rows if r["phase"] == m} == set(record["documents"])
    for row in rows:
        assert recompute(row) == (row["accepted"], row["reason"])
    assert all(r["round"] == 1 for r in rows if r["phase"] in ("cot", "grounded", "self_instruct"))
    # The compiled harness brought its rubric structure: no penalty items; the configured one has them.
    assert all(c["weight"] > 0 for r in rows if r["phase"] == "compiled" for c in r["rubric"])
    assert any(c["weight"] < 0 for r in rows if r["phase"] == "agentic" for c in r["rubric"])


def test_table_statistics_and_files(run):
    cfg, out, record = run
    stats = record["stats"]
    assert stats["agentic"]["acceptance"] == 0.75 and stats["cot"]["acceptance"] == 0.25
    assert stats["compiled"]["gap"]["mean"] == pytest.approx(0.75)
    assert record["paired"]["compiled - agentic"]["acceptance"]["mean"] == 0.0
    table = (out / "table.md").read_text()
    for text in ("CoT Self-Instruct", "Agentic, compiled harness", "paper: Agentic Self-Instruct", "Judge reliability"):
        assert text in table
    assert (out / "table.csv").read_text().startswith("method,statistic,value,lo,hi,n\n")
    names = sorted(p.rsplit("/", 1)[-1] for p in record["plots"])
    assert names == ["acceptance_by_round.png", "gap_histograms.png", "trials_pass_rate.png", "weak_vs_strong.png"]
    assert json.loads((out / "evaluation.json").read_text())["methods"] == METHODS


def test_judge_reliability_with_a_second_judge(run):
    rel = run[2]["reliability"]
    assert rel["sampled_answers"] == 4 and rel["failed_grades"] == 0
    assert rel["self"]["pairwise_agreement"] == 1.0  # the scripted judge is deterministic
    assert rel["cross"]["judge"] == "scripted/second_judge" and rel["cross"]["agreement"] == 1.0


def test_mlflow_parent_with_a_nested_run_per_method(run):
    from mlflow.tracking import MlflowClient

    cfg, out, record = run
    client = MlflowClient(tracking_uri=record["mlflow"]["tracking_uri"])
    parent = client.get_run(record["mlflow"]["parent_run_id"])
    assert parent.data.params["evaluate.methods"] == ",".join(METHODS)
    children = client.search_runs([parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert sorted(c.info.run_name for c in children) == sorted(METHODS)
    agentic = next(c for c in children if c.info.run_name == "agentic")
    assert agentic.data.metrics["table.acceptance"] == 0.75
    assert agentic.data.metrics["table.gap"] == pytest.approx(0.75)
    assert len(client.get_metric_history(agentic.info.run_id, "weak_mean")) == 7  # one point per round
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id, "plots")}
    assert "plots/weak_vs_strong.png" in artifacts


def test_cli_user_errors_are_one_line(capsys, tmp_path):
    assert main(["--methods", "cot,nope", "--out", str(tmp_path / "x")]) == 2
    assert main(["--methods", "compiled", "--out", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("autodata: error: --methods: unknown ['nope']")
    assert err[1].startswith("autodata: error: method 'compiled' needs --harness")


def test_dry_run_estimates_baselines_as_one_round_and_calls_nothing(tmp_path, capsys):
    docs = write_docs(tmp_path / "docs")
    argv = ["--dry-run", "--methods", "cot,agentic", *[x for s in SETTINGS for x in ("--set", s)]]
    assert main([*argv, "--set", f"corpus.source={docs}", "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "{'cot': 4}" in printed and "{'agentic': 4}" in printed
    challenger_calls = [int(line.split()[1]) for line in printed.splitlines() if line.startswith("challenger")]
    assert challenger_calls == [4, 8]  # one round per baseline document, two per loop document
    assert not (tmp_path / "out").exists()


def test_a_crashed_document_is_in_the_evaluation_record(in_tmp, monkeypatch):
    from tests.experiments_tests.test_compile_outcomes import crash_on

    crash_on(monkeypatch, "paper1")
    cfg = build_config({}, [f"corpus.source={write_docs(in_tmp / 'docs')}", *SETTINGS, "tracking.enabled=false"])
    record = evaluate_run(
        cfg,
        ["agentic"],
        in_tmp / "out",
        Options(),
        lms=lms(EvalWorld()),
        use_cache=False,
        progress=Progress(quiet=True),
    )
    saved = json.loads((in_tmp / "out" / "evaluation.json").read_text())["crashed_documents"]
    assert saved == record["crashed_documents"] and [c["doc_id"] for c in saved] == ["paper1"]
