"""The paper insight the challenger targets travels from its candidate to rounds.jsonl, accepted.jsonl,
the dataset and its card, and rows recorded before insights were kept still load."""

from __future__ import annotations

import json
from types import SimpleNamespace

import dspy
import pyarrow.parquet

from experiments.config import RunConfig, TrackingConfig
from experiments.records.files import read_jsonl
from experiments.records.progress import Progress
from experiments.records.rows import recompute, record_from_row
from experiments.records.sink import PhaseContext, RoundSink
from experiments.report.dataset_card import write_dataset
from experiments.tracking import Tracker
from metrics import HarnessPolicy, thresholds_for
from programs import AgenticSelfInstruct, RubricStructure, hooks
from testkit.world import World

STRUCTURE = RubricStructure(allow_penalties=False, min_positive=4, max_positive=4, min_penalties=0)
DOC = SimpleNamespace(id="d1", text="A paper about KW1.", title="A paper", licence="CC-BY-4.0", source="test")
INSIGHT = "The mechanism rests on its key words."  # what the scripted challenger names (testkit/world.py)
HARNESS = {
    "acceptance": {"preset": "paper", "thresholds": thresholds_for("paper").to_dict()},
    "structure": STRUCTURE.model_dump(mode="json"),
    "models": {},
    "source": {"command": "test"},
}


def run_rounds(out) -> None:
    """One document through the loop (round 1 too easy, round 2 accepted), recorded by the round sink."""
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    world = World(plan={1: {"weak": [1, 2, 3, 4]}, 2: {"weak": [1], "strong": [1, 2, 3, 4]}})
    program = AgenticSelfInstruct(HarnessPolicy(STRUCTURE, thresholds_for("paper")), max_rounds=2, n_samples=2)
    for role, engine in world.engines().items():
        getattr(program, role).set_lm(dspy.LM(f"scripted/{role}", engine=engine, cache=False, num_retries=0))
    dspy.configure(adapter=dspy.JSONAdapter(), track_usage=True)
    sink = RoundSink(out, Tracker(TrackingConfig(enabled=False), "t"), Progress(quiet=True))
    ctx = PhaseContext("generate", None, {"d1": "generate"}, "paper", thresholds_for("paper"), STRUCTURE)
    with hooks.installed(observer=sink.observer(ctx)):
        program(document=DOC.text, doc_id=DOC.id)


def test_the_insight_is_in_every_row_the_accepted_rows_and_the_dataset(tmp_path):
    run_rounds(tmp_path)
    rows, accepted = read_jsonl(tmp_path / "rounds.jsonl"), read_jsonl(tmp_path / "accepted.jsonl")
    assert [r["accepted"] for r in rows] == [False, True]
    assert [r["insight"] for r in rows] == [INSIGHT, INSIGHT] and accepted[0]["insight"] == INSIGHT
    assert record_from_row(rows[1]).candidate.insight == INSIGHT  # a resumed document keeps it

    write_dataset(tmp_path, accepted, [DOC], HARNESS, RunConfig())
    (data_file,) = (tmp_path / "dataset" / "data").glob("train-*.parquet")
    table = pyarrow.parquet.read_table(data_file).to_pylist()
    assert [r["insight"] for r in table] == [INSIGHT]
    assert "skill_tags, insight (" in (tmp_path / "dataset" / "README.md").read_text()


def test_a_row_recorded_before_insights_were_kept_still_loads(tmp_path):
    run_rounds(tmp_path / "run")
    old = {k: v for k, v in read_jsonl(tmp_path / "run" / "accepted.jsonl")[0].items() if k != "insight"}
    old = json.loads(json.dumps(old))  # as read from an old file
    record = record_from_row(old)
    assert record.candidate is not None and record.candidate.insight == ""
    assert recompute(old) == (True, "accepted")

    write_dataset(tmp_path, [old], [DOC], HARNESS, RunConfig())
    (data_file,) = (tmp_path / "dataset" / "data").glob("train-*.parquet")
    (item,) = pyarrow.parquet.read_table(data_file).to_pylist()
    assert item["insight"] is None and item["question"] == old["question"]
