"""The rubric-structure search space, exercised with optuna.trial.FixedTrial (no study needed)."""

from __future__ import annotations

import optuna
import pytest

from optimizers.search_space import suggest
from programs import RubricStructure

BASE = RubricStructure(min_positive=3, max_positive=5, min_penalties=2, max_penalties=3)


def test_no_penalties_zeroes_penalty_ranges_and_skips_their_params():
    trial = optuna.trial.FixedTrial({"allow_penalties": False, "weight_cap": 7})
    s = suggest(trial, BASE, ["allow_penalties", "weight_cap", "max_penalties", "penalty_cap"]).structure
    assert (s.allow_penalties, s.min_penalties, s.max_penalties, s.weight_cap) == (False, 0, 0, 7)
    assert "Do not write penalty criteria" in s.render()


def test_penalties_with_count_and_cap():
    params = {"allow_penalties": True, "max_penalties": 1, "penalty_cap": 3, "weight_cap": 10, "max_positive": 8}
    s = suggest(optuna.trial.FixedTrial(params), BASE, list(params)).structure
    assert (s.allow_penalties, s.min_penalties, s.max_penalties, s.penalty_cap) == (True, 1, 1, 3)
    assert s.max_positive == 8 and s.min_positive == 3


def test_graded_and_loop_settings():
    params = {"graded": True, "n_samples": 2, "max_rounds": 3}
    out = suggest(optuna.trial.FixedTrial(params), BASE, list(params), n_samples=3, max_rounds=4)
    assert out.structure.graded and (out.n_samples, out.max_rounds) == (2, 3)


def test_params_outside_the_space_are_kept_from_the_base():
    s = suggest(optuna.trial.FixedTrial({"weight_cap": 5}), BASE, ["weight_cap"]).structure
    assert (s.allow_penalties, s.max_penalties, s.weight_cap) == (True, 3, 5)


def test_unknown_space_parameter_is_an_error():
    with pytest.raises(ValueError, match="unknown parameter"):
        suggest(optuna.trial.FixedTrial({}), BASE, ["temperature"])


def test_a_seeded_study_samples_reproducibly():
    def run():
        sampler = optuna.samplers.TPESampler(seed=5, multivariate=True, group=True)
        study = optuna.create_study(direction="maximize", sampler=sampler)
        space = ["allow_penalties", "max_penalties", "weight_cap"]
        study.optimize(lambda t: float(suggest(t, BASE, space).structure.weight_cap), n_trials=6)
        return [t.params for t in study.trials]

    assert run() == run()
