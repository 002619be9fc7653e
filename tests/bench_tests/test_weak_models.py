"""bench.weak_models on scripted models: each weak model is decided against the same strong answers."""

from __future__ import annotations

import json

import dspy

from bench.weak_models import measure, render
from metrics.acceptance import PRESETS
from testkit.scripted import ScriptedEngine
from testkit.world import World

RUBRIC = [{"criterion": f"Explains that KW{i} drives the effect", "weight": 5} for i in (1, 2, 3)]


def _strong(prompt) -> dict:
    # With the paper open the scripted strong solver finds two of the three points; without it, none.
    return {"answer": "It is KW1 and KW2." if "document" in prompt.inputs else "I do not know."}


def test_each_weak_model_is_decided_with_the_same_strong_scores(tmp_path):
    rows = [
        {
            "doc_id": "a",
            "question": "Why does it work?",
            "context": "A setup.",
            "reference_answer": "KW1 KW2 KW3",
            "rubric": RUBRIC,
            "weak": [{"answer": "x", "verdicts": [0, 0, 0], "score": 0.0}],
            "thresholds": PRESETS["deployed"].to_dict(),
        }
    ]
    path = tmp_path / "rounds.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows * 2) + "\n")
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    engines = {
        "strong": ScriptedEngine(_strong),
        "judge": ScriptedEngine(World().judge),
        "silent": ScriptedEngine(lambda p: {"answer": "I am not sure."}),
        "partial": ScriptedEngine(lambda p: {"answer": "It is KW1."}),
        "expert": ScriptedEngine(lambda p: {"answer": "KW1 KW2 KW3"}),
    }
    lms = {role: dspy.LM(f"scripted/{role}", engine=e, cache=False, num_retries=0) for role, e in engines.items()}
    run = measure([path], ["silent", "partial", "expert"], "default", lms=lms, documents={"a": "The paper."})
    by_model = {r["weak_model"]: r for r in run["rows"]}
    assert len(run["rows"]) == 3  # the repeated candidate is answered once
    assert all(r["strong"] == [0.666667] for r in run["rows"])
    assert by_model["partial"]["accepted"] and by_model["partial"]["weak"] == [0.333333]
    assert by_model["silent"]["rule"] == "a weak attempt scored N: the question may be unanswerable from its context"
    assert not by_model["expert"]["accepted"]
    s = run["summary"]
    assert [
        (s[m]["zero"], s[m]["window"], s[m]["too_good"], s[m]["accepted"]) for m in ("silent", "partial", "expert")
    ] == [
        (1, 0, 0, 0),
        (0, 1, 0, 1),
        (0, 0, 1, 0),
    ]
    # Weak solvers never see the paper.
    assert not any("document" in p.inputs for m in ("silent", "partial", "expert") for p in engines[m].prompts)
    run |= {"command": "bench", "commit": "abc", "seconds": 1.0}
    assert "| x | abc | partial | 1 | 0 | 0 | 1 | 0 | 0.33 [0.33, 0.33] | 1 |" in render({"x": run})
