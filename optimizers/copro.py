"""COPRO: coordinate ascent over instructions; a prompt model proposes new instructions and prefixes
for each trainable predictor, scored on the training documents."""

from __future__ import annotations

from dspy.teleprompt import COPRO

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

ALLOWED = {"breadth", "depth", "init_temperature"}


def compile(program: ProgramT, trainset: Examples, valset: Examples, spec: OptimizerSpec) -> Compiled[ProgramT]:
    options = pop_known(spec.options, ALLOWED, "copro")
    optimizer = COPRO(
        prompt_model=spec.reflection_lm or task_lm(program),
        metric=score_of(spec.metric),
        breadth=options.get("breadth", 2),
        depth=options.get("depth", 1),
        init_temperature=options.get("init_temperature", 1.0),
        track_stats=False,
    )
    compiled = optimizer.compile(
        program, trainset=trainset, eval_kwargs={"num_threads": spec.num_threads, "display_progress": False}
    )
    return same_program(program, compiled), OptimizerResult("copro")
