"""Load the 250 ACL Anthology papers bundled in the `aclsum` package as Documents.

Each paper becomes "Title\\n\\nAbstract\\n...\\n\\nIntroduction\\n...\\n\\nConclusion\\n...", built from aclsum's
sentence lists and detokenised. Abstract and introduction come first on purpose: a cut for length keeps
them and drops the end of the conclusion. The year comes from the ACL Anthology id and gives the licence
(CC BY 4.0 from 2016 on, CC BY-NC-SA 3.0 before). All three aclsum splits are loaded and pooled; this
module does not split, filter by licence or truncate (see `split.py`, `load.py`, `truncate.py`).
"""

from __future__ import annotations

import re
from typing import Literal

from aclsum import ACLSum

from experiments.corpus.detok import detokenise
from experiments.corpus.document import CC_BY_4, CC_BY_NC_SA_3, UNKNOWN_LICENCE, Document

ACLSUM_SPLITS: tuple[Literal["train", "val", "test"], ...] = ("train", "val", "test")
SECTIONS = (("abstract", "Abstract"), ("introduction", "Introduction"), ("conclusion", "Conclusion"))
SOURCE = "aclsum"

# New-style ids: `2020.acl-main.642` (year first). Old-style ids: `P06-1112` (venue letter, 2-digit year).
_NEW_ID = re.compile(r"^(\d{4})\.[\w-]+\.\d+$")
_OLD_ID = re.compile(r"^[A-Z](\d{2})-\d{4}$")


def anthology_year(paper_id: str) -> int | None:
    """The publication year encoded in an ACL Anthology id, or None for an id of another form."""
    if m := _NEW_ID.match(paper_id):
        return int(m.group(1))
    if m := _OLD_ID.match(paper_id):
        yy = int(m.group(1))
        # Old-style ids run from the 1960s to 2019, so two digits are unambiguous with a 1950 pivot.
        return 1900 + yy if yy >= 50 else 2000 + yy
    return None


def anthology_licence(year: int | None) -> str:
    """The ACL Anthology licence for a paper of this year."""
    if year is None:
        return UNKNOWN_LICENCE
    return CC_BY_4 if year >= 2016 else CC_BY_NC_SA_3


def paper_text(title: str, sentences: dict[str, list[str]]) -> str:
    """The document text: title, then each non-empty section under its heading, detokenised."""
    parts = [title.strip()]
    for key, heading in SECTIONS:
        body = detokenise(sentences.get(key) or [])
        if body:
            parts.append(f"{heading}\n{body}")
    return "\n\n".join(parts)


def load_aclsum() -> tuple[list[Document], list[tuple[str, str]]]:
    """All aclsum papers (train, val and test pooled) and the (id, reason) pairs of any skipped paper."""
    documents: list[Document] = []
    skipped: list[tuple[str, str]] = []
    for split in ACLSUM_SPLITS:
        for paper in ACLSum(split):
            ref = f"{SOURCE}:{paper.id}"
            if not any(paper.sentences.get(key) for key, _ in SECTIONS):
                skipped.append((ref, "no abstract, introduction or conclusion sentences"))
                continue
            year = anthology_year(paper.id)
            documents.append(
                Document(
                    id=paper.id,
                    title=paper.title.strip(),
                    text=paper_text(paper.title, paper.sentences),
                    source=SOURCE,
                    licence=anthology_licence(year),
                    year=year,
                )
            )
    return documents, skipped
