"""Source documents for Agentic Self-Instruct: load, licence-filter, cut for length, split by id.

Public API: `load_corpus(cfg)` / `load_splits(cfg)` for a `CorpusConfig`, the `Document` record, the
`CorpusLoad` result, `prepare` (length cut), `split_documents` (id-keyed split) and `detokenise`. The
per-source loaders are importable from their modules but are not part of the public API.
"""

from experiments.corpus.detok import detokenise
from experiments.corpus.document import Document
from experiments.corpus.load import CorpusLoad, load_corpus, load_splits
from experiments.corpus.split import SPLITS, split_documents
from experiments.corpus.truncate import prepare

__all__ = [
    "SPLITS",
    "CorpusLoad",
    "Document",
    "detokenise",
    "load_corpus",
    "load_splits",
    "prepare",
    "split_documents",
]
