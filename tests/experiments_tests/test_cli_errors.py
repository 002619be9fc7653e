"""A bug inside a role call stops a compile with one line; --debug shows the full traceback."""

from __future__ import annotations

import pytest

from experiments import compile as compile_cmd
from experiments.records.progress import Progress
from experiments.run.cli import load_config, run_cli
from programs.errors import UnexpectedError
from testkit.world import World
from tests.experiments_tests.test_compile_scripted import scripted_lms
from tests.support.workers import SETTINGS, sets, write_docs


def broken_compile(args):
    world = World(n_penalty=None, plan={1: {"weak": [1]}})
    lms = scripted_lms(world)

    def judge_bug(p):
        raise KeyError("c3")

    lms["judge"].engine.reply = judge_bug  # type: ignore[attr-defined]
    cfg = load_config(args)
    compile_cmd.compile_run(cfg, args.out, lms=lms, use_cache=False, progress=Progress(quiet=True))
    return 0


def argv(tmp, *extra: str) -> list[str]:
    docs = write_docs(tmp / "docs")
    return [
        "--out",
        str(tmp / "run"),
        *sets(f"corpus.source={docs}", *SETTINGS, "search.n_trials=1", "tracking.enabled=false"),
        *extra,
    ]


def test_one_line_without_debug(in_tmp, capsys):
    code = run_cli(broken_compile, compile_cmd.parser(), argv(in_tmp))
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1, err
    assert err[0].startswith("autodata: error: judge call (model 'scripted/judge') raised an unexpected KeyError")
    assert "Traceback" not in err[0]


def test_full_traceback_with_debug(in_tmp):
    with pytest.raises(UnexpectedError) as caught:
        run_cli(broken_compile, compile_cmd.parser(), argv(in_tmp, "--debug"))
    causes = []
    exc = caught.value
    while exc is not None:
        causes.append(type(exc).__name__)
        exc = exc.__cause__
    assert "KeyError" in causes  # the traceback Python prints goes down to the bug
