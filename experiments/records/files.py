"""Durable run files: atomic whole-file writes and an append-only JSON Lines log.

Whole files (config, summary, program, harness) are written to a temporary file in the same folder,
flushed, fsynced and renamed over the target, so a crash leaves either the old or the new file. Round
logs are appended one line at a time and flushed with fsync, so a `kill -9` loses at most the line being
written; `read_jsonl` skips a torn last line instead of failing.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


class JsonlLog:
    """Append-only JSON Lines file, safe to share between threads."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()  # the file exists from the start, also when nothing is ever appended to it
        self._lock = threading.Lock()
        self._repair()

    def _repair(self) -> None:
        """Drop a torn last line left by a killed writer, so appends start on a clean line."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        data = self.path.read_bytes()
        if data.endswith(b"\n"):
            return
        keep = data[: data.rfind(b"\n") + 1]
        with open(self.path, "wb") as handle:
            handle.write(keep)
            handle.flush()
            os.fsync(handle.fileno())

    def append(self, row: dict[str, Any]) -> None:
        line = json.dumps(row, default=str, ensure_ascii=False) + "\n"
        with self._lock, open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """All complete rows of a JSON Lines file; a torn or corrupt line is skipped."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows
