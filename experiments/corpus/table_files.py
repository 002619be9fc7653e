"""Load documents from one local `.jsonl`/`.json`/`.csv`/`.parquet` file through `datasets.load_dataset`.

The file is read with the matching packaged builder (`json`, `csv`, `parquet`) as a single "train" split;
datasets caches the Arrow conversion under `$HF_HOME`. Rows become Documents via `rows.documents_from_rows`.
A file datasets cannot parse is a one-line ConfigError. This module does not read text files or the hub.
"""

from __future__ import annotations

from pathlib import Path

from experiments.config import ConfigError
from experiments.corpus.document import Document
from experiments.corpus.rows import documents_from_rows

TABLE_FORMATS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}


def one_line(exc: BaseException, limit: int = 200) -> str:
    """The first non-empty line of an exception message, shortened, prefixed by its type."""
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    if len(first) > limit:
        first = first[: limit - 3] + "..."
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def load_table_file(path: Path, text_field: str, id_field: str) -> tuple[list[Document], list[tuple[str, str]]]:
    """Documents from a tabular file and the (source:id, reason) of skipped rows."""
    builder = TABLE_FORMATS.get(path.suffix.lower())
    if builder is None:
        raise ConfigError(f"corpus.source {str(path)!r}: unsupported file type; use {', '.join(TABLE_FORMATS)}")
    import datasets  # about 1 s to import: only when a table file is read

    try:
        dataset = datasets.load_dataset(builder, data_files=str(path), split="train")
    except Exception as exc:  # datasets raises many types for a malformed file
        raise ConfigError(f"corpus.source {str(path)!r}: could not read it as {builder}: {one_line(exc)}") from None
    return documents_from_rows(dataset, text_field, id_field, source=str(path))
