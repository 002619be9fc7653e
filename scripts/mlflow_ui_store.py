"""What the MLflow UI check expects to see, read from the store itself (for scripts/check_mlflow_ui.py).

`resolve_store(target)` turns a compile's --out folder, an mlflow.db, its folder or a tracking URI into a
tracking URI (and the compile's parent run id when summary.json names it); `read_expected(...)` reads the
experiment, the parent run, its nested runs and their per-round CHART_KEYS curves into an `Expected`.
It never creates a store: a missing sqlite file is a `CheckFailed`, not an empty database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHART_KEYS = ["weak_mean", "gap"]  # per-round metrics charted on the metric page


class CheckFailed(Exception):
    """A one-line reason the UI check failed."""


@dataclass
class Expected:
    uri: str
    experiment_id: str
    experiment_name: str
    parent_id: str
    parent_name: str
    children: dict[str, str] = field(default_factory=dict)  # run name -> run id
    curves: dict[tuple[str, str], list[float]] = field(default_factory=dict)  # (run name, metric) -> values

    @property
    def trials(self) -> list[str]:
        return sorted(n for n in self.children if n.startswith("trial-"))


def resolve_store(target: str) -> tuple[str, str | None]:
    """A tracking URI, and the parent run id when the target is a compile's output folder."""
    if "://" in target:
        return _existing(target), None
    path = Path(target).expanduser().resolve()
    if path.is_file() and path.name == "summary.json":
        path = path.parent
    if path.is_dir() and (path / "summary.json").exists():
        mlf = json.loads((path / "summary.json").read_text()).get("mlflow") or {}
        if not mlf.get("tracking_uri"):
            raise CheckFailed(f"{path / 'summary.json'} names no MLflow store (tracking was off?)")
        return _existing(mlf["tracking_uri"]), mlf.get("parent_run_id")
    if path.is_dir():
        path = path / "mlflow.db"
    if not path.is_file():
        raise CheckFailed(f"no MLflow store at {path}")
    return f"sqlite:///{path}", None


def _existing(uri: str) -> str:
    """Refuse a sqlite URI whose file is missing (MLflow would quietly create an empty store there)."""
    if uri.startswith("sqlite:///"):
        db = Path(uri.removeprefix("sqlite:///"))
        if not db.is_file():
            raise CheckFailed(f"no MLflow store at {db} ({uri})")
    return uri


def read_expected(uri: str, parent_id: str | None, experiment: str | None) -> Expected:
    """The compile's parent run (given, else the newest top-level run with nested runs) and its nested runs."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    if parent_id is None:
        exps = [client.get_experiment_by_name(experiment)] if experiment else client.search_experiments()
        exps = [e for e in exps if e is not None]
        if not exps:
            raise CheckFailed(f"no experiment {experiment!r} in {uri}" if experiment else f"no experiments in {uri}")
        parents = [
            r
            for r in client.search_runs([e.experiment_id for e in exps], order_by=["attributes.start_time DESC"])
            if "mlflow.parentRunId" not in r.data.tags
        ]
        parents = [r for r in parents if _children(client, r)] or parents
        if not parents:
            raise CheckFailed(f"no runs in {uri}")
        parent = parents[0]
    else:
        parent = client.get_run(parent_id)
    exp = client.get_experiment(parent.info.experiment_id)
    children = {c.info.run_name: c.info.run_id for c in _children(client, parent)}
    expected = Expected(uri, exp.experiment_id, exp.name, parent.info.run_id, parent.info.run_name, children)
    if not expected.trials:
        raise CheckFailed(f"parent run {parent.info.run_name} ({parent.info.run_id}) has no nested trial-N runs")
    for name, run_id in children.items():
        for key in CHART_KEYS:
            history = sorted(client.get_metric_history(run_id, key), key=lambda m: (m.step, m.timestamp))
            expected.curves[name, key] = [m.value for m in history]
    return expected


def _children(client: Any, parent: Any) -> list[Any]:
    return list(
        client.search_runs(
            [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'", max_results=1000
        )
    )
