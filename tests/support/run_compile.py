"""Run `experiments.compile` in this process with the scripted world's LMs (for kill-and-resume tests).

Usage: python -m tests.support.run_compile <compile CLI args...>. AUTODATA_TEST_DELAY (seconds) slows
every scripted call, so a test can kill the process part-way through a phase. AUTODATA_TEST_CALLS names a
file to which every LM call appends one line with its role, before it is answered (so a process killed
with SIGKILL has still counted every call it made).
"""

from __future__ import annotations

import os
import sys
import time

import dspy

from experiments import compile as compile_cmd
from experiments.run.cli import load_config, setup_logging
from testkit.scripted import ScriptedEngine
from testkit.world import World

PLAN = {1: {"weak": [1, 2, 3, 4]}, 2: {"weak": [1], "strong": [1, 2, 3, 4]}}


def slow(reply, delay: float, role: str, calls: str | None):
    def wrapped(prompt):
        if calls:
            with open(calls, "a") as f:  # one short write per call: appends from threads do not interleave
                f.write(role + "\n")
        time.sleep(delay)
        return reply(prompt)

    return wrapped


def scripted_lms(delay: float = 0.0, calls: str | None = None) -> dict[str, dspy.LM]:
    world = World(n_penalty=None, plan=PLAN)
    engines = world.engines()
    engines["reflection"] = ScriptedEngine(lambda p: "```\nAsk about the paper's specific mechanism.\n```")
    for role, engine in engines.items():
        engine.reply = slow(engine.reply, delay, role, calls)
    return {role: dspy.LM(f"scripted/{role}", engine=e, num_retries=0) for role, e in engines.items()}


def main(argv: list[str]) -> int:
    args = compile_cmd.parser().parse_args(argv)
    setup_logging(False, True)
    cfg = load_config(args)
    lms = scripted_lms(float(os.environ.get("AUTODATA_TEST_DELAY", "0")), os.environ.get("AUTODATA_TEST_CALLS"))
    summary = compile_cmd.compile_run(cfg, args.out, lms=lms, use_cache=not args.no_cache, quiet=True)
    compile_cmd.print_summary(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
