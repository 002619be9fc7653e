"""GEPA: reflective prompt evolution with Pareto selection, the closest analogue of the paper's
meta-optimizer. It reads the gap metric's written feedback for each document and rewrites the
challenger's (and verifier's) instructions; `log_dir` makes an interrupted run resumable."""

from __future__ import annotations

import dspy

from optimizers.base import Compiled, Examples, OptimizerResult, OptimizerSpec, ProgramT, pop_known, same_program

ALLOWED = {
    "reflection_minibatch_size",
    "candidate_selection_strategy",
    "use_merge",
    "max_merge_invocations",
    "skip_perfect_score",
    "track_best_outputs",
}


def compile(program: ProgramT, trainset: Examples, valset: Examples, spec: OptimizerSpec) -> Compiled[ProgramT]:
    if spec.reflection_lm is None:
        raise ValueError("gepa needs a reflection LM (models.reflection)")
    options = {"reflection_minibatch_size": 1, "use_merge": False, **pop_known(spec.options, ALLOWED, "gepa")}
    optimizer = dspy.GEPA(
        metric=spec.metric,
        max_metric_calls=spec.max_metric_calls,
        reflection_lm=spec.reflection_lm,
        num_threads=spec.num_threads,
        track_stats=True,
        log_dir=spec.log_dir,
        use_mlflow=spec.use_mlflow,
        seed=spec.seed,
        **options,
    )
    compiled = optimizer.compile(program, trainset=trainset, valset=valset or trainset)
    results = getattr(compiled, "detailed_results", None)
    best, count = None, None
    if results is not None:
        scores = list(results.val_aggregate_scores)
        best, count = (max(scores) if scores else None), len(results.candidates)
    return same_program(program, compiled), OptimizerResult(
        "gepa",
        best_score=best,
        candidates=count,
        details={"total_metric_calls": getattr(results, "total_metric_calls", None)},
    )
