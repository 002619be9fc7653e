"""bench.second_round on scripted models: round 2 runs after each recorded first-round failure, reading
the feedback rendered from it, and is set beside the recorded round 2."""

from __future__ import annotations

import json

import dspy

from bench.second_round import measure, render
from metrics.acceptance import PRESETS
from programs.structure import RubricStructure
from testkit.world import World

STRUCTURE = RubricStructure(min_positive=4, max_positive=4, min_penalties=0, max_penalties=0, allow_penalties=False)
RUBRIC = [{"criterion": f"the answer names KW{i} as the key mechanism", "weight": 5} for i in (1, 2, 3, 4)]


def _row(doc: str, rnd: int, reason: str, detail: str, *, seconds: float = 50.0, **extra) -> dict:
    row = {
        "phase": "baseline",
        "trial": None,
        "candidate": "h1",
        "doc_id": doc,
        "round": rnd,
        "question_type": "analysis",
        "context": "Setup for question 1.",
        "question": f"Question 1: why does {doc} work?",
        "reference_answer": "KW1 KW2 KW3 KW4",
        "rubric": RUBRIC,
        "verifier": {"passed": True},
        "weak": [{"answer": "I do not know.", "verdicts": [0, 0, 0, 0], "score": 0.0}],
        "strong": [],
        "weak_mean": 0.0,
        "strong_mean": None,
        "gap": None,
        "thresholds": PRESETS["deployed"].to_dict(),
        "structure": STRUCTURE.model_dump(),
        "accepted": False,
        "reason": reason,
        "detail": detail,
        "seconds": seconds,
    }
    return row | extra


def test_each_first_round_failure_gets_a_new_second_round_beside_the_recorded_one(tmp_path):
    zero = "a weak attempt scored 0: the question may be unanswerable from its context"
    rows = [
        _row("a", 1, "failed_quality", zero, direction="reachable"),
        _row("a", 2, "failed_quality", zero, question="Question 2: why?"),  # the recorded second round
        _row("a", 1, "failed_quality", zero, seconds=0.0),  # a replay from the cache: the same candidate
        _row("b", 1, "failed_quality", zero),  # no recorded second round
        _row("c", 1, "invalid", "reply did not parse", question=None),  # nothing to feed back: left out
        _row("d", 1, "accepted", "weak 0.25, strong 0.75, gap 0.5", accepted=True),  # not a failure
    ]
    path = tmp_path / "rounds.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    # The scripted world's round 2 (one failure in the feedback): the weak solver names KW1, the strong three.
    engines = World(plan={2: {"weak": [1], "strong": [1, 2, 3]}}).engines()
    lms = {role: dspy.LM(f"scripted/{role}", engine=e, cache=False, num_retries=0) for role, e in engines.items()}
    documents = {"a": "Paper a.", "b": "Paper b."}
    run = measure([path], "default", ["loop.n_samples=1"], lms=lms, documents=documents)

    assert [r["doc_id"] for r in run["rows"]] == ["a", "b"]
    a, b = run["rows"]
    assert a["recorded_second"].startswith("failed_quality: a weak attempt scored N") and not a["recorded_accepted"]
    assert b["recorded_second"] is None and b["recorded_accepted"] is None
    assert a["accepted"] and b["accepted"] and a["second"] == "accepted"
    # The challenger read the feedback rendered from the recorded failure, with its direction.
    feedback = engines["challenger"].prompts[0].inputs["feedback"]
    assert "Question 1: why does a work?" in feedback and "the weak solver made none of the points" in feedback
    assert engines["challenger"].prompts[0].inputs["document"] == "Paper a."
    s = run["summary"]
    assert (s["n"], s["errors"], s["accepted"], s["paired"], s["accepted_paired"], s["recorded_accepted_paired"]) == (
        2,
        0,
        2,
        1,
        1,
        0,
    )
    run |= {"command": "bench", "commit": "abc", "seconds": 1.0}
    assert "| x | abc | 2 | 0 | 2 (1.00 [1.00, 1.00]) | 1 | 1 / 0 |" in render({"x": run})


def test_a_paper_missing_from_the_corpus_is_one_row_with_its_error(tmp_path):
    path = tmp_path / "rounds.jsonl"
    path.write_text(json.dumps(_row("gone", 1, "too_easy", "weak mean 1 must be <= 0.65")) + "\n")
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    engines = World().engines()
    lms = {role: dspy.LM(f"scripted/{role}", engine=e, cache=False, num_retries=0) for role, e in engines.items()}
    run = measure([path], "default", lms=lms, documents={})
    assert run["rows"][0]["error"].startswith("KeyError") and run["summary"]["errors"] == 1


def test_a_missing_rounds_file_ends_the_command_with_one_line(tmp_path, capsys):
    import pytest

    from bench.second_round import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--rounds", str(tmp_path / "none.jsonl"), "--label", "x"])
    assert exit_info.value.code == 2 and "--rounds: no such file" in capsys.readouterr().err


def test_the_control_runs_the_same_second_rounds_without_the_feedback(tmp_path):
    zero = "a weak attempt scored 0: the question may be unanswerable from its context"
    path = tmp_path / "rounds.jsonl"
    path.write_text(json.dumps(_row("a", 1, "failed_quality", zero, direction="reachable")) + "\n")
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    # Told nothing failed, the scripted challenger writes its first question again: plan[1] decides.
    engines = World(plan={1: {"weak": [1], "strong": [1, 2, 3]}}).engines()
    lms = {role: dspy.LM(f"scripted/{role}", engine=e, cache=False, num_retries=0) for role, e in engines.items()}
    run = measure([path], "default", ["loop.n_samples=1"], None, False, lms=lms, documents={"a": "Paper a."})
    assert run["rows"][0]["accepted"] and run["feedback"] is False
    assert engines["challenger"].prompts[0].inputs["feedback"] == "No earlier attempts on this paper."
    run |= {"command": "bench", "commit": "abc", "seconds": 1.0}
    assert "feedback from the first round: no (the control)" in render({"x": run})
