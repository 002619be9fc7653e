"""bench.strong_modes on scripted models: each mode's answers are judged and decided with the recorded weak side."""

from __future__ import annotations

import json

import dspy
import pytest

from bench.strong_modes import measure, reached_strong, render
from metrics.acceptance import PRESETS
from testkit.scripted import ScriptedEngine
from testkit.world import World

RUBRIC = [{"criterion": f"Explains that KW{i} drives the effect", "weight": 5} for i in (1, 2, 3)]


def _row(doc_id: str, weak_verdicts: list[float] | None, strong: bool) -> dict:
    weak = [] if weak_verdicts is None else [{"answer": "KW1", "verdicts": weak_verdicts, "score": 1 / 3}]
    return {
        "doc_id": doc_id,
        "question": f"Question 1 on {doc_id}: explain the mechanism?",
        "context": "Setup for the question.",
        "reference_answer": "The mechanism involves KW1 KW2 KW3.",
        "rubric": RUBRIC,
        "weak": weak,
        "strong": [{"answer": "I do not know.", "verdicts": [0, 0, 0], "score": 0.0}] if strong else [],
        "strong_mean": 0.0 if strong else None,
        "thresholds": PRESETS["deployed"].to_dict(),
    }


def _strong(prompt) -> dict:
    # With the paper open the scripted strong solver finds two of the three points; without it, none.
    answer = "It is KW1 and KW2." if "document" in prompt.inputs else "I do not know."
    return {"reasoning": "Think.", "answer": answer} if "reasoning" in prompt.outputs else {"answer": answer}


@pytest.fixture
def rounds(tmp_path):
    path = tmp_path / "rounds.jsonl"
    rows = [_row("a", [1, 0, 0], True), _row("a", [1, 0, 0], True), _row("b", [0, 0, 0], False), _row("c", None, False)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_only_distinct_candidates_that_reached_the_strong_solver_are_taken(rounds):
    assert [r["doc_id"] for r in reached_strong([rounds, rounds])] == ["a"]


def test_each_mode_is_judged_and_decided_with_the_recorded_weak_scores(rounds):
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    engines = {"strong": ScriptedEngine(_strong), "judge": ScriptedEngine(World().judge)}
    lms = {role: dspy.LM(f"scripted/{role}", engine=e, cache=False, num_retries=0) for role, e in engines.items()}
    run = measure([rounds], "default", lms=lms, documents={"a": "The paper."})
    by_mode = {r["mode"]: r for r in run["rows"]}
    assert by_mode["plain"]["strong_mean"] == 0.0 and not by_mode["plain"]["accepted"]
    assert by_mode["plain"]["rule"] == "strong mean N < N"
    for mode in ("document", "document+reasoning"):
        assert by_mode[mode]["strong_mean"] == 0.666667 and by_mode[mode]["weak_mean"] == 0.333333
        assert by_mode[mode]["accepted"], by_mode[mode]["detail"]
    assert run["summary"]["document"]["accepted"] == 1 and run["summary"]["plain"]["zero"] == 1
    assert run["summary"]["plain"]["rejected_by"] == {"strong mean N < N": 1}
    assert sum("reasoning" in p.outputs for p in engines["strong"].prompts) == 1
    run |= {"command": "bench", "commit": "abc", "seconds": 1.0}
    assert "| x | abc | document | 1 | 0 | 0.67 [0.67, 0.67] | 0 | 0 | 1 |" in render({"x": run})
