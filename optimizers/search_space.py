"""The rubric-structure search space, a function of an Optuna trial.

`suggest(trial, base, space)` samples the parameters named in `space` and keeps the rest of `base`.
Penalty parameters are conditional: they are only sampled when penalties are allowed, so TPE must run
with `group=True`. It returns the structure plus loop settings that belong to the harness (solver
sample count, round budget). Tested with `optuna.trial.FixedTrial`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from programs.structure import RubricStructure

if TYPE_CHECKING:  # types only: importing optimizers must not import optuna
    from optuna.trial import BaseTrial

CHOICES: dict[str, list[int] | list[bool]] = {
    "weight_cap": [3, 5, 7, 10],
    "penalty_cap": [3, 5, 10],
    "graded": [False, True],
    "allow_penalties": [True, False],
}
SEARCHABLE = (
    "allow_penalties",
    "max_penalties",
    "penalty_cap",
    "weight_cap",
    "max_positive",
    "graded",
    "n_samples",
    "max_rounds",
)


@dataclass
class Suggestion:
    structure: RubricStructure
    n_samples: int | None = None
    max_rounds: int | None = None


def suggest(
    trial: BaseTrial, base: RubricStructure, space: list[str], n_samples: int = 3, max_rounds: int = 4
) -> Suggestion:
    unknown = sorted(set(space) - set(SEARCHABLE))
    if unknown:
        raise ValueError(f"search.space: unknown parameter(s) {unknown}; searchable: {', '.join(SEARCHABLE)}")
    p = base.model_dump()
    if "allow_penalties" in space:
        p["allow_penalties"] = trial.suggest_categorical("allow_penalties", CHOICES["allow_penalties"])
    if p["allow_penalties"]:
        if "max_penalties" in space:
            p["max_penalties"] = trial.suggest_int("max_penalties", 1, 5)
            p["min_penalties"] = min(p["min_penalties"], p["max_penalties"])
        p["min_penalties"] = max(1, min(p["min_penalties"], p["max_penalties"]))
        if "penalty_cap" in space:
            p["penalty_cap"] = trial.suggest_categorical("penalty_cap", CHOICES["penalty_cap"])
    else:
        p["min_penalties"], p["max_penalties"] = 0, 0
    if "weight_cap" in space:
        p["weight_cap"] = trial.suggest_categorical("weight_cap", CHOICES["weight_cap"])
    if "max_positive" in space:
        p["max_positive"] = trial.suggest_int("max_positive", p["min_positive"], max(p["min_positive"], 10))
    if "graded" in space:
        p["graded"] = trial.suggest_categorical("graded", CHOICES["graded"])
    out = Suggestion(RubricStructure(**p))
    if "n_samples" in space:
        out.n_samples = trial.suggest_int("n_samples", 1, max(1, n_samples))
    if "max_rounds" in space:
        out.max_rounds = trial.suggest_int("max_rounds", 1, max(1, max_rounds))
    return out
