"""Compile and generate outcomes the happy path does not show: LM calls of rounds run again, crashed
documents, and runs that accept nothing (cache off, scripted roles, no MLflow unless a test needs it)."""

from __future__ import annotations

import json

import dspy
import pyarrow.parquet

from experiments import generate
from experiments.compile import compile_run
from experiments.records.files import read_jsonl
from experiments.records.progress import Progress
from experiments.report.compile_print import print_summary
from experiments.report.dataset_card import features
from experiments.run.overrides import build_config
from programs.loop import LOOP_ROLES, AgenticSelfInstruct
from testkit.world import World
from tests.experiments_tests.test_compile_scripted import scripted_lms
from tests.support.workers import SETTINGS, write_docs

PLAN = {1: {"weak": [1, 2, 3, 4]}, 2: {"weak": [1], "strong": [1, 2, 3, 4]}}


def compile_in(tmp, world: World, *extra: str, lms=None):
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    docs = write_docs(tmp / "docs")
    cfg = build_config({}, [f"corpus.source={docs}", *SETTINGS, "search.n_trials=1", "tracking.enabled=false", *extra])
    return compile_with(tmp, cfg, world, lms)


def compile_with(tmp, cfg, world: World, lms=None):
    lms = lms or scripted_lms(world)
    summary = compile_run(cfg, tmp / "run", lms=lms, use_cache=False, progress=Progress(quiet=True))
    return summary, lms


def test_every_lm_call_is_counted_when_an_optimizer_runs_a_round_again(in_tmp):
    # With 10 metric calls GEPA evaluates some candidates on the same documents more than once.
    summary, lms = compile_in(in_tmp, World(n_penalty=None, plan=PLAN), "optimizer.max_metric_calls=10")
    repeats = read_jsonl(in_tmp / "run" / "repeats.jsonl")
    assert repeats and all(r["phase"] == "optimize" for r in repeats)
    made = {role: lms[role].engine.calls for role in LOOP_ROLES}
    assert {role: summary["usage_by_role"][role]["calls"] for role in LOOP_ROLES} == made
    assert summary["all_rounds"]["repeated_rounds"] == len(repeats)


def crash_on(monkeypatch, bad: str) -> None:
    """The loop raises on one document, outside any LM call (a bug in code, not a model fault)."""
    original = AgenticSelfInstruct.forward

    def forward(self, document, doc_id="", prior=None):
        if doc_id == bad:
            raise RuntimeError("a bug outside any LM call")
        return original(self, document, doc_id, prior)

    monkeypatch.setattr(AgenticSelfInstruct, "forward", forward)


def test_a_crashed_document_is_in_summary_json_and_the_printed_summary(in_tmp, monkeypatch, capsys):
    crash_on(monkeypatch, "paper0")
    summary, _ = compile_in(in_tmp, World(n_penalty=None, plan=PLAN))
    crashed = json.loads((in_tmp / "run" / "summary.json").read_text())["crashed_documents"]
    assert crashed and {c["doc_id"] for c in crashed} == {"paper0"}
    assert all(c["error"] == "RuntimeError: a bug outside any LM call" for c in crashed)
    print_summary(summary)
    assert "CRASHED: " in capsys.readouterr().out


def test_nothing_accepted_still_writes_accepted_jsonl_and_generate_writes_an_empty_dataset(in_tmp, monkeypatch, capsys):
    never = World(n_penalty=None, plan={})  # both solvers answer "I do not know.": every round fails on strong
    summary, lms = compile_in(in_tmp, never)
    run = in_tmp / "run"
    assert summary["compiled"]["test"]["accepted"] == 0 and read_jsonl(run / "rounds.jsonl")
    assert (run / "accepted.jsonl").exists() and read_jsonl(run / "accepted.jsonl") == []

    new_docs = write_docs(in_tmp / "new_docs", n=2)
    argv = ["--harness", str(run), "--docs", str(new_docs), "--out", str(in_tmp / "gen"), "--no-cache", "--quiet"]
    assert generate.main([*argv, "--set", "tracking.enabled=false"], lms=lms) == 0
    assert "nothing was accepted" in capsys.readouterr().out
    gen = in_tmp / "gen"
    (data_file,) = (gen / "dataset" / "data").glob("train-*.parquet")
    table = pyarrow.parquet.read_table(data_file)  # load_dataset cannot read an empty split (see the card)
    assert table.num_rows == 0 and {"question", "rubric", "gap", "source_licence"} <= set(table.column_names)
    assert table.column_names == list(features())  # the same columns as a dataset with rows
    assert "This dataset is empty" in (gen / "dataset" / "README.md").read_text()
    assert (gen / "accepted.parquet").exists() and read_jsonl(gen / "accepted.jsonl") == []
    gen_summary = json.loads((gen / "summary.json").read_text())
    assert gen_summary["dataset"]["rows"] == 0 and gen_summary["crashed_documents"] == []


def pickles_under(*folders) -> list[str]:
    """Files named *.pkl, or whose bytes are a pickle (protocol 2+ opens with 0x80 and a version byte)."""
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                head = path.read_bytes()[:2]
                if path.suffix == ".pkl" or (len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5):
                    found.append(str(path.relative_to(folder)))
    return found


def test_no_pickle_is_written_or_warned_about_by_default(in_tmp, capfd):
    docs = write_docs(in_tmp / "docs")
    sets = [f"corpus.source={docs}", *SETTINGS, "search.n_trials=1", "optimizer.max_metric_calls=6"]
    summary, _ = compile_with(in_tmp, build_config({}, sets), World(n_penalty=None, plan=PLAN))
    err = capfd.readouterr().err
    assert summary["mlflow"]["parent_run_id"] and (in_tmp / "mlruns").is_dir()  # MLflow logged artifacts here
    assert pickles_under(in_tmp / "run", in_tmp / "mlruns") == []
    assert "pkl" not in err and "pickle" not in err.lower(), err[-2000:]


def test_the_pickling_options_do_what_their_names_say(in_tmp):
    docs = write_docs(in_tmp / "docs")
    sets = [f"corpus.source={docs}", *SETTINGS, "search.n_trials=1", "optimizer.max_metric_calls=6"]
    opted = build_config({}, [*sets, "tracking.log_pickled_model=true", "optimizer.pickled_state=true"])
    compile_with(in_tmp, opted, World(n_penalty=None, plan=PLAN))
    found = pickles_under(in_tmp / "run", in_tmp / "mlruns")
    assert any(p.endswith("gepa_state.bin") for p in found) and any(p.endswith(".pkl") for p in found), found


def test_gepa_proposes_and_tests_new_instructions_when_nothing_is_accepted(in_tmp, caplog):
    # Nothing accepted, so GEPA reflects on the failures; the scripted reflection model answers in the
    # JSON its signature asks for, and each proposal is evaluated as a new harness candidate.
    world = World(n_penalty=None, plan={1: {"weak": [1, 2, 3, 4]}, 2: {"weak": [1, 2, 3, 4]}})
    compile_in(in_tmp, world, "optimizer.max_metric_calls=8")
    rows = [r for r in read_jsonl(in_tmp / "run" / "rounds.jsonl") if r["phase"] == "optimize"]
    assert len({r["candidate"] for r in rows}) > 1
    assert "reflection failed" not in caplog.text
