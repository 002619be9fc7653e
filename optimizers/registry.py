"""Optimizers by name. `get(name)` returns a compile-shaped entry or raises with the valid names."""

from __future__ import annotations

from optimizers import bootstrap, copro, gepa, mipro, simba
from optimizers.base import Compile, Compiled, Examples, OptimizerResult, OptimizerSpec, ProgramT


def _none(program: ProgramT, trainset: Examples, valset: Examples, spec: OptimizerSpec) -> Compiled[ProgramT]:
    """No optimization: the harness as configured (a baseline, or a search over structure alone)."""
    return program, OptimizerResult("none")


OPTIMIZERS: dict[str, Compile] = {
    "gepa": gepa.compile,
    "mipro": mipro.compile,
    "bootstrap": bootstrap.compile,
    "simba": simba.compile,
    "copro": copro.compile,
    "none": _none,
}


class UnknownOptimizerError(ValueError):
    pass


def get(name: str) -> Compile:
    try:
        return OPTIMIZERS[name]
    except KeyError:
        raise UnknownOptimizerError(f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}") from None
