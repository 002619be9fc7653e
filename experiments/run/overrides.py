"""From plain settings to a validated `RunConfig`: dotted `--set key=value` overrides, merging, validation.

A preset, a `--config` file and a study's stored config are plain dicts; `merge` lays one over another
section by section, `apply_overrides` applies `--set` strings (an unknown key fails with the valid keys
at that level), and `build_config` validates the result into a `RunConfig` or raises `ConfigError` with
one line. `dotted_keys` lists the keys a dict sets, in `--set` form. The shape itself is
`experiments.config`; reading files and presets is `experiments.run.cli`'s job.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from experiments.config import ConfigError, RunConfig


def _parse_value(raw: str) -> Any:
    """`--set` values are JSON when they parse as JSON (numbers, true, null, lists), else strings."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply `a.b.c=value` strings to a plain config dict; unknown keys raise ConfigError.

    Keys under an `options` mapping are free-form (they are passed through to a library).
    """
    known = RunConfig().model_dump()
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected key=value")
        key, raw = item.split("=", 1)
        parts = key.strip().split(".")
        node: dict[str, Any] = data
        shape: Any = known  # the defaults below this key: a dict for a section, else a leaf value
        for depth, part in enumerate(parts):
            free = depth > 0 and parts[depth - 1] == "options"
            if not free and (not isinstance(shape, dict) or part not in shape):
                valid = ", ".join(sorted(shape)) if isinstance(shape, dict) else "(none: not a section)"
                raise ConfigError(f"--set {key}: unknown key {part!r}; valid keys here: {valid}")
            if depth == len(parts) - 1:
                node[part] = _parse_value(raw)
            else:
                node = node.setdefault(part, {})
                shape = shape.get(part) if isinstance(shape, dict) else None
    return data


def merge(defaults: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of `defaults` with `changes` laid over it, section by section."""
    out = json.loads(json.dumps(defaults))
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "options":
            out[key] = merge(out[key], value)
        else:
            out[key] = json.loads(json.dumps(value))
    return out


def dotted_keys(data: dict[str, Any], prefix: str = "") -> list[str]:
    """The keys a settings dict sets, as `--set` would name them (an `options` mapping is one key)."""
    keys: list[str] = []
    for key, value in data.items():
        if isinstance(value, dict) and value and key != "options":
            keys += dotted_keys(value, f"{prefix}{key}.")
        else:
            keys.append(f"{prefix}{key}")
    return keys


def build_config(base: dict[str, Any], overrides: list[str] | None = None) -> RunConfig:
    """Validate a preset/config dict plus overrides into a RunConfig, or raise ConfigError (one line)."""
    data = apply_overrides(merge(RunConfig().model_dump(mode="json"), base), overrides or [])
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"config {where}: {first['msg'].removeprefix('Value error, ')}") from None
