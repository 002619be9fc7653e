"""Optuna storages for the compile study and the shared studies of `worker` and `shard`.

`storage_url(cfg, out)` is the configured `search.storage` or a SQLite file in the run directory;
`make_storage(url)` opens any Optuna storage URL (`journal:<path>` for a journal file, PostgreSQL or
MySQL with heartbeats); `shared_storage(url)` is the one workers share: RDB with heartbeats (SQLite
too, with a long lock timeout) or a journal file. Storage URLs in messages go through `redact`.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

from experiments.config import RunConfig


def storage_url(cfg: RunConfig, out: Path) -> str:
    return cfg.search.storage or f"sqlite:///{(out / 'optuna.db').resolve()}"


def make_storage(url: str) -> Any:
    """An Optuna storage (or the URL Optuna opens itself) for `url`."""
    if url.startswith("journal:"):
        return JournalStorage(JournalFileBackend(url.removeprefix("journal:")))
    if url.startswith(("postgresql", "mysql")):
        return optuna.storages.RDBStorage(url, heartbeat_interval=60, grace_period=180)
    return url


def shared_storage(url: str, heartbeat_interval: int = 60, grace_period: int = 180) -> Any:
    """An Optuna storage for workers: RDB with heartbeats (also for SQLite), or a journal file."""
    if url.startswith("journal:"):
        return make_storage(url)
    kwargs = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {"pool_pre_ping": True}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeats are "experimental"
        return optuna.storages.RDBStorage(
            url, heartbeat_interval=heartbeat_interval, grace_period=grace_period, engine_kwargs=kwargs
        )


def redact(url: str) -> str:
    """A storage URL with its password hidden (for files and messages)."""
    if url.startswith(("postgresql", "mysql")):
        from sqlalchemy.engine import make_url  # only for RDB URLs: optuna does not load sqlalchemy otherwise

        return make_url(url).render_as_string(hide_password=True)
    return url
