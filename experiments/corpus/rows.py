"""Turn the rows of a `datasets.Dataset` into Documents (shared by local tabular files and hub datasets).

The text comes from `text_field` (a missing column is a ConfigError naming the available columns); the id
from `id_field`, or the row index when that column does not exist. Optional columns are used when
present: `title`, `licence`/`license`, `year`. A row whose text is not a non-empty string, whose id is
empty, or whose id repeats an earlier row is skipped with a reason. Nothing is truncated or split here.
"""

from __future__ import annotations

from typing import Any

from experiments.config import ConfigError
from experiments.corpus.document import UNKNOWN_LICENCE, Document

_BATCH = 1000


def _year(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _licence(row: dict[str, Any]) -> str:
    for key in ("licence", "license"):
        value = row.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return UNKNOWN_LICENCE


def documents_from_rows(
    dataset: Any, text_field: str, id_field: str, source: str
) -> tuple[list[Document], list[tuple[str, str]]]:
    """Documents from a datasets.Dataset and the (source:id, reason) of every skipped row."""
    columns = list(dataset.column_names)
    if text_field not in columns:
        raise ConfigError(
            f"corpus.text_field {text_field!r} is not a column of {source}; "
            f"available columns: {', '.join(columns) or '(none)'}"
        )
    wanted = [c for c in (text_field, id_field, "title", "licence", "license", "year") if c in columns]
    dataset = dataset.select_columns(list(dict.fromkeys(wanted)))
    has_id = id_field in columns
    documents: list[Document] = []
    skipped: list[tuple[str, str]] = []
    seen: set[str] = set()
    index = 0
    for batch in dataset.iter(batch_size=_BATCH):
        keys = list(batch)
        for values in zip(*(batch[k] for k in keys), strict=True):
            row = dict(zip(keys, values, strict=True))
            raw_id = row.get(id_field) if has_id else index
            doc_id = "" if raw_id is None else str(raw_id).strip()
            ref = f"{source}:{doc_id}" if doc_id else f"{source}:row {index}"
            index += 1
            text = row[text_field]
            if not doc_id:
                skipped.append((ref, f"empty {id_field!r}"))
            elif doc_id in seen:
                skipped.append((ref, f"duplicate id {doc_id!r}"))
            elif not isinstance(text, str):
                skipped.append((ref, f"{text_field!r} is not text (got {type(text).__name__})"))
            elif not text.strip():
                skipped.append((ref, f"empty {text_field!r}"))
            else:
                seen.add(doc_id)
                title = row.get("title")
                documents.append(
                    Document(
                        id=doc_id,
                        title=title.strip() if isinstance(title, str) and title.strip() else doc_id,
                        text=text.strip(),
                        source=source,
                        licence=_licence(row),
                        year=_year(row.get("year")),
                    )
                )
    return documents, skipped
