"""The instructions of a harness's trainable predictors, from a program or an exported `program.json`.

Used to show the instructions an optimizer wrote next to the baseline's. Reading an exported harness
never fails the caller: a missing or unreadable file gives None.
"""

from __future__ import annotations

import json
from pathlib import Path

import dspy


def instructions_of(program: dspy.Module) -> dict[str, str]:
    """Predictor name -> its signature's instructions (trainable predictors only)."""
    return {name: predictor.signature.instructions for name, predictor in program.named_predictors()}


def read_instructions(harness_dir: str | Path | None) -> dict[str, str] | None:
    """Predictor name -> instructions from `<harness_dir>/program.json`, or None when it cannot be read."""
    if harness_dir is None:
        return None
    try:
        state = json.loads((Path(harness_dir) / "program.json").read_text(encoding="utf-8"))
        return {
            name: value["signature"]["instructions"]
            for name, value in state.items()
            if isinstance(value, dict) and "signature" in value
        }
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
        return None
