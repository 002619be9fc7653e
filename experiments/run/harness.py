"""Exporting a compiled harness as a directory, and loading it back without executing any pickle.

A harness directory holds `program.json` (DSPy JSON state of the trainable predictors: instructions and
demos, no LMs) and `harness.json` (format version, rubric structure, loop settings, acceptance preset
and thresholds, and the role model names with no keys and no api bases). Loading rebuilds the program
from code, loads the JSON state into it and binds LMs from the caller's config or environment.
`config_for_harness` is the run config of a command that runs an exported harness (generate, shard).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from experiments.config import ROLES, ConfigError, RunConfig
from experiments.records.files import atomic_write_json, atomic_write_text
from experiments.run.build import build_program, thresholds
from experiments.run.overrides import build_config, merge
from experiments.tracking import Tracker
from programs.loop import LOOP_ROLES, AgenticSelfInstruct
from programs.structure import RubricStructure

FORMAT = "autodata-harness"
# 2: the challenger writes its rubric as positive_criteria + penalty_criteria fields (programs.rubric_fields).
# DSPy loads a signature's saved field descriptions by position, so a version-1 program.json would label
# the new fields wrongly: it is refused instead.
# 3: the challenger plans the paper's insight (an `insight` field before `context`).
VERSION = 3


def export_harness(program: AgenticSelfInstruct, cfg: RunConfig, out_dir: Path, source: dict[str, Any]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = {name: p.lm for name, p in program.named_predictors()}
    try:
        for _, predictor in program.named_predictors():
            predictor.lm = None  # role models are bound at load time from config, never stored here
        state = program.dump_state()
    finally:
        for name, predictor in program.named_predictors():
            predictor.lm = saved[name]
    atomic_write_text(out_dir / "program.json", json.dumps(state, indent=2, default=str) + "\n")
    atomic_write_json(out_dir / "harness.json", harness_record(program, cfg, source))


def unbound_copy(program: AgenticSelfInstruct) -> AgenticSelfInstruct:
    """A deep copy with every role's LM removed (LM objects hold API keys; they must not be pickled)."""
    twin = program.deepcopy()
    for role in LOOP_ROLES:
        for _, predictor in getattr(twin, role).named_predictors():
            predictor.lm = None
    return twin


def log_model(tracker: Tracker, program: AgenticSelfInstruct) -> None:
    """Also log the harness as an MLflow DSPy model, LMs removed, beside the JSON export. This flavour
    PICKLES the program and DSPy's settings (cloudpickle), so compile calls it only with
    `tracking.log_pickled_model=true`. The JSON export stays canonical: `load_harness` never unpickles."""
    tracker.log_dspy_model(unbound_copy(program), name="harness", pip_requirements=["dspy==3.4.1"])


def harness_record(program: AgenticSelfInstruct, cfg: RunConfig, source: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "structure": program.policy.structure.model_dump(mode="json"),
        "loop": {
            **cfg.loop.model_dump(mode="json"),
            "max_rounds": program.max_rounds,
            "n_samples": program.n_samples,
        },
        "acceptance": {"preset": cfg.acceptance.preset, "thresholds": thresholds(cfg).to_dict()},
        "acceptance_config": cfg.acceptance.model_dump(mode="json"),
        "judge": cfg.judge.model_dump(mode="json"),
        "models": {role: getattr(cfg.models, role).model for role in ROLES},
        "source": source,
    }


def read_harness(path: Path) -> dict[str, Any]:
    """Read and check `harness.json` in a harness directory (or a run directory holding one)."""
    path = Path(path)
    file = path / "harness.json" if path.is_dir() else path
    if not file.exists():
        raise ConfigError(f"no harness.json in {path}: pass a compile run directory or an exported harness")
    try:
        record = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: not valid JSON ({exc})") from None
    if record.get("format") != FORMAT:
        raise ConfigError(f"{file}: not an autodata harness (format {record.get('format')!r})")
    if record.get("version") != VERSION:
        raise ConfigError(
            f"{file}: harness format version {record.get('version')} is not supported by this autodata "
            f"(expects {VERSION}); re-export it with a matching version"
        )
    return record


def harness_config(record: dict[str, Any], base: RunConfig) -> RunConfig:
    """The run config a harness implies: its structure, loop and acceptance over the caller's base."""
    data = base.model_dump(mode="json")
    data["rubric"] = record["structure"]
    data["loop"] = {k: v for k, v in record["loop"].items() if k in data["loop"]}
    data["acceptance"] = record["acceptance_config"]
    if "judge" in record:  # the judge the harness was compiled and measured with
        data["judge"] = record["judge"]
    return RunConfig.model_validate(data)


def config_for_harness(
    harness: Path, docs: Path, base: RunConfig, explicit: dict[str, Any], overrides: list[str]
) -> RunConfig:
    """The run config of `generate` and `shard`: the harness's role models unless a --config file
    (`explicit`) or --set (`overrides`) names others, the documents of `docs`, the preset's (`base`)
    corpus and tracking settings, and the harness's structure, loop, acceptance and judge."""
    record = read_harness(harness)
    models = {role: {"model": name} for role, name in record["models"].items()}
    cfg = build_config(merge({"models": models}, explicit), overrides)
    corpus = base.corpus.model_copy(update={"source": str(docs)})
    return harness_config(record, cfg.model_copy(update={"corpus": corpus, "tracking": base.tracking}))


def load_harness(path: Path, base: RunConfig) -> tuple[AgenticSelfInstruct, RunConfig, dict[str, Any]]:
    record = read_harness(path)
    cfg = harness_config(record, base)
    program = build_program(cfg, RubricStructure(**record["structure"]))
    state_file = (Path(path) if Path(path).is_dir() else Path(path).parent) / "program.json"
    if not state_file.exists():
        raise ConfigError(f"{state_file} is missing")
    state = json.loads(state_file.read_text(encoding="utf-8"))
    program.load_state(state)
    return program, cfg, record
