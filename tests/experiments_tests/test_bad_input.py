"""Bad input gets one clear line on stderr (no traceback), a non-zero exit, and nothing half-done."""

from __future__ import annotations

import json

import pytest

from experiments import compile as compile_cmd
from experiments import generate as generate_cmd


def run(main, argv, capfd):
    """Run a CLI entry; return its exit code and what the user saw on stderr, line by line."""
    code = main(argv)
    err = capfd.readouterr().err
    return code, err.splitlines()


def one_error_line(err: list[str], fragment: str) -> str:
    """The whole of stderr is one `autodata: error: ...` line naming the problem: no traceback, no notes."""
    assert len(err) == 1, err
    assert err[0].startswith("autodata: error: ") and fragment in err[0], err
    assert "Traceback" not in err[0]
    return err[0]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--preset", "huge"], "unknown preset 'huge'; choose one of: quick, default, paper"),
        (["--set", "loop.max_roundz=3"], "unknown key 'max_roundz'; valid keys here:"),
        (["--set", "loop.max_rounds=0"], "config loop.max_rounds: Input should be greater than or equal to 1"),
        (["--set", "acceptance.gap_min=0.97", "--set", "acceptance.preset=deployed"], "impossible thresholds"),
        (["--set", "acceptance.strong_mean_max=0.5"], "impossible thresholds"),
        (["--set", "acceptance.preset=lenient"], "config acceptance.preset"),
        (["--set", "rubric.min_positive=8", "--set", "rubric.max_positive=3"], "min_positive 8 > max_positive 3"),
        (["--set", "models.weak.options.api_key=sk-live"], "put secrets in an environment variable"),
        (["--set", "noequals"], "expected key=value"),
    ],
)
def test_config_errors_are_one_line(argv, fragment, capfd, in_tmp):
    code, err = run(compile_cmd.main, [*argv, "--out", str(in_tmp / "run")], capfd)
    assert code == 2
    one_error_line(err, fragment)
    assert not (in_tmp / "run").exists()


def test_malformed_config_file(capfd, in_tmp):
    (in_tmp / "bad.toml").write_text("[loop\nmax_rounds = 3\n")
    code, err = run(compile_cmd.main, ["--config", str(in_tmp / "bad.toml")], capfd)
    assert code == 2
    one_error_line(err, "cannot parse")
    code, err = run(compile_cmd.main, ["--config", str(in_tmp / "missing.json")], capfd)
    assert code == 2
    one_error_line(err, "no such file")


def test_missing_documents_path(capfd, in_tmp):
    code, err = run(
        compile_cmd.main, ["--set", f"corpus.source={in_tmp / 'nowhere'}", "--out", str(in_tmp / "r")], capfd
    )
    assert code == 2
    one_error_line(err, "nowhere")


def test_unknown_embedded_model(capfd, in_tmp):
    docs = in_tmp / "docs"
    docs.mkdir()
    for i in range(9):
        (docs / f"d{i}.txt").write_text(f"Document {i} about a method.")
    code, err = run(
        compile_cmd.main,
        ["--set", f"corpus.source={docs}", "--set", "models.weak.model=embedded/gpt-5", "--out", str(in_tmp / "r")],
        capfd,
    )
    assert code == 2
    one_error_line(err, "models.weak.model: unknown embedded model 'gpt-5'; known: qwen2.5-coder-0.5b")
    assert not (in_tmp / "r").exists()  # found before the corpus is read or anything is written


def test_unknown_optimizer(capfd, in_tmp):
    code, err = run(compile_cmd.main, ["--set", "optimizer.name=adam", "--out", str(in_tmp / "r")], capfd)
    assert code == 2
    one_error_line(err, "unknown optimizer 'adam'; choose one of: gepa")


def test_incompatible_harness_version(capfd, in_tmp):
    harness = in_tmp / "h"
    harness.mkdir()
    (harness / "harness.json").write_text(json.dumps({"format": "autodata-harness", "version": 99}))
    (in_tmp / "docs").mkdir()
    code, err = run(generate_cmd.main, ["--harness", str(harness), "--docs", str(in_tmp / "docs")], capfd)
    assert code == 2
    one_error_line(err, "version 99 is not supported")


def test_debug_shows_the_traceback(in_tmp):
    with pytest.raises(Exception, match="unknown preset"):
        compile_cmd.main(["--preset", "huge", "--debug"])
