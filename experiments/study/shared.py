"""Shared studies: several worker processes or machines run the trials of one Optuna study.

A shared study is created once, before any worker starts, with its whole budget queued as WAITING
trials (the seeded structures first, then blank ones the sampler fills in). Workers only claim queued
trials (an atomic WAITING -> RUNNING switch in the storage), so the study never holds more trials than
its budget however many workers race for the last one. Running more trials later: re-run the creation
with a larger budget. RDB storages (SQLite, PostgreSQL) carry heartbeats: a dead worker's trial
becomes FAIL once its heartbeat is `grace_period` seconds old. A journal file has no heartbeat.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import warnings
from pathlib import Path

import optuna
from optuna.storages._heartbeat import BaseHeartbeat  # RDB storages (and their cache) beat

from experiments.config import ConfigError, RunConfig
from experiments.study.local import TrialFailed, open_study

log = logging.getLogger("autodata.study")


def create_shared_study(cfg: RunConfig, out: Path, n_trials: int) -> optuna.Study:
    """Create (or top up) the study named by the config and queue trials until it holds `n_trials`."""
    study = open_study(cfg, out)
    for _ in range(n_trials - len(study.trials)):
        study.enqueue_trial({}, skip_if_exists=False)
    return study


def join_study(name: str, storage, seed: int) -> optuna.Study:
    """Load an existing study for a worker, with its own seeded TPE sampler; a missing study is a ConfigError."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True)
    try:
        return optuna.load_study(study_name=name, storage=storage, sampler=sampler)
    except KeyError:
        raise ConfigError(f"study {name!r} does not exist in this storage; create it first (--create)") from None


def worker_id() -> str:
    """This process's name among the workers: host and process id."""
    return f"{socket.gethostname()}-{os.getpid()}"


def finished_count(study: optuna.Study) -> int:
    return sum(t.state.is_finished() for t in study.get_trials(deepcopy=False))


def claim_trial(study: optuna.Study, budget: int) -> optuna.Trial | None:
    """Atomically take one queued trial numbered below `budget` (WAITING -> RUNNING), or None."""
    storage = study._storage  # the study's own (possibly cached) storage, so its view stays consistent
    study_id = storage.get_study_id_from_name(study.study_name)
    for frozen in storage.get_all_trials(study_id, deepcopy=False, states=(optuna.trial.TrialState.WAITING,)):
        if frozen.number >= budget:
            continue
        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, frozen.number)
        try:
            if storage.set_trial_state_values(trial_id, state=optuna.trial.TrialState.RUNNING):
                return optuna.Trial(study, trial_id)
        except optuna.exceptions.UpdateFinishedTrialError:
            continue
    return None


def fail_stale(study: optuna.Study) -> None:
    """Mark RUNNING trials whose heartbeat is older than the grace period as FAIL (RDB storages only)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optuna.storages.fail_stale_trials(study)


@contextlib.contextmanager
def heartbeat(study: optuna.Study, trial: optuna.Trial):
    """Record the trial's heartbeat every interval while the block runs (a no-op without heartbeats)."""
    storage = study._storage
    if not isinstance(storage, BaseHeartbeat) or not (interval := storage.get_heartbeat_interval()):
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        while True:
            storage.record_heartbeat(trial._trial_id)
            if stop.wait(interval):
                return

    thread = threading.Thread(target=beat, name=f"heartbeat-{trial.number}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def run_queued(study: optuna.Study, objective, budget: int, max_trials: int | None = None) -> list[int]:
    """Claim and run queued trials until none is left below `budget` (or `max_trials` ran here).

    TrialFailed records FAIL and goes on; any other exception records FAIL and propagates. Returns the
    numbers of the trials this process ran.
    """
    ran: list[int] = []
    while max_trials is None or len(ran) < max_trials:
        fail_stale(study)
        trial = claim_trial(study, budget)
        if trial is None:
            break
        ran.append(trial.number)
        with heartbeat(study, trial):
            try:
                value = objective(trial)
            except TrialFailed as exc:
                _tell(study, trial, None, str(exc))
                continue
            except BaseException as exc:
                _tell(study, trial, None, f"{type(exc).__name__}: {exc}")
                raise
        _tell(study, trial, value, None)
    return ran


def _tell(study: optuna.Study, trial: optuna.Trial, value: float | None, failure: str | None) -> None:
    try:
        if failure is None:
            study.tell(trial, value)
        else:
            trial.set_user_attr("fail_reason", failure[:500])
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
    except optuna.exceptions.UpdateFinishedTrialError:
        log.warning("trial %d was already failed as stale by another worker; its result is dropped", trial.number)


def wait_for_trials(study: optuna.Study, n_trials: int, timeout: float, poll: float = 5.0) -> bool:
    """Wait until the study holds `n_trials` finished trials (for a compile whose study runs on workers)."""
    deadline = time.monotonic() + timeout
    while finished_count(study) < n_trials:
        fail_stale(study)
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll)
    return True
