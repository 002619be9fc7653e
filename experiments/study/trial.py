"""One Optuna trial of the compile study: a rubric structure, a DSPy optimizer run, a validation score.

The objective samples a structure (`optimizers.search_space`), builds the harness with it, lets the
configured optimizer improve the challenger on the training documents (phase "optimize"), runs the
result on the validation documents (phase "select") and returns the validation pass rate. Ties, which
sparse acceptance makes common (every trial at 0), are broken by the mean of the optimizer's own metric
over the validation documents (`val_score`: the same gap / validation / combined metric that drove it),
then by the mean gap of accepted validation examples; both are stored as user attributes. Each trial gets a
nested MLflow run (the optimizer's own per-iteration logging goes into it) and a folder with its
exported candidate harness under the session's directory. Everything runs in the command's session
(its LMs, sink, tracking, budget and limits). A FatalLMError or a budget stop ends the study; any
other failure fails just the trial.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import dspy
import optuna

from experiments.corpus import Document
from experiments.records.resume import Recorded, structure_key
from experiments.records.rows import fingerprint, record_from_row
from experiments.records.sink import PhaseContext
from experiments.report.summary import summarize
from experiments.run.build import build_program, metric_record
from experiments.run.harness import export_harness
from experiments.run.session import Session
from experiments.study.local import TrialFailed
from experiments.study.optimizer_usage import optimizer_calls
from metrics.metric import make_metric
from optimizers import OptimizerSpec, get
from optimizers.search_space import suggest
from programs import hooks
from programs.budget import BudgetExceeded
from programs.errors import FatalLMError
from programs.records import RoundRecord

log = logging.getLogger("autodata.trials")


def metric_on_rows(metric: Callable[..., Any], rows: list[dict[str, Any]], doc_ids: list[str]) -> float:
    """The mean over `doc_ids` of `metric` on each document's recorded rounds (0 for a document without
    rows), rounded to six decimals: the optimizer's metric, read from a phase's rows."""
    scores = []
    for doc_id in doc_ids:
        rounds = sorted((r for r in rows if r["doc_id"] == doc_id), key=lambda r: r["round"])
        prediction = dspy.Prediction(rounds=[record_from_row(r) for r in rounds])
        scores.append(float(metric(dspy.Example(doc_id=doc_id), prediction).score) if rounds else 0.0)
    return round(sum(scores) / len(scores), 6) if scores else 0.0


def examples(docs: list[Document]) -> list[dspy.Example]:
    return [dspy.Example(document=d.text, doc_id=d.id).with_inputs("document", "doc_id") for d in docs]


class TrialRunner:
    """The study's objective: `runner(trial)` runs one trial in `session` on the train/val `splits`."""

    def __init__(self, session: Session, splits: dict[str, list[Document]]):
        self.s, self.splits = session, splits
        self.splits_of = {d.id: name for name, docs in splits.items() for d in docs}
        # Rounds recorded before this process started (a killed run resumed in the same --out): an
        # optimizer re-running an interrupted trial gets them back instead of paying for them again.
        self.earlier = Recorded(session.sink.recorded_rows())
        self._earlier_lock = threading.Lock()

    def replay(self, ctx: PhaseContext) -> Callable[[dspy.Module, str], list[RoundRecord]]:
        structure = ctx.structure.model_dump(mode="json")

        def prior(program: dspy.Module, doc_id: str) -> list[RoundRecord]:
            with self._earlier_lock:
                rows = self.earlier.take(ctx.phase, fingerprint(program), structure, doc_id)
            if rows:
                log.warning(
                    "trial %s: %d round(s) on %s replayed from rounds.jsonl without the LM cache; the optimizer "
                    "gets no traces of them to reflect on",
                    ctx.trial,
                    len(rows),
                    doc_id,
                )
            return [record_from_row(r) for r in rows]

        return prior

    def __call__(self, trial: optuna.Trial) -> float:
        try:
            return self._run(trial)
        except (FatalLMError, BudgetExceeded):
            raise
        except Exception as exc:
            log.warning("trial %d failed: %s: %s", trial.number, type(exc).__name__, exc)
            raise TrialFailed(f"{type(exc).__name__}: {exc}") from exc

    def _params(self, trial: optuna.Trial, structure: dict[str, Any], program: dspy.Module) -> dict[str, Any]:
        o = self.s.cfg.optimizer
        return {
            **{f"structure.{k}": v for k, v in structure.items()},
            "optimizer": o.name,
            "optimizer.max_metric_calls": o.max_metric_calls,
            "optimizer.metric": o.metric,
            **{f"optimizer.metric_weight.{k}": v for k, v in metric_record(self.s.cfg)["weights"].items()},
            "n_samples": program.n_samples,
            "max_rounds": program.max_rounds,
            **{f"trial.{k}": v for k, v in trial.params.items()},
        }

    def _run(self, trial: optuna.Trial) -> float:
        s, cfg, n = self.s, self.s.cfg, trial.number
        found = suggest(
            trial, cfg.rubric, cfg.search.space, n_samples=cfg.loop.n_samples, max_rounds=cfg.loop.max_rounds
        )
        structure = found.structure
        program = s.bind(build_program(cfg, structure, n_samples=found.n_samples, max_rounds=found.max_rounds))
        tags = {"autodata.phase": "trial", "autodata.trial": str(n)}
        run_id = s.tracker.child(f"trial-{n}", params=self._params(trial, structure.model_dump(), program), tags=tags)
        s.note(f"== trial {n}: {structure.model_dump(include={'allow_penalties', 'weight_cap'})}")
        # Keyed by parameters, so a trial re-run after a crash resumes its optimizer's saved state.
        trial_dir = s.out / "trials" / f"params-{structure_key({**trial.params, 'optimizer': cfg.optimizer.name})}"
        spec = OptimizerSpec(
            metric=make_metric(cfg.optimizer.metric, s.thresholds, cfg.optimizer.metric_weights.model_dump()),
            max_metric_calls=cfg.optimizer.max_metric_calls,
            num_threads=cfg.optimizer.num_threads,
            seed=cfg.optimizer.seed,
            reflection_lm=s.lms["reflection"],
            log_dir=str(trial_dir / "optimizer") if cfg.optimizer.pickled_state else None,  # GEPA pickles it
            use_mlflow=run_id is not None,
            options=dict(cfg.optimizer.options),
        )
        opt_ctx = s.phase("optimize", structure, self.splits_of, run_id=run_id, trial=n)
        s.progress.start_phase(f"optimize trial {n}", len(self.splits["train"]))
        own_usage: dict[str, dict[str, int]] = {}
        # A replayed round makes no module call, so it leaves no trace for GEPA to reflect on: after a
        # resume, its next proposal would see an empty reflective dataset and differ from an uninterrupted
        # run's. With the LM cache on, the rounds are re-run instead (answered from the cache, traces and
        # all); only without a cache are earlier rounds replayed, to avoid paying for them twice.
        resume = None if s.use_cache else self.replay(opt_ctx)
        try:
            with (
                hooks.installed(observer=s.sink.observer(opt_ctx), resume=resume),
                s.tracker.active(run_id),
                optimizer_calls(s.lms, own_usage),
            ):
                compiled, result = get(cfg.optimizer.name)(
                    program, examples(self.splits["train"]), examples(self.splits["val"]), spec
                )
        finally:
            # The optimizer's own calls (reflection, proposals) belong to no round: they are counted here.
            trial.set_user_attr("optimizer_usage", own_usage)
            s.budget.add(own_usage)
        s.bind(compiled)
        sel_ctx = s.phase("select", structure, self.splits_of, run_id=run_id, trial=n)
        s.run_phase(compiled, self.splits["val"], sel_ctx)
        val_ids = [d.id for d in self.splits["val"]]
        stats = summarize(sel_ctx.rows, val_ids)
        val_score = metric_on_rows(spec.metric, sel_ctx.rows, val_ids)
        export_harness(
            compiled, cfg, trial_dir, {"trial": n, "candidate": fingerprint(compiled), "optimizer": metric_record(cfg)}
        )
        s.tracker.log_artifacts(run_id, trial_dir, "harness")
        s.tracker.log_metrics(
            run_id,
            {
                "val_pass_rate": stats["pass_rate"] or 0.0,
                "val_score": val_score,
                "val_gap": stats["gap"] or 0.0,
                "optimizer_best_score": result.best_score or 0.0,
            },
        )
        s.tracker.end(run_id)
        trial.set_user_attr("harness_dir", str(trial_dir))
        trial.set_user_attr("candidate", fingerprint(compiled))
        trial.set_user_attr("mean_gap", stats["gap"])
        trial.set_user_attr("val_score", val_score)
        trial.set_user_attr("optimizer_best_score", result.best_score)
        trial.set_user_attr("val", {k: stats[k] for k in ("documents", "accepted", "pass_rate", "pass_rate_ci95")})
        return stats["pass_rate"] or 0.0
