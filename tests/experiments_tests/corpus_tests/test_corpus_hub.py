"""hf:<org/name> sources: parsing, and a fast one-line failure when the hub cannot be reached."""

from __future__ import annotations

import socket
import time

import datasets.config
import pytest

from experiments.config import ConfigError, CorpusConfig
from experiments.corpus import hub, load_corpus
from experiments.corpus.hub import parse_hub_source


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("hf:allenai/scitldr", ("allenai/scitldr", "train")),
        ("hf:allenai/scitldr:test", ("allenai/scitldr", "test")),
        ("hf:org/name:train[:100]", ("org/name", "train[:100]")),
    ],
)
def test_parse_hub_source(source, expected):
    assert parse_hub_source(source) == expected


@pytest.mark.parametrize("source", ["hf:", "hf:a/b/c", "hf:has space/x"])
def test_parse_hub_source_rejects_malformed(source):
    with pytest.raises(ConfigError, match="expected hf:<org/name>"):
        parse_hub_source(source)


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_hub_fails_fast_in_one_line(monkeypatch, closed_port):
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{closed_port}")
    start = time.monotonic()
    with pytest.raises(ConfigError) as err:
        load_corpus(CorpusConfig(source="hf:allenai/scitldr"))
    assert time.monotonic() - start < 5
    message = str(err.value)
    assert "\n" not in message
    assert "hub" in message and "unreachable" in message
    assert f"127.0.0.1:{closed_port}" in message
    assert "local .jsonl/.csv/.parquet file" in message


def test_offline_mode_without_cache_fails_fast_in_one_line(monkeypatch):
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    start = time.monotonic()
    with pytest.raises(ConfigError) as err:
        load_corpus(CorpusConfig(source="hf:someone/not-cached-anywhere"))
    assert time.monotonic() - start < 5
    message = str(err.value)
    assert "\n" not in message
    assert "HF_HUB_OFFLINE" in message and "local .jsonl/.csv/.parquet file" in message


def test_silent_endpoint_times_out_quickly(monkeypatch):
    # A server that accepts connections and never answers (like a firewall that swallows packets).
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hub, "PROBE_TIMEOUT_S", 0.5)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
        start = time.monotonic()
        with pytest.raises(ConfigError, match="unreachable") as err:
            load_corpus(CorpusConfig(source="hf:org/name"))
        assert time.monotonic() - start < 3
    assert "Timeout" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(("status", "reachable"), [(200, True), (404, True), (503, False)])
def test_probe_counts_server_errors_as_unreachable(monkeypatch, status, reachable):
    class Response:
        status_code = status

    class Session:
        def head(self, url, **kwargs):
            return Response()

    monkeypatch.setattr("huggingface_hub.get_session", lambda: Session())
    assert (hub.probe_hub("http://hub.invalid") is None) == reachable
