"""Choosing the compiled trial: validation pass rate first; ties (common when nothing is accepted) go to
the optimizer's own metric on the validation documents (`val_score`), then the mean gap, then trial order."""

from __future__ import annotations

import optuna

from experiments.records.files import read_jsonl
from experiments.report.compile_print import print_summary
from experiments.study.local import best_trial
from experiments.study.trial import metric_on_rows
from metrics.acceptance import thresholds_for
from metrics.metric import make_metric
from testkit.world import World
from tests.experiments_tests.test_compile_outcomes import PLAN, compile_in


def _study(*trials: tuple[float, dict]) -> optuna.Study:
    study = optuna.create_study(direction="maximize")
    dist = {"x": optuna.distributions.IntDistribution(0, 10)}
    for i, (value, attrs) in enumerate(trials):
        study.add_trial(optuna.trial.create_trial(value=value, params={"x": i}, distributions=dist, user_attrs=attrs))
    return study


def test_ties_at_zero_go_to_the_higher_metric_score_then_the_earlier_trial():
    study = _study((0.0, {"val_score": 0.1}), (0.0, {"val_score": 0.3}), (0.0, {"val_score": 0.3}))
    assert best_trial(study).number == 1


def test_the_pass_rate_comes_before_the_metric_score_and_the_metric_before_the_gap():
    study = _study((0.0, {"val_score": 0.9, "mean_gap": 0.9}), (0.5, {"val_score": 0.2}), (0.5, {"val_score": 0.4}))
    assert best_trial(study).number == 2
    study = _study((0.5, {"val_score": 0.2, "mean_gap": 0.9}), (0.5, {"val_score": 0.4, "mean_gap": 0.1}))
    assert best_trial(study).number == 1
    assert best_trial(_study((0.0, {}), (0.0, {"mean_gap": 0.3}))).number == 1  # records without val_score


def test_the_metric_on_rows_is_the_mean_over_documents_of_the_metric_on_their_rounds(in_tmp, capsys):
    # Under PLAN every document is too easy in round 1 (weak mean 1.00: gap credit 0.1) and accepted in
    # round 2 (credit 1), and the gap metric takes a document's best round.
    summary, _ = compile_in(in_tmp, World(n_penalty=None, plan=PLAN))
    rows = [r for r in read_jsonl(in_tmp / "run" / "rounds.jsonl") if r["phase"] == "baseline"]
    a, b = sorted({r["doc_id"] for r in rows})[:2]
    gap = make_metric("gap", thresholds_for("paper"))
    picked = [r for r in rows if r["doc_id"] == a] + [r for r in rows if r["doc_id"] == b and r["round"] == 1]
    assert [r["reason"] for r in picked] == ["too_easy", "accepted", "too_easy"]
    assert metric_on_rows(gap, picked, [a, b, "no-such-paper"]) == round((1.0 + 0.1 + 0.0) / 3, 6)
    assert summary["trials"][0]["val_score"] == 1.0  # both validation papers accepted in round 2
    comparison = (in_tmp / "run" / "comparison.md").read_text()
    assert "| validation pass rate | validation metric score |" in comparison
    assert "| 0 (compiled) | complete | " in comparison and "| 1.000 | 1.000 | 2/2 |" in comparison
    print_summary(summary)
    assert "trials (val pass rate / metric score): #0 complete 1.0 / 1.0" in capsys.readouterr().out
