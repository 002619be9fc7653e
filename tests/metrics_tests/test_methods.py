"""Per-method statistics and paired differences from the recorded `fixtures/rounds.jsonl`.

Expected numbers, by hand from `fixtures/eval_world.DOC_PLANS` (4 criteria of weight 5, a -3 penalty that
no answer triggers, paper preset: weak < .5, strong >= .65, gap >= .2, two rounds for the loop):
- one-shot baselines, round 1 of each document: (weak, strong) = (.75, 1), (.25, 1), (0, .5), (1, 0):
  means .5 / .625 / gap .125, one accepted (paper 1), failed: too_easy 2, failed_on_strong 1;
- agentic: paper 0 accepted at round 2 (.25, 1), paper 1 at round 1 (.25, 1), paper 2 at round 2
  (0, .75), paper 3 too easy twice: means .1667 / .9167 / gap .75, acceptance 3/4, rounds 5/3 (median 2).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from metrics import methods as mt
from metrics.stats import wilson

FIXTURE = Path(__file__).parents[1] / "experiments_tests" / "fixtures" / "rounds.jsonl"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


METHODS = ["cot", "grounded", "self_instruct", "agentic"]


@pytest.fixture
def rows():
    return read_jsonl(FIXTURE)


def docs(rows):
    return sorted({r["doc_id"] for r in rows})


@pytest.mark.parametrize("method", ["cot", "grounded", "self_instruct"])
def test_baseline_statistics(rows, method):
    s = mt.method_stats(rows, docs(rows), method)
    assert (s["documents"], s["outputs"], s["accepted"], s["rounds"]) == (4, 4, 1, 4)
    assert s["weak_mean"]["mean"] == pytest.approx(0.5) and s["strong_mean"]["mean"] == pytest.approx(0.625)
    assert s["gap"]["mean"] == pytest.approx(0.125)
    assert s["acceptance_ci95"] == list(wilson(1, 4))
    assert s["failure_mix"] == {"too_easy": 2, "failed_on_strong": 1, "failed_quality": 0, "invalid": 0, "error": 0}
    assert (s["rounds_per_accepted"], s["rounds_per_accepted_median"]) == (1.0, 1)
    assert (s["rubric_size"], s["penalty_share"]) == (5.0, 0.2)
    assert s["seconds_per_accepted"] == 4.0  # four rounds of 1 s for one accepted example


def test_agentic_statistics(rows):
    s = mt.method_stats(rows, docs(rows), "agentic")
    assert (s["outputs"], s["accepted"], s["rounds"], s["acceptance"]) == (3, 3, 7, 0.75)
    assert s["weak_mean"]["mean"] == pytest.approx(1 / 6, abs=1e-6)
    assert s["strong_mean"]["mean"] == pytest.approx(11 / 12, abs=1e-6)
    assert s["gap"] == {"n": 3, "mean": 0.75, "lo": 0.75, "hi": 0.75}
    assert (s["rounds_per_accepted"], s["rounds_per_accepted_median"]) == (1.667, 2)
    assert s["failure_mix"]["too_easy"] == 3 and s["failure_mix"]["failed_on_strong"] == 1
    assert set(s["tokens_per_accepted"]) == {"challenger", "verifier", "weak", "strong", "judge"}


def test_paired_differences_on_the_same_documents(rows):
    pairs = mt.paired(rows, docs(rows), METHODS)
    assert set(pairs) == {"agentic - cot", "agentic - grounded", "agentic - self_instruct"}
    d = pairs["agentic - cot"]
    # acceptance per document: 1-0, 1-1, 1-0, 0-0; scores on the 3 documents both have an output for.
    assert (d["acceptance"]["n"], d["acceptance"]["mean"]) == (4, 0.5)
    assert (d["weak_mean"]["n"], d["weak_mean"]["mean"]) == (3, pytest.approx(-1 / 6, abs=1e-6))
    assert d["gap"]["mean"] == pytest.approx(0.25) and d["gap"]["lo"] <= 0.25 <= d["gap"]["hi"]
    assert d["strong_mean"]["mean"] == pytest.approx(1 / 12, abs=1e-6)
