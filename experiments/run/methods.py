"""The programs `evaluate` compares, by method name: one-shot baselines, the loop, a compiled harness.

`build_method(name, cfg, harness)`: `cot`, `grounded`, `self_instruct` (one-shot baselines with the
configured loop settings, judge and acceptance), `agentic` (the loop as configured) and `compiled` (the
loop with a compiled harness's instructions, demos and rubric structure, under the evaluation's loop
and acceptance settings). `parse_methods` reads `--methods`. No LMs are bound here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from experiments.config import ConfigError, RunConfig
from experiments.run.build import build_program, thresholds
from experiments.run.harness import load_harness
from metrics.methods import METHODS
from metrics.policy import HarnessPolicy
from programs.baselines import BASELINES
from programs.judging import make_judge
from programs.loop import AgenticSelfInstruct


def build_method(name: str, cfg: RunConfig, harness: Path | None = None) -> AgenticSelfInstruct:
    if name == "agentic":
        return build_program(cfg)
    if name == "compiled":
        if harness is None:
            raise ConfigError("method 'compiled' needs --harness (a compile run directory or exported harness)")
        loaded, _, _ = load_harness(harness, cfg)
        program = build_program(cfg, loaded.policy.structure)  # the evaluation's loop and criterion
        program.load_state(loaded.dump_state())
        return program
    keys = (
        "n_samples",
        "sample_temperature",
        "sanity_checks",
        "strong_reasoning",
        "strong_sees_document",
        "infra_retries",
        "sample_workers",
    )
    loop: dict[str, Any] = {k: getattr(cfg.loop, k) for k in (*keys, "backoff")}
    loop["verifier_gate"] = tuple(cfg.loop.verifier_gate)
    judge = make_judge(cfg.judge, graded=cfg.rubric.graded)
    return BASELINES[name](HarnessPolicy(cfg.rubric, thresholds(cfg)), judge=judge, **loop)


def parse_methods(text: str) -> list[str]:
    names = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in names if m not in METHODS]
    if unknown or not names:
        raise ConfigError(f"--methods: unknown {unknown or text!r}; choose from {', '.join(METHODS)}")
    return list(dict.fromkeys(names))
