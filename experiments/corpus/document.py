"""The `Document` record: one source document as the challenger sees it, plus where it came from.

A Document is immutable. `text` is what the challenger is shown (possibly cut, see `truncate.prepare`);
`n_chars` is always the length of the ORIGINAL text, and `truncated` says whether `text` was cut. This
module holds only the record and the licence names; it does not load, split or cut anything.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

CC_BY_4 = "CC BY 4.0"
CC_BY_NC_SA_3 = "CC BY-NC-SA 3.0"
UNKNOWN_LICENCE = "unknown"


@dataclass(frozen=True)
class Document:
    """A source document. `id` is unique within one corpus load."""

    id: str
    title: str
    text: str
    source: str
    licence: str = UNKNOWN_LICENCE
    year: int | None = None
    n_chars: int = -1
    truncated: bool = False

    def __post_init__(self) -> None:
        if self.n_chars < 0:
            # Not given: the text is the original, so its length is the original length.
            object.__setattr__(self, "n_chars", len(self.text))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return asdict(self)


def is_cc_by(licence: str) -> bool:
    """True for plain CC BY licences (any version), which allow reuse with attribution only."""
    return licence.startswith("CC BY ") and licence[len("CC BY ") :][:1].isdigit()
