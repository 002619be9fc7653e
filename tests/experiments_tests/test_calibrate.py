"""The calibrate command: offline re-scoring of recorded rounds (no LM call) and the probe run (the sweep's
numbers are checked by hand in tests/metrics_tests/test_calibration.py)."""

from __future__ import annotations

import json

import dspy
import pytest

from experiments import calibrate as cal
from experiments.records.files import read_jsonl
from experiments.run.overrides import build_config
from metrics.calibration import settings
from testkit.scripted import ScriptedEngine
from tests.experiments_tests.fixtures.eval_world import SETTINGS, EvalWorld, lms, write_docs
from tests.experiments_tests.test_evaluate_report import FIXTURE


def test_rescoring_makes_no_lm_call(tmp_path, monkeypatch, capsys):
    def refuse(p):
        raise AssertionError("calibration called an LM")

    engine = ScriptedEngine(refuse)
    dspy.configure(lm=dspy.LM("scripted/any", engine=engine, cache=False, num_retries=0))
    monkeypatch.setattr(dspy.LM, "__call__", lambda *a, **k: pytest.fail("an LM was called"))
    assert cal.main(["--rounds", str(FIXTURE), "--out", str(tmp_path)]) == 0
    assert engine.calls == 0
    record = json.loads((tmp_path / "calibration.json").read_text())
    assert record["rows"] == 19 and len(record["settings"]) == 2 * len(settings())
    assert "## Acceptance under each setting" in capsys.readouterr().out


def test_probe_runs_one_shot_on_train_and_unused_documents(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    easy = {i: {1: {"weak": [1, 2, 3, 4], "strong": [1, 2, 3, 4]}} for i in range(6)}
    docs = write_docs(tmp_path / "docs", n=6)
    overrides = [f"corpus.source={docs}", *SETTINGS, "corpus.n_train=1", "corpus.n_val=1", "corpus.n_test=2",
                 "tracking.enabled=false"]  # fmt: skip
    argv = ["--probe", "--docs", "3", "--no-cache", "--quiet", "--out", str(tmp_path / "out")]
    assert cal.main([*argv, *[x for o in overrides for x in ("--set", o)]], lms=lms(EvalWorld(doc_plans=easy))) == 0
    record = json.loads((tmp_path / "out" / "calibration.json").read_text())
    rows = read_jsonl(tmp_path / "out" / "rounds.jsonl")
    assert {r["phase"] for r in rows} == {"probe"} and len(rows) == 3
    cfg = build_config({}, overrides)
    from experiments.corpus import load_splits

    splits, _ = load_splits(cfg.corpus)
    held = {d.id for s in ("val", "test") for d in splits[s]}
    assert not held & {r["doc_id"] for r in rows} and splits["train"][0].id in {r["doc_id"] for r in rows}
    assert record["warnings"][0].startswith("weak model too strong")
    assert (tmp_path / "out" / "calibration.md").exists()
