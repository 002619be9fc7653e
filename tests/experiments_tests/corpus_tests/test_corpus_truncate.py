"""prepare(): documents that are too long are cut at a sentence boundary, and say so."""

from __future__ import annotations

import pytest

from experiments.corpus import Document, prepare
from experiments.corpus.truncate import cut_marker, cut_point


def doc(text):
    return Document(id="d", title="t", text=text, source="test")


SENTENCES = " ".join(f"Sentence number {i} ends here." for i in range(100))


def test_short_document_is_unchanged():
    original = doc("Short. Text.")
    assert prepare(original, 200) is original


@pytest.mark.parametrize("max_chars", [200, 333, 1000, 2500])
def test_cut_at_last_sentence_end_within_limit(max_chars):
    cut = prepare(doc(SENTENCES), max_chars)
    marker = cut_marker(len(SENTENCES))
    assert cut.truncated and cut.n_chars == len(SENTENCES)
    assert len(cut.text) <= max_chars
    assert cut.text.endswith(marker)
    kept = cut.text[: -len(marker)]
    assert kept.endswith("ends here.")
    assert SENTENCES.startswith(kept)
    # It is the LAST boundary that fits: one more sentence would not.
    next_end = SENTENCES.index(".", len(kept)) + 1
    assert next_end > max_chars - len(marker)
    assert f"{len(SENTENCES):,}" in marker


@pytest.mark.parametrize(
    ("text", "budget", "expected"),
    [
        ("First one. Second one is longer.", 20, "First one."),
        ("See e.g. this. More text follows here.", 20, "See e.g. this."),
        ("Work by Smith et al. on this. Then more.", 35, "Work by Smith et al. on this."),
        ('He said "stop." Then left quietly.', 22, 'He said "stop."'),
        ("Para one\n\nPara two goes on and on", 20, "Para one\n\n"),
        ("no sentence ends anywhere in this long text", 20, "no sentence ends"),
        ("x" * 50, 20, "x" * 20),
    ],
)
def test_cut_point(text, budget, expected):
    assert text[: cut_point(text, budget)] == expected


def test_cutting_twice_keeps_original_length():
    once = prepare(doc(SENTENCES), 2000)
    twice = prepare(once, 500)
    assert twice.n_chars == len(SENTENCES) and twice.truncated
    assert len(twice.text) <= 500
