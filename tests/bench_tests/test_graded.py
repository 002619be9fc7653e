"""bench.graded on scripted models: one read per answer, decided with binary and with graded verdicts."""

from __future__ import annotations

import json
import re

import dspy
import pytest

from bench.graded import measure, render, weak_scored
from metrics.acceptance import PRESETS
from testkit.scripted import ScriptedEngine

RUBRIC = [{"criterion": f"Explains that KW{i} drives the effect", "weight": 5} for i in (1, 2, 3)]
REFERENCE = "KW1! KW2! KW3!"


def judge(p) -> float:
    """P(yes): 0.95 for a point made as firmly as the reference ("KW1!"), 0.5 for a point only named, else 0.05.
    The context anchor makes no point, so a named point sits exactly halfway (binary 1, graded 0.5)."""
    answer, criterion = p.user.split("Answer to grade:\n", 1)[1].rsplit("\n\nA ", 1)
    key = re.search(r"KW\d+", criterion).group(0)
    return 0.95 if f"{key}!" in answer else 0.5 if re.search(rf"\b{key}\b", answer) else 0.05


def strong(p) -> dict:
    return {"answer": "KW1! KW2! KW3" if "document" in p.inputs else "I do not know."}


def _row(doc_id: str, weak: str, weak_score: float, strong_answer: str | None) -> dict:
    return {
        "doc_id": doc_id,
        "question": f"Why does it work on {doc_id}?",
        "context": "A setup.",
        "reference_answer": REFERENCE,
        "rubric": RUBRIC,
        "reason": "failed_on_strong" if strong_answer else "too_easy",
        "weak": [{"answer": weak, "verdicts": [], "score": weak_score}],
        "strong": [{"answer": strong_answer, "verdicts": [], "score": 1.0}] if strong_answer else [],
        "thresholds": PRESETS["deployed"].to_dict(),
    }


@pytest.fixture
def rounds(tmp_path):
    rows = [
        _row("a", "KW1", 1 / 3, "KW1! KW2 KW3"),  # strong: binary 1.0 (at the cap), graded 2/3
        _row("a", "KW1", 1 / 3, "KW1! KW2 KW3"),  # the same candidate again (a replayed round)
        _row("b", "nothing", 0.0, None),  # weak at 0: rejected by both, no call
        _row("c", "KW1 KW2", 2 / 3, None),  # binary too easy (2/3 > 0.65); graded 1/3: a new strong answer
        {**_row("d", "KW1", 1 / 3, None), "weak": [{"answer": "", "score": None, "error": "x"}]},  # never scored
    ]
    path = tmp_path / "rounds.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_distinct_candidates_with_scored_weak_attempts_are_taken(rounds):
    assert [r["doc_id"] for r in weak_scored([rounds, rounds])] == ["a", "b", "c"]


def test_the_same_reads_are_decided_binary_and_graded(rounds):
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    engines = {"strong": ScriptedEngine(strong), "judge": ScriptedEngine(judge)}
    lms = {role: dspy.LM(f"scripted/{role}", engine=e, cache=False, num_retries=0) for role, e in engines.items()}
    run = measure([rounds], "default", lms=lms, documents={"c": "The paper."})
    rows = {r["doc_id"]: r for r in run["rows"]}
    a, b, c = rows["a"], rows["b"], rows["c"]
    assert a["binary"]["strong_mean"] == 1.0 and a["binary"]["rule"] == "strong mean N >= N: too easy"
    assert a["graded"] == {**a["graded"], "accepted": True, "weak_mean": 0.166667, "strong_mean": 0.666667}
    assert a["strong_source"] == "recorded" and a["weak_as_recorded"] is True
    assert b["seconds"] == 0.0 and not b["binary"]["accepted"] and not b["graded"]["accepted"]
    assert c["binary"]["rule"].startswith("weak mean N must be <= N") and c["strong_source"] == "new"
    assert c["graded"]["accepted"] and c["graded"]["strong_mean"] == 0.833333
    # Anchors (context, reference) once per candidate, then one read per distinct answer: 3 criteria each.
    assert len(engines["judge"].prompts) == 3 * (2 + 2) + 3 * (2 + 2)
    assert len(engines["strong"].prompts) == 1
    summary = run["summary"]
    assert summary["binary"]["accepted"] == 0 and summary["graded"]["accepted"] == 2
    assert summary["paired"] == {**summary["paired"], "only_graded": 2, "only_binary": 0, "new_strong_answers": 1}
    run |= {"command": "bench", "commit": "abc", "seconds": 1.0}
    assert "| x | abc | 3 | 0 | 0 | 2 | 0 | 2 | 1 | 0 |" in render({"x": run})
