"""The bundled aclsum papers: counts, ids, year and licence mapping, text construction."""

from __future__ import annotations

import re

import pytest

from experiments.config import CorpusConfig
from experiments.corpus import load_corpus
from experiments.corpus.aclsum_source import anthology_licence, anthology_year, load_aclsum


@pytest.fixture(scope="module")
def aclsum():
    documents, skipped = load_aclsum()
    return {doc.id: doc for doc in documents}, documents, skipped


def test_all_250_papers_with_unique_ids(aclsum):
    by_id, documents, skipped = aclsum
    assert len(documents) == 250
    assert len(by_id) == 250
    assert skipped == []


@pytest.mark.parametrize(
    ("paper_id", "year"),
    [
        ("P06-1112", 2006),
        ("P93-1015", 1993),
        ("W96-0208", 1996),
        ("E99-1005", 1999),
        ("D16-1135", 2016),
        ("2020.acl-main.642", 2020),
        ("2021.acl-long.67", 2021),
        ("2020.aacl-main.33", 2020),
        ("not-an-id", None),
    ],
)
def test_anthology_year(paper_id, year):
    assert anthology_year(paper_id) == year


@pytest.mark.parametrize(
    ("year", "licence"),
    [(2015, "CC BY-NC-SA 3.0"), (2016, "CC BY 4.0"), (1993, "CC BY-NC-SA 3.0"), (None, "unknown")],
)
def test_anthology_licence(year, licence):
    assert anthology_licence(year) == licence


def test_every_id_has_a_year_and_known_papers_map_right(aclsum):
    by_id, documents, _ = aclsum
    assert all(doc.year is not None and 1990 <= doc.year <= 2022 for doc in documents)
    old, new = by_id["P06-1112"], by_id["2020.acl-main.642"]
    assert (old.year, old.licence) == (2006, "CC BY-NC-SA 3.0")
    assert (new.year, new.licence) == (2020, "CC BY 4.0")
    assert old.title == "Exploring Correlation of Dependency Relation Paths for Answer Extraction"


def test_licence_counts_and_cc_by_filter():
    load = load_corpus(CorpusConfig(source="aclsum", max_chars=100_000))
    assert load.licences() == {"CC BY-NC-SA 3.0": 138, "CC BY 4.0": 112}
    cc_by = load_corpus(CorpusConfig(source="aclsum", licence="cc-by", max_chars=100_000))
    assert len(cc_by.documents) == 112
    assert all(doc.year >= 2016 for doc in cc_by.documents)
    assert cc_by.excluded == {"CC BY-NC-SA 3.0": 138}


def test_text_layout_and_detokenised(aclsum):
    by_id, documents, _ = aclsum
    text = by_id["P06-1112"].text
    assert text.startswith("Exploring Correlation of Dependency Relation Paths for Answer Extraction\n\nAbstract\n")
    assert text.index("\n\nAbstract\n") < text.index("\n\nIntroduction\n") < text.index("\n\nConclusion\n")
    assert "In this paper, we explore correlation" in text
    assert "Question Answering (QA)." in text
    for doc in documents:
        assert not re.search(r"\w [,;%]|\( \w| n't\b", doc.text), doc.id
        assert doc.n_chars == len(doc.text) and not doc.truncated
