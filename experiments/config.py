"""The typed run configuration: one pydantic tree of sections, validated, and its secret-free views.

Every section forbids unknown keys, so a typo fails loudly where it is made. The `models` section is
`experiments.lms.role_models` (beside the factory that reads it); the rubric and judge sections are
`programs.structure.RubricStructure` and `programs.judging.JudgeSettings`. Presets live in
`experiments/presets.py`; `--set` overrides, merging and validation into a `RunConfig` in
`experiments.run.overrides`. This file only defines the shape and the views written to disk and to
MLflow; it does not load files or talk to providers.
"""

from __future__ import annotations

import json
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from experiments.lms.role_models import ModelsConfig
from metrics.acceptance import thresholds_for
from optimizers.registry import OPTIMIZERS
from programs.judging import JudgeSettings
from programs.loop import LOOP_ROLES
from programs.structure import RubricStructure

ROLES = (*LOOP_ROLES, "reflection")  # every role a config names a model for


VerifierCheck = Literal["no_leakage", "not_recall", "rubric_well_formed", "type_consistent"]


class ConfigError(ValueError):
    """A user-facing configuration problem; the CLI prints it as one line."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class CorpusConfig(_Section):
    # "aclsum", a directory of .txt/.md files, a .jsonl/.json/.csv/.parquet file, or "hf:<org/name>".
    source: str = "aclsum"
    text_field: str = "text"
    id_field: str = "id"
    # Which aclsum papers: "all", or "cc-by" for the 2016+ papers under CC BY 4.0.
    licence: Literal["all", "cc-by"] = "all"
    n_train: int = Field(default=4, ge=0)
    n_val: int = Field(default=2, ge=0)
    n_test: int = Field(default=2, ge=0)
    # Documents longer than this are cut at a sentence boundary (and the record says so).
    max_chars: int = Field(default=6000, ge=200)
    seed: int = 0


class LoopConfig(_Section):
    max_rounds: int = Field(default=4, ge=1)
    n_samples: int = Field(default=3, ge=1)
    sample_temperature: float = Field(default=1.0, ge=0.0, le=2.0)
    weak_first: bool = True
    # Judge the reference answer and an off-topic answer before spending solver calls.
    sanity_checks: bool = True
    strong_reasoning: bool = False
    # The strong solver answers with the source document open (the paper's "privileged information"
    # strong mode); the weak solver never sees it.
    strong_sees_document: bool = False
    # The verifier checks that can reject a candidate (all four by default). A check left out is still
    # asked and recorded; see programs/verifier.py and the default preset for when that is measured right.
    verifier_gate: list[VerifierCheck] = Field(default_factory=lambda: list(get_args(VerifierCheck)))
    # Retries of one role call after an infrastructure error, before the round is recorded as an error.
    infra_retries: int = Field(default=3, ge=0)
    # Base delay (seconds) of the exponential backoff between retries; jitter is added.
    backoff: float = Field(default=1.0, ge=0.0)
    # Threads for the independent solver samples of one round (1 = sequential).
    sample_workers: int = Field(default=1, ge=1)


class AcceptanceConfig(_Section):
    preset: Literal["paper", "deployed", "blog", "custom"] = "deployed"
    # Overrides of single thresholds (any preset); unset keeps the preset's value.
    weak_mean_max: float | None = None
    weak_best_max: float | None = None
    strong_mean_min: float | None = None
    strong_mean_max: float | None = None
    gap_min: float | None = None


class MetricWeights(_Section):
    """Weights of the combined metric: gap * (gap metric) + validation * (rubric validation). They must
    sum to 1; only `optimizer.metric=combined` reads them."""

    gap: float = Field(default=0.7, ge=0.0, le=1.0)
    validation: float = Field(default=0.3, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _sum_to_one(self) -> MetricWeights:
        if abs(self.gap + self.validation - 1.0) > 1e-9:
            raise ValueError(
                f"gap {self.gap} + validation {self.validation} must sum to 1; set both, e.g. "
                "--set optimizer.metric_weights.gap=0.8 --set optimizer.metric_weights.validation=0.2"
            )
        return self


class OptimizerConfig(_Section):
    name: str = "gepa"

    @field_validator("name")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {value!r}; choose one of: {', '.join(OPTIMIZERS)}")
        return value

    # What scores a document for the optimizer (metrics.metric): "gap" (accepted 1, else partial credit),
    # "validation" (mean rubric validation of its rounds) or "combined" (weighted by metric_weights).
    metric: Literal["gap", "validation", "combined"] = "gap"
    metric_weights: MetricWeights = MetricWeights()
    max_metric_calls: int = Field(default=12, ge=1)
    num_threads: int = Field(default=1, ge=1)
    seed: int = 1
    # Optimizer-specific keyword arguments, passed through after validation by the optimizer.
    options: dict[str, Any] = Field(default_factory=dict)
    # Let the optimizer keep its own resumable state in trials/*/optimizer/. GEPA's is a PICKLE
    # (gepa_state.bin), written and loaded with pickle, so it is off unless asked for.
    pickled_state: bool = False


class SearchConfig(_Section):
    n_trials: int = Field(default=2, ge=1)
    storage: str | None = None
    study_name: str | None = None
    seed: int = 0
    # True: the study is run by `python -m experiments.worker` processes (see docs/scaling.md); compile only
    # waits for `n_trials` finished trials (at most `wait_minutes`) and then runs the final phase.
    external: bool = False
    wait_minutes: float = Field(default=24 * 60, gt=0)
    # Parameters of the rubric structure the study searches; the rest stay as configured.
    space: list[str] = Field(default_factory=lambda: ["allow_penalties", "weight_cap", "max_positive"])


class BudgetConfig(_Section):
    """Limits that stop a run cleanly (every output written) once reached; None means no limit."""

    max_usd: float | None = Field(default=None, gt=0)
    max_tokens: int | None = Field(default=None, gt=0)
    max_minutes: float | None = Field(default=None, gt=0)


class TrackingConfig(_Section):
    enabled: bool = True
    # None: MLFLOW_TRACKING_URI if set, else sqlite:///mlflow.db in the working directory.
    tracking_uri: str | None = None
    experiment: str = "autodata"
    # Also log the harness as an MLflow DSPy model. That flavour PICKLES the program and DSPy's settings
    # (cloudpickle); program.json and harness.json are always logged as the run's JSON artifacts.
    log_pickled_model: bool = False


class RunConfig(_Section):
    preset: str = "default"
    workers: int = Field(default=1, ge=1)
    # DSPy's LM cache: None follows DSPY_CACHEDIR, else ~/.dspy_cache. `--no-cache` turns it off.
    cache_dir: str | None = None
    models: ModelsConfig = ModelsConfig()
    corpus: CorpusConfig = CorpusConfig()
    rubric: RubricStructure = RubricStructure()
    # How the judge reaches verdicts (protocol, calibration); its model is models.judge.
    judge: JudgeSettings = JudgeSettings()
    loop: LoopConfig = LoopConfig()
    acceptance: AcceptanceConfig = AcceptanceConfig()
    optimizer: OptimizerConfig = OptimizerConfig()
    search: SearchConfig = SearchConfig()
    tracking: TrackingConfig = TrackingConfig()
    budget: BudgetConfig = BudgetConfig()

    @model_validator(mode="after")
    def _external_study_needs_storage(self) -> RunConfig:
        if self.search.external and not (self.search.storage and self.search.study_name):
            raise ValueError("search.external needs search.storage and search.study_name (the workers' study)")
        return self

    @model_validator(mode="after")
    def _thresholds_possible(self) -> RunConfig:
        a = self.acceptance
        thresholds_for(
            a.preset,
            weak_mean_max=a.weak_mean_max,
            weak_best_max=a.weak_best_max,
            strong_mean_min=a.strong_mean_min,
            strong_mean_max=a.strong_mean_max,
            gap_min=a.gap_min,
        )
        return self

    def public_dict(self) -> dict[str, Any]:
        """The config as written to disk and MLflow. It holds env-var names, never key values."""
        return self.model_dump(mode="json")

    def flat(self) -> dict[str, str]:
        """Dotted keys to strings, for MLflow params."""
        out: dict[str, str] = {}

        def walk(prefix: str, value: Any) -> None:
            if isinstance(value, dict) and value:
                for k, v in value.items():
                    walk(f"{prefix}.{k}" if prefix else k, v)
            else:
                out[prefix] = value if isinstance(value, str) else json.dumps(value)

        walk("", self.public_dict())
        return out
