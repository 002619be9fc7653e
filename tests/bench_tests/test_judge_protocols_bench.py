"""bench.judge_protocols on scripted models: the same answers, judged by two protocols, decided.

(Not test_judge_protocols.py: the tests folders are not packages, and programs_tests has that name.)
"""

from __future__ import annotations

import json
import re

import dspy
import pytest

from bench.judge_protocols import measure, render
from testkit.scripted import ScriptedEngine
from tests.bench_tests.test_graded import _row, strong
from tests.support.logprob_engine import LogprobEngine


def _key(text: str) -> str:
    return re.search(r"KW\d", text).group(0)


def p_yes(system: str, user: str) -> float:
    """The probability judge: a point only named sits exactly halfway between the anchors (met, 0.5)."""
    answer, criterion = user.split("Answer to grade:\n", 1)[1].rsplit("\n\nA ", 1)
    key = _key(criterion)
    return 0.95 if f"{key}!" in answer else 0.5 if key in answer else 0.05


def loglik(system: str, user: str, reply: str) -> float:
    """The likelihood judge is stricter: a point only named is a ninth of the way up (not met)."""
    answer, key = user.split("Answer:\n", 1)[1], _key(reply)
    return -1.0 if f"{key}!" in answer else -9.0 if key in answer else -10.0


@pytest.fixture
def rounds(tmp_path):
    rows = [
        _row("a", "KW1", 0.5, "KW1! KW2 KW3"),  # probability: weak 1/6, strong 2/3; likelihood: weak 0
        _row("b", "KW1!", 0.5, "KW1! KW2! KW3"),  # both accept: strong 5/6 and 2/3
        _row("c", "KW1!", 0.5, None),  # past the weak gate for both: one new strong answer, judged by both
        _row("d", "nothing", 0.5, None),  # weak 0 for both: no strong answer needed
    ]
    path = tmp_path / "rounds.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_both_judges_decide_the_same_answers_through_the_loops_checks(rounds):
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    solver = ScriptedEngine(strong)
    lms = {
        "strong": dspy.LM("scripted/strong", engine=solver, cache=False, num_retries=0),
        "judge": dspy.LM("scripted/judge", engine=LogprobEngine(p_yes, loglik=loglik), cache=False, num_retries=0),
    }
    run = measure([rounds], "default", lms=lms, documents={"c": "The paper."})
    rows = {r["doc_id"]: r for r in run["rows"]}
    a, b, c, d = rows["a"], rows["b"], rows["c"], rows["d"]
    assert a["probability"] == {**a["probability"], "accepted": True, "weak_mean": 0.166667, "strong_mean": 0.666667}
    assert not a["likelihood"]["accepted"] and a["likelihood"]["rule"].startswith("a weak attempt scored N")
    assert b["probability"]["strong_mean"] == 0.833333 and b["likelihood"]["strong_mean"] == 0.666667
    assert b["probability"]["accepted"] and b["likelihood"]["accepted"] and b["strong_source"] == "recorded"
    assert c["strong_source"] == "new" and c["probability"]["accepted"] and c["likelihood"]["accepted"]
    assert len(solver.prompts) == 1, "one strong answer, drawn once, read by both judges"
    assert d["strong_source"] == "none" and not d["probability"]["accepted"] and not d["likelihood"]["accepted"]
    summary = run["summary"]
    assert (summary["probability"]["accepted"], summary["likelihood"]["accepted"]) == (3, 2)
    assert summary["paired"] == {
        "errors": 0,
        "only_probability": 1,
        "only_likelihood": 0,
        "new_strong_answers": 1,
    }
    run |= {"command": "bench", "commit": "abc", "seconds": 1.0}
    assert "| x | abc | 4 | 0 | 3 | 2 | 1 | 0 |" in render({"x": run})


def test_a_sanity_failure_rejects_before_any_answer_is_read(rounds, tmp_path):
    row = {**_row("e", "KW1!", 0.5, "KW1! KW2! KW3!"), "reference_answer": "KW1 only"}  # reference below 0.60
    path = tmp_path / "sanity.jsonl"
    path.write_text(json.dumps(row) + "\n")
    lms = {
        "strong": dspy.LM("scripted/strong", engine=ScriptedEngine(strong), cache=False, num_retries=0),
        "judge": dspy.LM("scripted/judge", engine=LogprobEngine(p_yes, loglik=loglik), cache=False, num_retries=0),
    }
    (only,) = measure([path], "default", lms=lms, documents={})["rows"]
    for protocol in ("probability", "likelihood"):
        assert only[protocol] == {
            "accepted": False,
            "rule": "sanity: the reference answer scores only N under its own rubric (need >= N)",
        }
