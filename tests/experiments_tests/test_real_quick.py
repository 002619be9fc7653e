"""The quick preset end to end on the real embedded models and real aclsum papers.

It checks the system, not data quality: every phase ran, the study has a trial with penalty items and
one without, every recorded round recomputes to its decision, and MLflow holds the nested runs with
per-round metrics. Takes a few minutes on two cores.
"""

from __future__ import annotations

import json

import optuna
import pytest

from experiments.compile import compile_run
from experiments.presets import preset
from experiments.records.files import read_jsonl
from experiments.records.progress import Progress
from experiments.records.rows import recompute
from experiments.run.overrides import build_config

pytestmark = [pytest.mark.real_model, pytest.mark.slow]


def test_quick_preset_on_embedded_models(in_tmp):
    cfg = build_config(preset("quick"), [f"cache_dir={in_tmp / 'cache'}"])
    out = in_tmp / "run"
    summary = compile_run(cfg, out, progress=Progress(quiet=True))
    rows = read_jsonl(out / "rounds.jsonl")
    assert {"baseline", "select", "final"} <= {r["phase"] for r in rows}
    assert all(r["doc_id"] in summary["corpus"]["splits"][r["split"]] for r in rows if r["split"] != "unknown")
    for row in rows:
        assert recompute(row) == (row["accepted"], row["reason"])
        assert row["usage"].get("challenger", {}).get("calls", 0) >= 1
    study = optuna.load_study(study_name=summary["study"]["name"], storage=summary["study"]["storage"])
    assert {t.params.get("allow_penalties") for t in study.trials} == {True, False}
    assert json.loads((out / "harness.json").read_text())["models"]["weak"] == "embedded/smollm2-135m"
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=summary["mlflow"]["tracking_uri"])
    parent = client.get_run(summary["mlflow"]["parent_run_id"])
    children = client.search_runs([parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert {"baseline", "trial-0", "trial-1", "final"} <= {c.info.run_name for c in children}
    baseline = next(c for c in children if c.info.run_name == "baseline")
    assert client.get_metric_history(baseline.info.run_id, "accepted")
