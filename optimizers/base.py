"""The contract every optimizer entry follows, and its result record.

An entry is `compile(program, trainset, valset, spec) -> (program, OptimizerResult)`. It may only
change the trainable predictors (the challenger's, and the verifier's); solvers and judge are frozen
modules, so they are invisible to it. After compiling, the caller re-binds role LMs, because DSPy
optimizers reset the LM of the predictors they copy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import dspy

Examples = list[dspy.Example]
# The program an optimizer returns is a (deep) copy of the one it was given, of the same class.
ProgramT = TypeVar("ProgramT", bound=dspy.Module)


@dataclass
class OptimizerSpec:
    """What an optimizer run needs besides the program and the data."""

    metric: Callable[..., Any]  # returns dspy.Prediction(score, feedback); float() gives the score
    max_metric_calls: int = 12
    num_threads: int = 1
    seed: int = 1
    reflection_lm: dspy.LM | None = None  # GEPA's reflection LM; the prompt model of MIPROv2/COPRO
    log_dir: str | None = None  # optimizer state on disk (GEPA resumes from it)
    use_mlflow: bool = False  # let the optimizer log its own iterations into the active MLflow run
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class OptimizerResult:
    name: str
    best_score: float | None = None
    candidates: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


Compiled = tuple[ProgramT, OptimizerResult]


class Compile(Protocol):
    """The shape of every optimizer entry (see the module docstring)."""

    def __call__(
        self, program: ProgramT, trainset: Examples, valset: Examples, spec: OptimizerSpec
    ) -> Compiled[ProgramT]: ...


def same_program(program: ProgramT, compiled: dspy.Module) -> ProgramT:
    """The optimizer's result, checked to be of the class it was given (DSPy optimizers copy the student)."""
    if not isinstance(compiled, type(program)):
        raise TypeError(f"the optimizer returned a {type(compiled).__name__}, not a {type(program).__name__}")
    return compiled


def score_of(metric: Callable[..., Any]) -> Callable[..., float]:
    """Adapt the feedback metric to optimizers that want a plain number."""

    def scored(
        example: dspy.Example, pred: dspy.Prediction, trace: object = None, *args: object, **kwargs: object
    ) -> float:
        return float(metric(example, pred, trace))

    return scored


@contextlib.contextmanager
def only_challenger(program: dspy.Module) -> Iterator[None]:
    """Freeze the verifier for optimizers that assume one LM for the whole program (SIMBA resamples with
    copies of a single LM and sets it on every trainable predictor)."""
    verifier = getattr(program, "verifier", None)
    before = getattr(verifier, "_compiled", False)
    if verifier is not None:
        verifier._compiled = True
    try:
        yield
    finally:
        if verifier is not None:
            verifier._compiled = before


def task_lm(program: dspy.Module) -> dspy.LM | None:
    """The LM of the first trainable predictor (the challenger's), for optimizers that ask for one."""
    bound: dspy.LM | None = next((p.lm for _, p in program.named_predictors() if p.lm is not None), None)
    fallback: dspy.LM | None = dspy.settings.lm
    return bound or fallback


def pop_known(options: dict[str, Any], allowed: set[str], name: str) -> dict[str, Any]:
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ValueError(f"{name}: unknown option(s) {unknown}; allowed: {sorted(allowed)}")
    return dict(options)
