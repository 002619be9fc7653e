"""Entry points: `load_corpus(cfg)` and `load_splits(cfg)` for a `CorpusConfig`.

`cfg.source` picks the loader: "aclsum" (the bundled papers), `hf:<org/name>[:<split>]` (hub), a
directory or `.txt`/`.md` file (text files), or a `.jsonl`/`.json`/`.csv`/`.parquet` file (via datasets).
Then `cfg.licence == "cc-by"` keeps only documents under a plain CC BY licence (for aclsum: the 2016+
papers; documents of unknown licence are dropped too), and every document is passed through
`truncate.prepare(doc, cfg.max_chars)`. Bad documents are skipped and listed; a bad source, or a load that
leaves no document, is a one-line ConfigError. Loaders, cutting and splitting live in their own modules.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from experiments.config import ConfigError, CorpusConfig
from experiments.corpus.aclsum_source import load_aclsum
from experiments.corpus.document import Document, is_cc_by
from experiments.corpus.hub import HUB_PREFIX, load_hub_dataset
from experiments.corpus.split import split_documents
from experiments.corpus.table_files import TABLE_FORMATS, load_table_file
from experiments.corpus.text_files import TEXT_SUFFIXES, load_text_files
from experiments.corpus.truncate import prepare

_EXPECTED = "expected 'aclsum', hf:<org/name>, a directory of .txt/.md files, or a .jsonl/.json/.csv/.parquet file"


@dataclass
class CorpusLoad:
    """The outcome of one corpus load: kept documents, skipped (source/id, reason) pairs, licence counts."""

    source: str
    documents: list[Document]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # Documents removed by the corpus.licence filter, counted per licence (not errors, so not in `skipped`).
    excluded: dict[str, int] = field(default_factory=dict)

    def licences(self) -> dict[str, int]:
        """Kept documents per licence, most common first."""
        return dict(Counter(doc.licence for doc in self.documents).most_common())

    @property
    def n_truncated(self) -> int:
        return sum(doc.truncated for doc in self.documents)

    def summary(self) -> str:
        """One line for users, e.g. `250 documents from aclsum (CC BY-NC-SA 3.0: 138, CC BY 4.0: 112); ...`."""
        licences = ", ".join(f"{name}: {n}" for name, n in self.licences().items())
        line = f"{len(self.documents)} documents from {self.source} ({licences}); {self.n_truncated} cut for length"
        if self.excluded:
            line += f"; {sum(self.excluded.values())} excluded by licence filter"
        return line + f"; {len(self.skipped)} skipped"


def _load_source(cfg: CorpusConfig) -> tuple[list[Document], list[tuple[str, str]]]:
    source = cfg.source.strip()
    if source == "aclsum":
        return load_aclsum()
    if source.startswith(HUB_PREFIX):
        return load_hub_dataset(source, cfg.text_field, cfg.id_field)
    path = Path(source).expanduser()
    if not path.exists():
        raise ConfigError(f"corpus.source {source!r}: no such file or directory ({_EXPECTED})")
    if path.is_dir() or path.suffix.lower() in TEXT_SUFFIXES:
        return load_text_files(path)
    if path.suffix.lower() in TABLE_FORMATS:
        return load_table_file(path, cfg.text_field, cfg.id_field)
    raise ConfigError(f"corpus.source {source!r}: unsupported file type ({_EXPECTED})")


def load_corpus(cfg: CorpusConfig) -> CorpusLoad:
    """Load, licence-filter and cut the documents of `cfg.source` (see module doc)."""
    documents, skipped = _load_source(cfg)
    excluded: Counter[str] = Counter()
    if cfg.licence == "cc-by":
        excluded.update(doc.licence for doc in documents if not is_cc_by(doc.licence))
        documents = [doc for doc in documents if is_cc_by(doc.licence)]
    if not documents:
        if excluded:
            found = ", ".join(f"{name}: {n}" for name, n in excluded.most_common())
            raise ConfigError(
                f"corpus.licence=cc-by kept none of the documents from {cfg.source} ({found}); use licence=all"
            )
        first = f"; first skip: {skipped[0][0]}: {skipped[0][1]}" if skipped else ""
        raise ConfigError(f"corpus.source {cfg.source!r}: no usable documents ({len(skipped)} skipped{first})")
    documents = [prepare(doc, cfg.max_chars) for doc in documents]
    return CorpusLoad(source=cfg.source, documents=documents, skipped=skipped, excluded=dict(excluded))


def load_splits(cfg: CorpusConfig) -> tuple[dict[str, list[Document]], CorpusLoad]:
    """The train/val/test documents for `cfg` and the load they were drawn from."""
    load = load_corpus(cfg)
    what = cfg.source + (" (licence=cc-by)" if cfg.licence == "cc-by" else "")
    splits = split_documents(load.documents, cfg.n_train, cfg.n_val, cfg.n_test, cfg.seed, source=what)
    return splits, load
