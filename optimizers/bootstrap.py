"""BootstrapFewShot with random search: runs the harness on training documents, keeps the challenger
traces of ACCEPTED examples as demos, and picks the best of a few demo sets on the validation set."""

from __future__ import annotations

from dspy.teleprompt import BootstrapFewShotWithRandomSearch

from optimizers.base import (
    Compiled,
    Examples,
    OptimizerResult,
    OptimizerSpec,
    ProgramT,
    pop_known,
    same_program,
    score_of,
)

ALLOWED = {"max_bootstrapped_demos", "max_labeled_demos", "num_candidate_programs", "max_rounds"}


def compile(program: ProgramT, trainset: Examples, valset: Examples, spec: OptimizerSpec) -> Compiled[ProgramT]:
    options = pop_known(spec.options, ALLOWED, "bootstrap")
    optimizer = BootstrapFewShotWithRandomSearch(
        metric=score_of(spec.metric),
        metric_threshold=1.0,  # only traces of accepted examples become demos
        max_bootstrapped_demos=options.get("max_bootstrapped_demos", 1),
        max_labeled_demos=options.get("max_labeled_demos", 0),
        num_candidate_programs=options.get("num_candidate_programs", 2),
        max_rounds=options.get("max_rounds", 1),
        num_threads=spec.num_threads,
    )
    compiled = optimizer.compile(program, trainset=trainset, valset=valset or trainset)
    scores = (
        [s for s, *_ in getattr(compiled, "candidate_programs", [])] if hasattr(compiled, "candidate_programs") else []
    )
    return same_program(program, compiled), OptimizerResult(
        "bootstrap", best_score=max(scores) if scores else None, candidates=len(scores) or None
    )
