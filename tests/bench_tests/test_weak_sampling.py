"""bench.weak_sampling on scripted models: one weak answer per candidate and temperature, scored and sorted."""

from __future__ import annotations

import json

import dspy

from bench.weak_sampling import measure, render
from metrics.acceptance import PRESETS
from testkit.scripted import ScriptedEngine
from testkit.world import World

RUBRIC = [{"criterion": f"Explains that KW{i} drives the effect", "weight": 5} for i in (1, 2, 3)]


def weak(p) -> dict:
    # Greedy: one point on candidate a, every point on b; sampled: no point at all.
    if getattr(p.config, "temperature", None) == 0.0:
        return {"answer": "KW1" if "on a" in p.inputs["question"] else "KW1 KW2 KW3"}
    return {"answer": "I am not sure."}


def test_each_temperature_is_answered_scored_and_sorted_into_zero_window_and_too_good(tmp_path):
    rows = [
        {
            "doc_id": d,
            "question": f"Why does it work on {d}?",
            "context": "A setup.",
            "reference_answer": "KW1 KW2 KW3",
            "rubric": RUBRIC,
            "weak": [{"answer": "x", "verdicts": [0, 0, 0], "score": 0.0}],
            "thresholds": PRESETS["deployed"].to_dict(),
        }
        for d in ("a", "b")
    ]
    path = tmp_path / "rounds.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    engines = {"weak": ScriptedEngine(weak), "judge": ScriptedEngine(World().judge)}
    lms = {role: dspy.LM(f"scripted/{role}", engine=e, cache=False, num_retries=0) for role, e in engines.items()}
    run = measure([path], [1.0, 0.0], "default", lms=lms)
    scores = {(r["doc_id"], r["temperature"]): r["score"] for r in run["rows"]}
    assert scores == {("a", 1.0): 0.0, ("a", 0.0): 0.333333, ("b", 1.0): 0.0, ("b", 0.0): 1.0}
    s = run["summary"]
    assert (s["1.0"]["zero"], s["1.0"]["window"], s["1.0"]["too_good"]) == (2, 0, 0)
    assert (s["0.0"]["zero"], s["0.0"]["window"], s["0.0"]["too_good"]) == (0, 1, 1)
    run |= {"command": "bench", "commit": "abc", "seconds": 1.0}
    assert "| x | abc | 0.0 | 2 | 0 | 0 | 1 | 1 | 0.67" in render({"x": run})
