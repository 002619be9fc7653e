"""bench.recorded: the shared command line of the recorded-rounds benchmarks, and interval printing."""

from __future__ import annotations

import pytest

from bench.recorded import interval, parse_rounds_args, rounds_parser


def test_a_missing_rounds_file_is_one_usage_error(tmp_path, capsys):
    here = tmp_path / "rounds.jsonl"
    here.write_text("")
    parser = rounds_parser("bench")
    args = parse_rounds_args(parser, ["--rounds", str(here), "--label", "x", "--set", "a=1", "--set", "b=2"])
    assert args.rounds == [here] and args.sets == ["a=1", "b=2"] and args.candidates is None
    with pytest.raises(SystemExit) as stop:
        parse_rounds_args(parser, ["--rounds", str(here), str(tmp_path / "gone.jsonl"), "--label", "x"])
    assert stop.value.code == 2 and f"--rounds: no such file {tmp_path / 'gone.jsonl'}" in capsys.readouterr().err


def test_interval_prints_the_estimate_or_a_dash():
    assert interval({"mean": 0.4, "lo": 0.255, "hi": 0.55}) == "0.40 [0.26, 0.55]"
    assert interval({"mean": None, "lo": None, "hi": None}) == "-"
