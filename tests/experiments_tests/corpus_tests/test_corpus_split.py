"""The id-keyed deterministic split."""

from __future__ import annotations

import random

import pytest

from experiments.config import ConfigError
from experiments.corpus import SPLITS, Document, split_documents

DOCS = [Document(id=f"doc-{i:03d}", title=f"T{i}", text=f"Text {i}.", source="test") for i in range(40)]


def ids(splits):
    return {name: [d.id for d in docs] for name, docs in splits.items()}


def test_counts_and_disjoint():
    splits = split_documents(DOCS, 10, 5, 7, seed=0)
    assert tuple(splits) == SPLITS
    assert [len(splits[s]) for s in SPLITS] == [10, 5, 7]
    all_ids = [d.id for s in SPLITS for d in splits[s]]
    assert len(all_ids) == len(set(all_ids)) == 22


def test_deterministic_and_input_order_independent():
    first = ids(split_documents(DOCS, 10, 5, 7, seed=3))
    shuffled = DOCS[:]
    random.Random(1).shuffle(shuffled)
    assert ids(split_documents(shuffled, 10, 5, 7, seed=3)) == first
    assert ids(split_documents(list(reversed(DOCS)), 10, 5, 7, seed=3)) == first


def test_seed_changes_the_draw():
    assert ids(split_documents(DOCS, 10, 5, 7, seed=0)) != ids(split_documents(DOCS, 10, 5, 7, seed=1))


def test_same_id_same_split_when_pool_grows_at_the_end_of_the_order():
    # Train is a prefix of the hash order: asking for more test documents never moves train or val.
    small = ids(split_documents(DOCS, 4, 2, 2, seed=0))
    large = ids(split_documents(DOCS, 4, 2, 20, seed=0))
    assert small["train"] == large["train"] and small["val"] == large["val"]
    assert set(small["test"]) <= set(large["test"])


@pytest.mark.parametrize(("n_train", "n_val", "n_test"), [(41, 0, 0), (20, 20, 1), (0, 0, 41)])
def test_too_many_requested_is_one_line_error(n_train, n_val, n_test):
    with pytest.raises(ConfigError) as err:
        split_documents(DOCS, n_train, n_val, n_test, seed=0, source="unit")
    message = str(err.value)
    assert "\n" not in message
    assert f"asks for {n_train + n_val + n_test} documents" in message
    assert "only 40 are available from unit" in message


def test_all_documents_and_none():
    splits = split_documents(DOCS, 20, 10, 10, seed=0)
    assert sorted(d.id for s in SPLITS for d in splits[s]) == [d.id for d in DOCS]
    assert split_documents(DOCS, 0, 0, 0, seed=0) == {"train": [], "val": [], "test": []}


def test_duplicate_ids_are_refused():
    with pytest.raises(ValueError, match="unique"):
        split_documents([*DOCS, DOCS[0]], 1, 1, 1, seed=0)
