"""The harness as DSPy modules: roles, the per-document loop, and the records they exchange."""

from programs.challenger import Challenger
from programs.errors import FatalLMError
from programs.hooks import RunHooks
from programs.judge import Judge
from programs.loop import LOOP_ROLES, AgenticSelfInstruct
from programs.records import Attempt, Candidate, Criterion, Decision, RoundRecord, VerifierReport
from programs.solver import Solver
from programs.structure import RubricStructure
from programs.verifier import QualityVerifier

__all__ = [
    "LOOP_ROLES",
    "AgenticSelfInstruct",
    "Attempt",
    "Candidate",
    "Challenger",
    "Criterion",
    "Decision",
    "FatalLMError",
    "Judge",
    "QualityVerifier",
    "RoundRecord",
    "RubricStructure",
    "RunHooks",
    "Solver",
    "VerifierReport",
]
