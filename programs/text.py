"""Text shown to models and people in one line: whitespace collapsed, cut to a length with an ellipsis."""

from __future__ import annotations


def clip(text: str | None, limit: int) -> str:
    """`text` on one line, at most `limit` characters ("..." marks a cut); None reads as empty."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
