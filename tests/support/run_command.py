"""Run any `experiments.<command>` in this process with the scripted world's LMs (for multi-process tests).

Usage: python -m tests.support.run_command <command> <CLI args...>, e.g. `compile --out DIR ...`. The
command's own `main(argv, lms=...)` runs, so the arguments are exactly the real command line's. Test-only
knobs, from the environment: AUTODATA_TEST_DELAY (seconds added to every scripted call, so a test can
kill the process part-way), AUTODATA_TEST_CALLS=<file> (every LM call appends its role there before it is
answered, so a process killed with SIGKILL has still counted every call it made), AUTODATA_TEST_HANG=1
(every call blocks, so a test can kill a worker in the middle of a trial) and AUTODATA_TEST_BARRIER=<dir>:<n>
(wait until n processes reached this point, so workers start together).
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path

import dspy

from testkit.scripted import ScriptedEngine
from testkit.world import World, reflection_reply

# Round 1 too easy, round 2 accepted (a harness with two rounds accepts every document in round 2).
PLAN = {1: {"weak": [1, 2, 3, 4]}, 2: {"weak": [1], "strong": [1, 2, 3, 4]}}


def slow(reply, delay: float, role: str, calls: str | None):
    def wrapped(prompt):
        if calls:
            with open(calls, "a") as f:  # one short write per call: appends from threads do not interleave
                f.write(role + "\n")
        time.sleep(delay)
        return reply(prompt)

    return wrapped


def scripted_lms(delay: float = 0.0, calls: str | None = None, plan: dict | None = None) -> dict[str, dspy.LM]:
    world = World(n_penalty=None, plan=plan or PLAN)
    engines = world.engines()
    engines["reflection"] = ScriptedEngine(reflection_reply)
    for role, engine in engines.items():
        engine.reply = slow(engine.reply, delay, role, calls)
    return {role: dspy.LM(f"scripted/{role}", engine=e, num_retries=0) for role, e in engines.items()}


def barrier(spec: str, timeout: float = 120.0) -> None:
    folder, count = spec.rsplit(":", 1)
    Path(folder).mkdir(parents=True, exist_ok=True)
    (Path(folder) / str(os.getpid())).touch()
    deadline = time.monotonic() + timeout
    while len(list(Path(folder).iterdir())) < int(count):
        if time.monotonic() > deadline:
            raise SystemExit(f"barrier {spec}: timed out")
        time.sleep(0.05)


def main(argv: list[str]) -> int:
    command = importlib.import_module(f"experiments.{argv[0]}")
    delay = 3600.0 if os.environ.get("AUTODATA_TEST_HANG") else float(os.environ.get("AUTODATA_TEST_DELAY", "0"))
    lms = scripted_lms(delay, os.environ.get("AUTODATA_TEST_CALLS"))
    if os.environ.get("AUTODATA_TEST_BARRIER"):
        barrier(os.environ["AUTODATA_TEST_BARRIER"])
    return command.main(argv[1:], lms=lms)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
