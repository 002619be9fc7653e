"""Local .jsonl/.json/.csv/.parquet files read through datasets.load_dataset (HF_HOME is a temp dir)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from experiments.config import ConfigError, CorpusConfig
from experiments.corpus import load_corpus

ROWS = [
    {"doc_id": "x1", "body": "First document. It is short.", "title": "One", "year": 2019},
    {"doc_id": "x2", "body": "Second document.", "title": "Two", "year": 2020},
    {"doc_id": "x3", "body": "   ", "title": "Blank", "year": 2021},
    {"doc_id": "x1", "body": "Duplicate id.", "title": "Dup", "year": 2022},
]


def write(path, rows):
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    elif path.suffix == ".json":
        path.write_text(json.dumps(rows), encoding="utf-8")
    elif path.suffix == ".csv":
        pd.DataFrame(rows).to_csv(path, index=False)
    else:
        pd.DataFrame(rows).to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv", ".parquet"])
def test_table_formats(tmp_path, suffix):
    path = write(tmp_path / f"corpus{suffix}", ROWS)
    load = load_corpus(CorpusConfig(source=str(path), text_field="body", id_field="doc_id"))
    assert [(d.id, d.title, d.text, d.year) for d in load.documents] == [
        ("x1", "One", "First document. It is short.", 2019),
        ("x2", "Two", "Second document.", 2020),
    ]
    assert all(d.source == str(path) and d.licence == "unknown" for d in load.documents)
    assert [reason for _, reason in load.skipped] == ["empty 'body'", "duplicate id 'x1'"]


def test_missing_id_column_uses_row_index(tmp_path):
    path = write(tmp_path / "c.jsonl", [{"text": "A."}, {"text": "B."}])
    load = load_corpus(CorpusConfig(source=str(path)))
    assert [d.id for d in load.documents] == ["0", "1"]


def test_licence_column_is_used_and_filterable(tmp_path):
    rows = [{"text": "Open.", "licence": "CC BY 4.0"}, {"text": "Closed.", "license": "proprietary"}]
    path = write(tmp_path / "c.parquet", rows)
    load = load_corpus(CorpusConfig(source=str(path), licence="cc-by"))
    assert [d.text for d in load.documents] == ["Open."]
    assert load.excluded == {"proprietary": 1}


def test_missing_text_column_names_available_columns(tmp_path):
    path = write(tmp_path / "c.csv", [{"id": 1, "content": "A."}])
    with pytest.raises(ConfigError) as err:
        load_corpus(CorpusConfig(source=str(path)))
    message = str(err.value)
    assert "\n" not in message
    assert "'text' is not a column" in message
    assert "available columns: id, content" in message


def test_malformed_file_is_one_line_error(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok"}\n{not json\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_corpus(CorpusConfig(source=str(path)))
    assert "\n" not in str(err.value)
    assert "could not read it as json" in str(err.value)


def test_unsupported_suffix_is_an_error(tmp_path):
    path = tmp_path / "c.xlsx"
    path.write_bytes(b"x")
    with pytest.raises(ConfigError, match="unsupported file type"):
        load_corpus(CorpusConfig(source=str(path)))
