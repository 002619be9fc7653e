"""Wiring a RunConfig into a ready harness: policy, program, role LMs, adapter and cache.

`build_program(cfg, structure)` makes the AgenticSelfInstruct module with its injected policy;
`bind_lms(program, lms)` gives every role its LM (again after an optimizer has reset them).
`build_judge(cfg, lm)` makes the judge role as configured, with its LM bound (judgecheck uses it).
`role_limits(cfg)` is the per-role concurrency and rate limits of `models.<role>`.
`configure_dspy(cfg)` sets the JSON adapter and the cache once, from the main thread.
`metric_record(cfg)` is the optimizer and its metric's applied weights, as records and MLflow keep them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dspy

from experiments.config import RunConfig
from metrics.acceptance import Thresholds, thresholds_for
from metrics.metric import effective_weights
from metrics.policy import HarnessPolicy
from programs.judging import make_judge
from programs.limits import Limit, RoleLimits
from programs.loop import LOOP_ROLES, AgenticSelfInstruct
from programs.structure import RubricStructure


def thresholds(cfg: RunConfig) -> Thresholds:
    """The acceptance thresholds of `acceptance.*`: the preset with any single thresholds overridden."""
    return thresholds_for(cfg.acceptance.preset, **cfg.acceptance.model_dump(exclude={"preset"}))


def build_program(
    cfg: RunConfig,
    structure: RubricStructure | None = None,
    *,
    n_samples: int | None = None,
    max_rounds: int | None = None,
) -> AgenticSelfInstruct:
    loop = cfg.loop
    policy = HarnessPolicy(structure or cfg.rubric, thresholds(cfg))
    return AgenticSelfInstruct(
        policy,
        judge=make_judge(cfg.judge, graded=policy.structure.graded),
        max_rounds=max_rounds or loop.max_rounds,
        n_samples=n_samples or loop.n_samples,
        sample_temperature=loop.sample_temperature,
        weak_first=loop.weak_first,
        sanity_checks=loop.sanity_checks,
        strong_reasoning=loop.strong_reasoning,
        strong_sees_document=loop.strong_sees_document,
        verifier_gate=tuple(loop.verifier_gate),
        infra_retries=loop.infra_retries,
        sample_workers=loop.sample_workers,
        backoff=loop.backoff,
    )


def bind_lms(program: AgenticSelfInstruct, lms: dict[str, dspy.LM]) -> AgenticSelfInstruct:
    for role in LOOP_ROLES:
        getattr(program, role).set_lm(lms[role])
    return program


def build_judge(cfg: RunConfig, lm: dspy.LM) -> dspy.Module:
    """The judge module the config describes (`judge.*`), with `lm` bound:
    `judge(question, rubric, answer, context=..., reference=...) -> verdicts`."""
    judge = make_judge(cfg.judge, graded=cfg.rubric.graded)
    judge.set_lm(lm)
    return judge


def role_limits(cfg: RunConfig) -> RoleLimits:
    """Per-role limits from `models.<role>.{max_concurrent,rpm,tpm}`."""
    return RoleLimits(
        {
            role: Limit(
                getattr(cfg.models, role).max_concurrent, getattr(cfg.models, role).rpm, getattr(cfg.models, role).tpm
            )
            for role in LOOP_ROLES
        }
    )


def configure_dspy(cfg: RunConfig, use_cache: bool = True) -> None:
    """Global DSPy settings, set once from the main thread (DSPy forbids configure() from others)."""
    if use_cache:
        directory = Path(cfg.cache_dir or os.environ.get("DSPY_CACHEDIR") or Path.home() / ".dspy_cache")
        dspy.configure_cache(enable_disk_cache=True, enable_memory_cache=True, disk_cache_dir=str(directory))
    else:
        dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    dspy.configure(adapter=dspy.JSONAdapter(), track_usage=True)


def metric_record(cfg: RunConfig) -> dict[str, Any]:
    """The optimizer and the metric that drove it, with the weights it applied (for harness.json,
    summary.json and MLflow)."""
    o = cfg.optimizer
    return {"name": o.name, "metric": o.metric, "weights": effective_weights(o.metric, o.metric_weights.model_dump())}
