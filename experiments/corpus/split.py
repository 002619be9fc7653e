"""Deterministic train/val/test split keyed by document id.

Documents are ordered by SHA-256 of "<seed>:<id>" (hashlib, so it is stable across processes and Python
versions, unlike `hash()`); train takes the first `n_train`, val the next `n_val`, test the next `n_test`,
and the rest are unused. The order depends only on the seed and the ids, so shuffling the input changes
nothing, and for a fixed seed and pool a document always lands in the same split. Changing the pool (a
licence filter, new files) or the counts can move documents between splits. Source-provided splits
(aclsum's own train/val/test) are deliberately ignored: they were made for summarisation, one rule serves
every source, and a licence filter would unbalance them. No document can appear in two splits.
"""

from __future__ import annotations

import hashlib

from experiments.config import ConfigError
from experiments.corpus.document import Document

SPLITS = ("train", "val", "test")


def split_key(seed: int, doc_id: str) -> str:
    """The sort key of one document: hex SHA-256 of "<seed>:<id>"."""
    return hashlib.sha256(f"{seed}:{doc_id}".encode()).hexdigest()


def split_documents(
    docs: list[Document], n_train: int, n_val: int, n_test: int, seed: int, *, source: str | None = None
) -> dict[str, list[Document]]:
    """{"train": [...], "val": [...], "test": [...]} with exactly the requested counts (see module doc)."""
    counts = {"train": n_train, "val": n_val, "test": n_test}
    if any(n < 0 for n in counts.values()):
        raise ConfigError(f"corpus split sizes must be >= 0, got train={n_train} val={n_val} test={n_test}")
    ids = [doc.id for doc in docs]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise ValueError(f"document ids must be unique before splitting; {dup!r} repeats")
    wanted = sum(counts.values())
    if wanted > len(docs):
        where = f" from {source}" if source else ""
        raise ConfigError(
            f"corpus asks for {wanted} documents (train={n_train}, val={n_val}, test={n_test}) "
            f"but only {len(docs)} are available{where}"
        )
    ordered = sorted(docs, key=lambda d: (split_key(seed, d.id), d.id))
    out: dict[str, list[Document]] = {}
    start = 0
    for name in SPLITS:
        out[name] = ordered[start : start + counts[name]]
        start += counts[name]
    return out
