"""load_corpus / load_splits end to end on aclsum, and the Document record."""

from __future__ import annotations

import json

from experiments.config import CorpusConfig
from experiments.corpus import SPLITS, Document, load_corpus, load_splits


def test_load_splits_default_config():
    cfg = CorpusConfig()
    splits, load = load_splits(cfg)
    assert [len(splits[s]) for s in SPLITS] == [cfg.n_train, cfg.n_val, cfg.n_test]
    assert len(load.documents) == 250
    picked = [d.id for s in SPLITS for d in splits[s]]
    assert len(set(picked)) == len(picked)
    assert all(len(d.text) <= cfg.max_chars for d in load.documents)
    assert any(d.truncated for d in load.documents)
    assert load.summary().startswith("250 documents from aclsum (CC BY-NC-SA 3.0: 138, CC BY 4.0: 112)")
    # Same config, same draw.
    again, _ = load_splits(cfg)
    assert {s: [d.id for d in again[s]] for s in SPLITS} == {s: [d.id for d in splits[s]] for s in SPLITS}


def test_cc_by_splits_only_hold_2016_plus():
    splits, load = load_splits(CorpusConfig(licence="cc-by", n_train=50, n_val=30, n_test=32))
    assert sum(len(v) for v in splits.values()) == 112
    assert all(d.licence == "CC BY 4.0" and d.year >= 2016 for v in splits.values() for d in v)
    assert "112 documents" in load.summary() and "138 excluded" in load.summary()


def test_truncation_keeps_abstract_first():
    load = load_corpus(CorpusConfig(max_chars=1500))
    for d in load.documents:
        assert d.truncated == (d.n_chars > 1500)
        assert "\n\nAbstract\n" in d.text


def test_document_to_dict_is_json_ready():
    d = Document(id="a", title="A", text="Hello.", source="test", licence="CC BY 4.0", year=2020)
    assert d.n_chars == 6 and not d.truncated
    data = d.to_dict()
    assert json.loads(json.dumps(data)) == {
        "id": "a",
        "title": "A",
        "text": "Hello.",
        "source": "test",
        "licence": "CC BY 4.0",
        "year": 2020,
        "n_chars": 6,
        "truncated": False,
    }
