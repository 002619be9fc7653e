"""MIPROv2: proposes instructions with a prompt model and bootstraps demos, then searches their
combinations with Bayesian optimization. The number of trials follows the metric-call budget."""

from __future__ import annotations

import dspy

from optimizers.base import (
    Compiled,
    Examples,
    OptimizerResult,
    OptimizerSpec,
    ProgramT,
    pop_known,
    same_program,
    score_of,
    task_lm,
)

ALLOWED = {"num_candidates", "num_trials", "max_bootstrapped_demos", "max_labeled_demos", "init_temperature"}


def compile(program: ProgramT, trainset: Examples, valset: Examples, spec: OptimizerSpec) -> Compiled[ProgramT]:
    options = pop_known(spec.options, ALLOWED, "mipro")
    valset = valset or trainset
    num_trials = options.pop("num_trials", max(1, spec.max_metric_calls // max(1, len(valset))))
    optimizer = dspy.MIPROv2(
        metric=score_of(spec.metric),
        prompt_model=spec.reflection_lm or task_lm(program),
        task_model=task_lm(program),
        auto=None,
        num_candidates=options.pop("num_candidates", 2),
        max_bootstrapped_demos=options.pop("max_bootstrapped_demos", 1),
        max_labeled_demos=options.pop("max_labeled_demos", 0),
        num_threads=spec.num_threads,
        seed=spec.seed or 1,  # compile(seed=0) is ignored in 3.4.1; the constructor's non-zero seed counts
        verbose=False,
        **options,
    )
    compiled = optimizer.compile(program, trainset=trainset, valset=valset, num_trials=num_trials, minibatch=False)
    best = getattr(compiled, "score", None)
    return same_program(program, compiled), OptimizerResult("mipro", best_score=best, candidates=num_trials)
