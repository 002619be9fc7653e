"""The threshold sweep over recorded rounds: hand-checked outcomes, counts, distributions, probe warnings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from metrics import calibration as cal
from metrics.acceptance import thresholds_for

FIXTURE = Path(__file__).parents[1] / "experiments_tests" / "fixtures" / "rounds.jsonl"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


RUBRIC = [
    {"criterion": "names KW1", "weight": 5},
    {"criterion": "names KW2", "weight": 5},
    {"criterion": "claims ERR1", "weight": -5},
]


def row(weak, strong, rubric=RUBRIC, reason="accepted"):
    def attempts(verdict_lists):
        return [{"answer": "a", "verdicts": v, "score": 0.0} for v in verdict_lists]

    return {"doc_id": "d", "round": 1, "phase": "p", "rubric": rubric, "reason": reason,
            "weak": attempts(weak), "strong": attempts(strong)}  # fmt: skip


def test_rescoring_reproduces_the_recorded_decisions():
    t = thresholds_for("paper")
    for r in read_jsonl(FIXTURE):
        if r["weak_mean"] is not None:
            assert cal.outcome(r, t)[0] == r["reason"]


def test_outcomes_under_other_thresholds_by_hand():
    # weak verdicts: KW1 only -> .5; strong: both KW and the error -> (10 - 5) / 10 = .5
    r = row(weak=[[1, 0, 0]], strong=[[1, 1, 1]])
    assert cal.outcome(r, thresholds_for("paper")) == ("too_easy", pytest.approx(0.0))
    loose = thresholds_for("custom", weak_mean_max=0.65, strong_mean_min=0.5, gap_min=0.0)
    assert cal.outcome(r, loose)[0] == "accepted"
    # penalties ignored: strong 1.0, weak .5 -> gap .5
    assert cal.outcome(r, thresholds_for("custom", weak_mean_max=0.6), positive_only=True) == ("accepted", 0.5)


def test_gated_rounds_are_undetermined_when_a_setting_passes_their_weak_side():
    r = row(weak=[[1, 0, 0]], strong=[])
    assert cal.outcome(r, thresholds_for("paper"))[0] == "too_easy"  # .5 is not < .5
    assert cal.outcome(r, thresholds_for("deployed"))[0] == "undetermined"  # .5 <= .65
    assert cal.outcome(row([], [], rubric=[]), thresholds_for("paper"))[0] == "unscored"


def test_sweep_counts_and_distributions():
    rows = [row([[0, 0, 0]], [[1, 1, 0]]), row([[1, 1, 0]], [[1, 1, 0]]), row([[1, 0, 0]], [])]
    paper = next(s for s in cal.sweep(rows) if s["setting"] == "paper")
    assert (paper["candidates"], paper["accepted"], paper["undetermined"]) == (3, 1, 0)
    assert paper["gap"]["q50"] == 1.0 and paper["reasons"] == {"accepted": 1, "too_easy": 2}
    dist = cal.distributions(rows)
    assert dist["weak_round_mean"]["n"] == 3 and dist["weak_round_mean"]["q50"] == 0.5
    assert dist["strong_attempt"] == {"n": 2, "q0": 1.0, "q10": 1.0, "q25": 1.0, "q50": 1.0, "q75": 1.0,
                                      "q90": 1.0, "q100": 1.0}  # fmt: skip


@pytest.mark.parametrize(
    ("weak", "strong", "expected"),
    [
        ([[1, 1, 0]], [[1, 1, 0]], "weak model too strong"),
        ([[0, 0, 0]], [[1, 0, 0]], "strong model too weak"),
        ([[0, 0, 0]], [[1, 1, 0]], None),
    ],
)
def test_probe_warnings(weak, strong, expected):
    found = cal.probe_warnings([row(weak, strong)], thresholds_for("blog"))
    assert found[0].startswith(expected) if expected else found == []


def test_probe_warns_when_the_gap_is_never_reached():
    t = thresholds_for("custom", weak_mean_max=0.6, strong_mean_min=0.5, gap_min=0.6)
    assert cal.probe_warnings([row([[1, 0, 0]], [[1, 1, 0]])], t)[0].startswith("gap never reached")


def test_probe_warns_when_no_candidate_reaches_the_solvers():
    rows = [{**row([], []), "reason": "failed_quality"}]
    assert "challenger or verifier is the bottleneck" in cal.probe_warnings(rows, thresholds_for("paper"))[0]
