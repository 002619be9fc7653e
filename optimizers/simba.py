"""SIMBA: stochastic introspective mini-batch ascent. It samples the program on mini-batches, finds
documents with high output variance, and writes rules or demos from the better trajectories. SIMBA
assumes one LM for all trainable predictors, so only the challenger is trained here."""

from __future__ import annotations

import dspy

from optimizers.base import (
    Compiled,
    Examples,
    OptimizerResult,
    OptimizerSpec,
    ProgramT,
    only_challenger,
    pop_known,
    same_program,
    score_of,
)

ALLOWED = {"bsize", "num_candidates", "max_steps", "max_demos"}


def compile(program: ProgramT, trainset: Examples, valset: Examples, spec: OptimizerSpec) -> Compiled[ProgramT]:
    options = pop_known(spec.options, ALLOWED, "simba")
    bsize = min(options.get("bsize", 2), len(trainset))
    optimizer = dspy.SIMBA(
        metric=score_of(spec.metric),
        bsize=bsize,
        num_candidates=options.get("num_candidates", 2),
        max_steps=options.get("max_steps", max(1, spec.max_metric_calls // max(1, 2 * bsize))),
        max_demos=options.get("max_demos", 1),
        num_threads=spec.num_threads,
    )
    with only_challenger(program):
        compiled = optimizer.compile(program, trainset=trainset, seed=spec.seed)
    if getattr(compiled, "verifier", None) is not None:
        compiled.verifier._compiled = False
    scores = list(getattr(compiled, "trial_logs", {}) or [])
    return same_program(program, compiled), OptimizerResult("simba", candidates=len(scores) or None)
