"""One Optuna trial of the compile study: a rubric structure, a DSPy optimizer run, a validation score.

The objective samples a structure (`optimizers.search_space`), builds the harness with it, lets the
configured optimizer improve the challenger on the training documents (phase "optimize"), runs the
result on the validation documents (phase "select") and returns the validation pass rate. The mean gap
of accepted validation examples is stored as a user attribute and breaks ties. Each trial gets a
nested MLflow run (the optimizer's own per-iteration logging goes into it) and a folder with its
exported candidate harness. A FatalLMError stops the study; any other failure fails just the trial.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import dspy

from experiments.config import RunConfig
from experiments.records.resume import Recorded, structure_key
from experiments.records.rows import fingerprint, record_from_row
from experiments.records.sink import PhaseContext, RoundSink
from experiments.report.summary import summarize
from experiments.run.build import bind_lms, build_program, metric_record, thresholds
from experiments.run.harness import export_harness
from experiments.run.phase import run_phase
from experiments.study.local import TrialFailed
from experiments.study.optimizer_usage import optimizer_calls
from experiments.tracking import Tracker
from metrics.metric import make_metric
from optimizers import OptimizerSpec, get
from optimizers.search_space import suggest
from programs import hooks
from programs.budget import BudgetExceeded
from programs.errors import FatalLMError

log = logging.getLogger("autodata.trials")


def examples(docs: list) -> list[dspy.Example]:
    return [dspy.Example(document=d.text, doc_id=d.id).with_inputs("document", "doc_id") for d in docs]


@dataclass
class TrialRunner:
    cfg: RunConfig
    lms: dict[str, dspy.LM]
    splits: dict[str, list]
    sink: RoundSink
    tracker: Tracker
    out: Path
    workers: int = 1

    def __post_init__(self) -> None:
        # Rounds recorded before this process started (a killed run resumed in the same --out): an
        # optimizer re-running an interrupted trial gets them back instead of paying for them again.
        self.earlier = Recorded(self.sink.recorded_rows())
        self._earlier_lock = threading.Lock()

    def replay(self, ctx: PhaseContext):
        structure = ctx.structure.model_dump(mode="json")

        def prior(program: dspy.Module, doc_id: str) -> list:
            with self._earlier_lock:
                rows = self.earlier.take(ctx.phase, fingerprint(program), structure, doc_id)
            return [record_from_row(r) for r in rows]

        return prior

    def __call__(self, trial) -> float:
        try:
            return self._run(trial)
        except (FatalLMError, BudgetExceeded):
            raise
        except Exception as exc:
            log.warning("trial %d failed: %s: %s", trial.number, type(exc).__name__, exc)
            raise TrialFailed(f"{type(exc).__name__}: {exc}") from exc

    def _run(self, trial) -> float:
        cfg, n = self.cfg, trial.number
        s = suggest(trial, cfg.rubric, cfg.search.space, n_samples=cfg.loop.n_samples, max_rounds=cfg.loop.max_rounds)
        program = bind_lms(build_program(cfg, s.structure, n_samples=s.n_samples, max_rounds=s.max_rounds), self.lms)
        params = {
            **{f"structure.{k}": v for k, v in s.structure.model_dump().items()},
            "optimizer": cfg.optimizer.name,
            "optimizer.max_metric_calls": cfg.optimizer.max_metric_calls,
            "optimizer.metric": cfg.optimizer.metric,
            **{f"optimizer.metric_weight.{k}": v for k, v in metric_record(cfg)["weights"].items()},
            "n_samples": program.n_samples,
            "max_rounds": program.max_rounds,
            **{f"trial.{k}": v for k, v in trial.params.items()},
        }
        run_id = self.tracker.child(
            f"trial-{n}", params=params, tags={"autodata.phase": "trial", "autodata.trial": str(n)}
        )
        self.sink.progress.note(f"== trial {n}: {s.structure.model_dump(include={'allow_penalties', 'weight_cap'})}")
        t = thresholds(cfg)
        metric = make_metric(cfg.optimizer.metric, t, cfg.optimizer.metric_weights.model_dump())
        # Keyed by parameters, so a trial re-run after a crash resumes its optimizer's saved state.
        trial_dir = self.out / "trials" / f"params-{structure_key({**trial.params, 'optimizer': cfg.optimizer.name})}"
        spec = OptimizerSpec(
            metric=metric,
            max_metric_calls=cfg.optimizer.max_metric_calls,
            num_threads=cfg.optimizer.num_threads,
            seed=cfg.optimizer.seed,
            reflection_lm=self.lms["reflection"],
            log_dir=str(trial_dir / "optimizer") if cfg.optimizer.pickled_state else None,  # GEPA pickles it
            use_mlflow=run_id is not None,
            options=dict(cfg.optimizer.options),
        )
        splits_of = {d.id: name for name, docs in self.splits.items() for d in docs}
        opt_ctx = PhaseContext("optimize", run_id, splits_of, cfg.acceptance.preset, t, s.structure, trial=n)
        self.sink.progress.start_phase(f"optimize trial {n}", len(self.splits["train"]))
        own_usage: dict[str, dict[str, int]] = {}
        try:
            with (
                hooks.installed(observer=self.sink.observer(opt_ctx), resume=self.replay(opt_ctx)),
                self.tracker.active(run_id),
                optimizer_calls(self.lms, own_usage),
            ):
                compiled, result = get(cfg.optimizer.name)(
                    program, examples(self.splits["train"]), examples(self.splits["val"]), spec
                )
        finally:
            # The optimizer's own calls (reflection, proposals) belong to no round: they are counted here.
            trial.set_user_attr("optimizer_usage", own_usage)
            guard = hooks.current().budget
            if guard is not None:
                guard.add(own_usage)
        bind_lms(compiled, self.lms)
        sel_ctx = PhaseContext("select", run_id, splits_of, cfg.acceptance.preset, t, s.structure, trial=n)
        run_phase(compiled, self.splits["val"], self.sink, sel_ctx, workers=self.workers)
        stats = summarize(sel_ctx.rows, [d.id for d in self.splits["val"]])
        source = {"trial": n, "candidate": fingerprint(compiled), "optimizer": metric_record(cfg)}
        export_harness(compiled, cfg, trial_dir, source)
        self.tracker.log_artifacts(run_id, trial_dir, "harness")
        self.tracker.log_metrics(
            run_id,
            {
                "val_pass_rate": stats["pass_rate"] or 0.0,
                "val_gap": stats["gap"] or 0.0,
                "optimizer_best_score": result.best_score or 0.0,
            },
        )
        self.tracker.end(run_id)
        trial.set_user_attr("harness_dir", str(trial_dir))
        trial.set_user_attr("candidate", fingerprint(compiled))
        trial.set_user_attr("mean_gap", stats["gap"])
        trial.set_user_attr("optimizer_best_score", result.best_score)
        trial.set_user_attr("val", {k: stats[k] for k in ("documents", "accepted", "pass_rate", "pass_rate_ci95")})
        return stats["pass_rate"] or 0.0
