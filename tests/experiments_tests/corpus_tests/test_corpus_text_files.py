"""Directory and single-file loading of .txt/.md documents, with bad files skipped and reported."""

from __future__ import annotations

import pytest

from experiments.config import ConfigError, CorpusConfig
from experiments.corpus import load_corpus
from experiments.corpus.text_files import load_text_files


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "docs"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a.txt").write_text("Alpha text. It has two sentences.\n", encoding="utf-8")
    (root / "b.md").write_text("# Bravo Title\n\nBody of bravo.\r\n", encoding="utf-8")
    (root / "sub" / "c.txt").write_text("Charlie, nested.", encoding="utf-8")
    (root / "sub" / "deeper" / "d.md").write_text("Delta without heading.", encoding="utf-8")
    (root / "empty.txt").write_text("  \n\t\n", encoding="utf-8")
    (root / "binary.txt").write_bytes(b"abc\x00def")
    (root / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (root / "a.md").write_text("Same id as a.txt.", encoding="utf-8")
    (root / "paper.pdf").write_bytes(b"%PDF-1.4")
    (root / ".hidden.txt").write_text("ignored", encoding="utf-8")
    return root


def test_directory_loader_keeps_good_and_reports_bad(tree):
    documents, skipped = load_text_files(tree)
    assert [d.id for d in documents] == ["a", "b", "sub/c", "sub/deeper/d"]
    by_id = {d.id: d for d in documents}
    assert by_id["b"].title == "Bravo Title"
    assert by_id["b"].text == "# Bravo Title\n\nBody of bravo."
    assert by_id["sub/deeper/d"].title == "d"
    # a.md sorts before a.txt, so it takes the id "a" and a.txt is the duplicate.
    assert by_id["a"].source == str(tree / "a.md")
    assert all(d.licence == "unknown" and d.year is None for d in documents)
    reasons = {path.rsplit("/", 1)[-1]: reason for path, reason in skipped}
    assert set(reasons) == {"a.txt", "binary.txt", "empty.txt", "latin1.txt", "paper.pdf"}
    assert "duplicate id" in reasons["a.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "empty" in reasons["empty.txt"]
    assert "not UTF-8" in reasons["latin1.txt"]
    assert "not a .txt/.md file" in reasons["paper.pdf"]


def test_load_corpus_on_directory(tree):
    load = load_corpus(CorpusConfig(source=str(tree)))
    assert len(load.documents) == 4
    assert len(load.skipped) == 5
    assert load.licences() == {"unknown": 4}


def test_single_text_file(tree):
    load = load_corpus(CorpusConfig(source=str(tree / "sub" / "c.txt")))
    assert [(d.id, d.text) for d in load.documents] == [("c", "Charlie, nested.")]


def test_missing_path_is_one_line_error(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_corpus(CorpusConfig(source=str(tmp_path / "nope")))
    message = str(err.value)
    assert "\n" not in message
    assert "no such file or directory" in message


def test_directory_with_only_bad_files_is_an_error(tmp_path):
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"no usable documents \(1 skipped; first skip: .*empty"):
        load_corpus(CorpusConfig(source=str(tmp_path)))


def test_cc_by_filter_on_unlicensed_files_is_an_error(tree):
    with pytest.raises(ConfigError, match=r"licence=cc-by kept none .*unknown: 4"):
        load_corpus(CorpusConfig(source=str(tree), licence="cc-by"))
