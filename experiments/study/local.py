"""The Optuna study of a compile: sampler, seeded first trials, running them and picking the best.

Its storage (`experiments.study.storage`) defaults to a SQLite file in the run directory and accepts
any Optuna storage URL (a shared PostgreSQL for several machines, `journal:<path>` for a journal file).
The sampler is a seeded TPE with
`group=True` (the penalty parameters are conditional). The first two trials are the paper's two
structures (baseline rules with penalties; no penalties with weights capped at 7), so even a two-trial
study measures the paper's finding; TPE explores after them. Failed trials are recorded as FAIL and
the study goes on: a trial that fails for its own reasons raises `TrialFailed`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import optuna

from experiments.config import RunConfig
from experiments.study.storage import make_storage, storage_url

log = logging.getLogger("autodata.study")


class TrialFailed(Exception):
    """A trial that failed for its own reasons; Optuna records it as FAIL and the study goes on."""


def seed_trials(space: list[str]) -> list[dict[str, Any]]:
    """The paper's two structures, restricted to the searched parameters."""
    first = {"allow_penalties": True, "weight_cap": 10, "max_penalties": 5, "penalty_cap": 10}
    second = {"allow_penalties": False, "weight_cap": 7}
    return [{k: v for k, v in params.items() if k in space} for params in (first, second)]


def open_study(cfg: RunConfig, out: Path) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=cfg.search.seed, multivariate=True, group=True)
    name = cfg.search.study_name or f"autodata-{out.resolve().name}"
    study = optuna.create_study(
        study_name=name,
        storage=make_storage(storage_url(cfg, out)),
        direction="maximize",
        sampler=sampler,
        load_if_exists=True,
    )
    if not study.trials:
        for params in seed_trials(cfg.search.space):
            if params:
                study.enqueue_trial(params, skip_if_exists=True)
    elif cfg.search.storage is None:
        requeue_interrupted(study)
    return study


def requeue_interrupted(study: optuna.Study) -> int:
    """After a crash, trials of this run's private study left RUNNING are failed and queued again.

    Only for the run directory's own storage: in a shared storage other workers' RUNNING trials are
    alive, and dead workers are detected by the storage heartbeat instead.
    """
    stale = [t for t in study.trials if t.state == optuna.trial.TrialState.RUNNING]
    for trial in stale:
        study._storage.set_trial_state_values(trial._trial_id, optuna.trial.TrialState.FAIL)
        study.enqueue_trial(trial.params, user_attrs={"requeued_from": trial.number})
        log.warning("trial %d was interrupted; it is queued again with the same parameters", trial.number)
    return len(stale)


def run_study(study: optuna.Study, objective, n_trials: int) -> None:
    """Run trials until the study holds `n_trials` finished or failed ones (so a resumed study tops up)."""
    requeued = sum("requeued_from" in t.user_attrs for t in study.trials)
    done = sum(t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL) for t in study.trials)
    done -= requeued  # an interrupted trial that was queued again does not count as one of the n_trials
    remaining = max(0, n_trials - done)
    if remaining:
        study.optimize(objective, n_trials=remaining, catch=(TrialFailed,))


def best_trial(study: optuna.Study) -> optuna.trial.FrozenTrial | None:
    """Highest validation pass rate; ties broken by the optimizer's metric on the validation documents
    (`val_score`), then by the mean gap of accepted examples, then by trial order."""
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None]
    if not done:
        return None
    # Ties go to the earlier trial, counting a re-queued trial by the number it was first given.
    return max(
        done,
        key=lambda t: (
            t.value,
            t.user_attrs.get("val_score") or 0.0,
            t.user_attrs.get("mean_gap") or 0.0,
            -t.user_attrs.get("requeued_from", t.number),
        ),
    )
