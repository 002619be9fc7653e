"""Assemble one file from ordered part files and verify its sha256, once.

Generic mechanics only: which models exist and where their parts come from is `embedded.py`. The
result is written to a temporary file in the target directory and renamed into place, so a crash
or a concurrent run never leaves a half-written file under the final name. A verified file gets a
small JSON stamp keyed by path, size and mtime, so later calls cost a `stat` instead of a re-hash.
Nothing is downloaded here.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

_CHUNK = 8 * 1024 * 1024


class EmbeddedModelError(RuntimeError):
    """A user-facing problem with an embedded model's files; the message is one line."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _stamp_record(path: Path, sha256: str) -> dict[str, object]:
    st = path.stat()
    return {"path": str(path.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}


def is_stamped(path: Path, stamp: Path, sha256: str) -> bool:
    """True when `stamp` records that `path`, as it is now (size, mtime), hashed to `sha256`."""
    try:
        return json.loads(stamp.read_text()) == _stamp_record(path, sha256)
    except (OSError, ValueError):
        return False


def write_stamp(path: Path, stamp: Path, sha256: str) -> None:
    stamp.parent.mkdir(parents=True, exist_ok=True)
    tmp = stamp.with_name(f".{stamp.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(_stamp_record(path, sha256)))
    os.replace(tmp, stamp)


def verify(path: Path, stamp: Path, *, size: int, sha256: str, label: str, fix: str) -> Path:
    """Check an existing file's size and hash (skipped when the stamp still matches) and stamp it."""
    if is_stamped(path, stamp, sha256):
        return path
    actual_size = path.stat().st_size
    if actual_size != size:
        raise EmbeddedModelError(f"{label}: {path} has {actual_size:,} bytes, expected {size:,}; {fix}")
    actual = sha256_file(path)
    if actual != sha256:
        raise EmbeddedModelError(f"{label}: sha256 of {path} is {actual[:16]}…, expected {sha256[:16]}…; {fix}")
    write_stamp(path, stamp, sha256)
    return path


def assemble(parts: Sequence[Path], target: Path, stamp: Path, *, size: int, sha256: str, label: str, fix: str) -> Path:
    """Concatenate `parts` in order into `target` (atomically), verify size and sha256, stamp it.

    An existing target that still matches its stamp is returned at once; one that does not verify
    is rebuilt from the parts. A mismatch of the parts raises EmbeddedModelError and leaves no file.
    """
    if target.exists():
        try:
            return verify(target, stamp, size=size, sha256=sha256, label=label, fix=fix)
        except EmbeddedModelError:
            target.unlink(missing_ok=True)
    total = sum(p.stat().st_size for p in parts)
    if total != size:
        raise EmbeddedModelError(f"{label}: the parts hold {total:,} bytes, expected {size:,}; {fix}")
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, 0o644)
        try:
            with os.fdopen(fd, "wb") as out:
                for part in parts:
                    with open(part, "rb") as src:
                        while block := src.read(_CHUNK):
                            digest.update(block)
                            out.write(block)
        except OSError as exc:  # a full disk, most often; the partial file is removed below
            raise EmbeddedModelError(
                f"{label}: could not write {target} ({exc.strerror or exc}); it needs {size:,} bytes there: "
                "free some space, or set AUTODATA_MODEL_DIR to a directory on a larger disk"
            ) from None
        actual = digest.hexdigest()
        if actual != sha256:
            raise EmbeddedModelError(
                f"{label}: sha256 of the assembled parts is {actual[:16]}…, expected {sha256[:16]}…; {fix}"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    write_stamp(target, stamp, sha256)
    return target
