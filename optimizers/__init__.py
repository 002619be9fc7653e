"""Optimizers: DSPy optimizers behind one compile-shaped entry each, and the rubric-structure search."""

from optimizers.base import OptimizerResult, OptimizerSpec
from optimizers.registry import OPTIMIZERS, UnknownOptimizerError, get

__all__ = ["OPTIMIZERS", "OptimizerResult", "OptimizerSpec", "UnknownOptimizerError", "get"]
