"""MLflow tracking behind a facade that never kills a run.

One parent run per command; child runs (phases, Optuna trials) are created with explicit parent ids
through `MlflowClient`, so threads can log without MLflow's thread-local active-run stack. Every call
is guarded: the first failure of each kind is warned about once, later ones are counted, and local run
files stay complete whatever happens to the tracking store. Disabled tracking makes every call a no-op.

`Tracker(...)` is a context manager. By default entering it creates the parent run and leaving it ends
the run (FINISHED, FAILED, or KILLED on Ctrl-C). `attach_to=<run id>` makes an existing run the parent
(a study's run that several workers log into): it is not ended on exit; when it cannot be found, the
tracker warns and makes its own. `end_on_exit=False` leaves a created run RUNNING for a later process
to end (`end(run_id)`). `supersede(run_id)` links a resumed command's run to the one a killed process
left RUNNING in the same output directory, and marks that one and its running children KILLED.

mlflow (about 1.5 s to import) is imported where it is first used, so a run with tracking off never loads it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from experiments.config import TrackingConfig

log = logging.getLogger("autodata.tracking")


def resolve_uri(cfg: TrackingConfig) -> str:
    if cfg.tracking_uri:
        return cfg.tracking_uri
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    return f"sqlite:///{Path.cwd() / 'mlflow.db'}"


class Tracker:
    def __init__(
        self,
        cfg: TrackingConfig,
        run_name: str,
        tags: dict[str, str] | None = None,
        *,
        attach_to: str | None = None,
        end_on_exit: bool = True,
    ):
        self.cfg, self.run_name, self.tags = cfg, run_name, tags or {}
        self.attach_to, self.end_on_exit, self.owned = attach_to, end_on_exit, True
        self.enabled = cfg.enabled
        self.uri = resolve_uri(cfg) if cfg.enabled else None
        self.client: Any = None  # an MlflowClient once entered (mlflow is imported lazily)
        self.experiment_id: str | None = None
        self.parent_id: str | None = None
        self.failures: dict[str, int] = {}
        self._lock = threading.Lock()

    # --- guard -------------------------------------------------------------------------------
    def _guard(self, what: str, fn, *args, **kwargs):
        if not self.enabled or self.client is None:
            return None
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            with self._lock:
                count = self.failures[what] = self.failures.get(what, 0) + 1
            if count == 1:
                log.warning(
                    "MLflow %s failed (%s: %s); the run goes on, local files stay complete",
                    what,
                    type(exc).__name__,
                    str(exc).splitlines()[0][:200] if str(exc) else "",
                )
            return None

    # --- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> Tracker:
        uri = self.uri
        if not self.enabled or uri is None:
            return self
        try:
            import mlflow
            from mlflow.tracking import MlflowClient

            mlflow.set_tracking_uri(uri)
            self.client = MlflowClient(tracking_uri=uri)
            if self.attach_to and self._attach(self.attach_to):
                return self
            exp = self.client.get_experiment_by_name(self.cfg.experiment)
            if exp is None:
                kwargs = {}
                if uri.startswith("sqlite:"):
                    # Artifacts next to the database, not in whatever directory a later run starts from.
                    db = Path(uri.removeprefix("sqlite:///"))
                    kwargs["artifact_location"] = (db.parent / "mlruns").resolve().as_uri()
                self.experiment_id = self.client.create_experiment(self.cfg.experiment, **kwargs)
            else:
                self.experiment_id = exp.experiment_id
            run = self.client.create_run(self.experiment_id, run_name=self.run_name, tags=self.tags)
            self.parent_id = run.info.run_id
        except Exception as exc:
            log.warning(
                "MLflow is unavailable at %s (%s); continuing without tracking",
                self.uri,
                str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__,
            )
            self.client = None
        return self

    def _attach(self, run_id: str) -> bool:
        try:
            run = self.client.get_run(run_id)
        except Exception as exc:
            log.warning("MLflow run %s is not in %s (%s); logging to a run of this process", run_id, self.uri, exc)
            return False
        self.experiment_id, self.parent_id, self.owned = run.info.experiment_id, run.info.run_id, False
        return True

    def __exit__(self, exc_type, exc, tb) -> None:
        status = "FINISHED" if exc_type is None else ("KILLED" if exc_type is KeyboardInterrupt else "FAILED")
        if self.parent_id and self.owned and self.end_on_exit:
            self._guard("end run", self.client.set_terminated, self.parent_id, status)

    def supersede(self, run_id: str) -> None:
        """Link this process's parent run to `run_id`, the parent run an earlier process left in the same
        output directory; if that process was killed (its run still RUNNING), mark it and its RUNNING child
        runs KILLED, so the UI shows no run as running that no process owns."""
        if not (self.parent_id and self.owned) or run_id == self.parent_id:
            return
        old = self._guard("read the earlier run", self.client.get_run, run_id)
        if old is None:
            return
        self.set_tags(self.parent_id, {"autodata.resumes": run_id})
        self.set_tags(run_id, {"autodata.resumed_by": self.parent_id})
        if old.info.status != "RUNNING":
            return
        query = f"tags.mlflow.parentRunId = '{run_id}' and attributes.status = 'RUNNING'"
        children = self._guard("find child runs", self.client.search_runs, [old.info.experiment_id], query) or []
        for run in [*children, old]:
            self._guard("end run", self.client.set_terminated, run.info.run_id, "KILLED")

    # --- runs --------------------------------------------------------------------------------
    def child(self, name: str, params: dict[str, Any] | None = None, tags: dict[str, str] | None = None) -> str | None:
        if not self.parent_id:
            return None
        all_tags = {"mlflow.parentRunId": self.parent_id, **(tags or {})}
        run = self._guard("create child run", self.client.create_run, self.experiment_id, run_name=name, tags=all_tags)
        if run is None:
            return None
        if params:
            self.log_params(run.info.run_id, params)
        return run.info.run_id

    def end(self, run_id: str | None, status: str = "FINISHED") -> None:
        if run_id:
            self._guard("end run", self.client.set_terminated, run_id, status)

    @contextlib.contextmanager
    def active(self, run_id: str | None) -> Iterator[None]:
        """Make a child the fluent API's active run (for libraries that log to the active run, like GEPA)."""
        started = None
        if run_id and self.client is not None:
            import mlflow

            started = self._guard("activate run", mlflow.start_run, run_id=run_id)
        try:
            yield
        finally:
            if started is not None:
                import mlflow

                self._guard("deactivate run", mlflow.end_run)

    # --- logging -----------------------------------------------------------------------------
    def log_params(self, run_id: str | None, params: dict[str, Any]) -> None:
        if not run_id or not params:
            return
        from mlflow.entities import Param

        items = [Param(str(k)[:250], str(v)[:6000]) for k, v in params.items()]
        for start in range(0, len(items), 100):
            self._guard("log params", self.client.log_batch, run_id, params=items[start : start + 100])

    def log_metrics(self, run_id: str | None, metrics: dict[str, float], step: int | None = None) -> None:
        if not run_id:
            return
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        items = [Metric(k, float(v), now, step or 0) for k, v in metrics.items() if v is not None]
        if items:
            self._guard("log metrics", self.client.log_batch, run_id, metrics=items)

    def set_tags(self, run_id: str | None, tags: dict[str, str]) -> None:
        for key, value in tags.items():
            if run_id:
                self._guard("set tag", self.client.set_tag, run_id, key, str(value))

    def log_dspy_model(self, program: Any, name: str, pip_requirements: list[str]) -> None:
        """Log a DSPy program as an MLflow model of the parent run. This flavour PICKLES the program
        and DSPy's settings (cloudpickle); callers remove anything secret first."""
        if not self.parent_id:
            return

        def log() -> None:
            import mlflow.dspy

            with self.active(self.parent_id):
                mlflow.dspy.log_model(program, name=name, pip_requirements=pip_requirements, use_dspy_model_save=True)

        self._guard("log model", log)

    def log_artifact(self, run_id: str | None, path: Path, artifact_path: str | None = None) -> None:
        if run_id and Path(path).exists():
            self._guard("log artifact", self.client.log_artifact, run_id, str(path), artifact_path)

    def log_artifacts(self, run_id: str | None, folder: Path, artifact_path: str | None = None) -> None:
        if run_id and Path(folder).is_dir():
            self._guard("log artifacts", self.client.log_artifacts, run_id, str(folder), artifact_path)
