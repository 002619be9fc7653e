"""Run `experiments.generate` in this (fresh) process with the scripted world's LMs.

Usage: python -m tests.support.run_generate <generate CLI args...>. It exists so a test can check that an
exported harness loads from disk alone in a separate interpreter, without any real model.
"""

from __future__ import annotations

import sys

import dspy

from experiments import generate
from experiments.run.cli import setup_logging
from testkit.scripted import ScriptedEngine
from testkit.world import World


def main(argv: list[str]) -> int:
    args = generate.parser().parse_args(argv)
    setup_logging(False, True)
    world = World(n_penalty=None, plan={1: {"weak": [1], "strong": [1, 2, 3, 4]}})
    engines = world.engines()
    engines["reflection"] = ScriptedEngine(lambda p: "unused")
    lms = {role: dspy.LM(f"scripted/{role}", engine=e, cache=False, num_retries=0) for role, e in engines.items()}
    summary = generate.generate_run(args, lms=lms)
    print(summary["dataset"]["rows"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
