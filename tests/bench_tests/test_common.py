"""bench.common: keep_run keeps one run per label across invocations and renders them all; error_text."""

from __future__ import annotations

import json

import bench.common as common


def test_runs_are_kept_by_label_and_a_rerun_replaces_its_label(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "REPORTS", tmp_path)
    info = {**common.machine(), "commit": "abc"}

    def render(runs):
        return "\n".join(f"{label}={run['value']}" for label, run in runs.items())

    common.keep_run("demo", "Demo", "cmd", info, "a", {"value": 1}, render)
    common.keep_run("demo", "Demo", "cmd", info, "b", {"value": 2}, render)
    runs = common.keep_run("demo", "Demo", "cmd", info, "a", {"value": 3}, render)
    assert runs == {"a": {"value": 3}, "b": {"value": 2}}
    assert json.loads((tmp_path / "demo.json").read_text())["results"]["runs"] == runs
    assert (tmp_path / "demo.md").read_text().endswith("a=3\nb=2\n")


def test_record_run_stamps_the_run_keeps_it_and_prints_its_table(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(common, "REPORTS", tmp_path)
    info = {**common.machine(), "commit": "abc"}

    def render(runs):
        return "intro\n\n" + "\n".join(f"{label}: {run['value']} in {run['seconds']} s" for label, run in runs.items())

    run = {"value": 1}
    common.record_run("demo", "Demo", "cmd", info, "a", run, render, command="bench x", seconds=2.0)
    assert run == {"value": 1, "command": "bench x", "seconds": 2.0, "commit": "abc", "date": info["date"]}
    assert capsys.readouterr().out == "a: 1 in 2.0 s\n"
    assert json.loads((tmp_path / "demo.json").read_text())["results"]["runs"] == {"a": run}


def test_measure_and_record_keeps_a_timed_run_and_turns_bad_input_into_one_line(tmp_path, monkeypatch, capsys):
    import argparse

    import pytest

    from experiments.config import ConfigError

    monkeypatch.setattr(common, "REPORTS", tmp_path)
    parser = argparse.ArgumentParser(prog="bench.demo")

    def render(runs):
        return "intro\n\n" + "\n".join(f"{label}: {run['value']} by {run['command']}" for label, run in runs.items())

    common.measure_and_record(parser, "demo", "Demo", "cmd", "a", ["--label", "a"], lambda: {"value": 1}, render)
    kept = json.loads((tmp_path / "demo.json").read_text())["results"]["runs"]["a"]
    assert kept["value"] == 1 and kept["seconds"] >= 0 and kept["command"].endswith("-m bench.demo --label a")
    assert capsys.readouterr().out.startswith("a: 1 by ")

    def broken(error):
        def run():
            raise error

        return run

    for error in (ConfigError("unknown preset 'x'"), KeyError("doc_id")):
        with pytest.raises(SystemExit) as stop:
            common.measure_and_record(parser, "demo", "Demo", "cmd", "b", [], broken(error), render, KeyError)
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith(f"bench.demo: error: {type(error).__name__}: ") and err.count("\n") == 1
    with pytest.raises(ValueError):  # not a declared input error: a fault, with its traceback
        common.measure_and_record(parser, "demo", "Demo", "cmd", "b", [], broken(ValueError("bug")), render, KeyError)
    assert "b" not in json.loads((tmp_path / "demo.json").read_text())["results"]["runs"]


def test_a_failed_call_is_one_short_line():
    assert common.error_text(ValueError("bad reply\nTraceback ...")) == "ValueError: bad reply"
    assert common.error_text(RuntimeError("x" * 300)) == "RuntimeError: " + "x" * 200
    assert common.error_text(KeyError()) == "KeyError: "
