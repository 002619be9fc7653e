"""Load plain-text documents from `.txt`/`.md` files: one file, or a directory searched recursively.

Files are visited in sorted order of their path relative to the directory; a document's id is that
relative path without its extension (`notes/intro.md` -> `notes/intro`) and its source is the file path.
The title is the first-level Markdown heading on the first non-empty line, else the file name. Bad files
are skipped with a reason, never fatal: empty or whitespace-only, binary (NUL bytes), not UTF-8, other
extensions, or an id already taken (`a.txt` and `a.md`). Hidden files and directories are ignored. This
module does not truncate, split or filter by licence.
"""

from __future__ import annotations

from pathlib import Path

from experiments.corpus.document import Document

TEXT_SUFFIXES = (".txt", ".md")


def read_text_file(path: Path) -> tuple[str | None, str]:
    """(text, "") for a usable file, else (None, reason)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"unreadable: {exc.strerror or exc}"
    if b"\x00" in data:
        return None, "binary file (contains NUL bytes)"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return None, "empty or whitespace-only"
    return text.strip("\n"), ""


def _title(text: str, path: Path) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if path.suffix == ".md" and first.startswith("# "):
        return first[2:].strip()
    return path.stem


def _is_hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def load_text_files(root: Path) -> tuple[list[Document], list[tuple[str, str]]]:
    """Documents from `root` (a directory, or a single .txt/.md file) and the (path, reason) of skipped files."""
    if root.is_file():
        files, base = [root], root.parent
    else:
        files = sorted(
            (p for p in root.rglob("*") if p.is_file() and not _is_hidden(p.relative_to(root))),
            key=lambda p: p.relative_to(root).as_posix(),
        )
        base = root
    documents: list[Document] = []
    skipped: list[tuple[str, str]] = []
    seen: set[str] = set()
    for path in files:
        if path.suffix.lower() not in TEXT_SUFFIXES:
            skipped.append((str(path), f"not a {'/'.join(TEXT_SUFFIXES)} file"))
            continue
        doc_id = path.relative_to(base).with_suffix("").as_posix()
        if doc_id in seen:
            skipped.append((str(path), f"duplicate id {doc_id!r} (another file has the same name)"))
            continue
        text, reason = read_text_file(path)
        if text is None:
            skipped.append((str(path), reason))
            continue
        seen.add(doc_id)
        documents.append(Document(id=doc_id, title=_title(text, path), text=text, source=str(path)))
    return documents, skipped
