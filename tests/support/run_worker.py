"""Run `experiments.worker` (or `experiments.shard`) in this process with the scripted world's LMs.

Usage: python -m tests.support.run_worker [--shard] <CLI args...>. Test-only knobs, from the environment:
AUTODATA_TEST_DELAY (seconds added to every scripted call), AUTODATA_TEST_BARRIER=<dir>:<n> (wait until n
processes have reached this point, so workers start together), AUTODATA_TEST_HANG=1 (every call blocks,
so a test can kill a worker in the middle of a trial).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from experiments.run.cli import setup_logging
from tests.support.run_compile import scripted_lms


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
    shard = argv[:1] == ["--shard"]
    if shard:
        from experiments import shard as command
    else:
        from experiments import worker as command
    args = command.parser().parse_args(argv[1:] if shard else argv)
    setup_logging(False, True)
    delay = 3600.0 if os.environ.get("AUTODATA_TEST_HANG") else float(os.environ.get("AUTODATA_TEST_DELAY", "0"))
    lms = scripted_lms(delay)
    if os.environ.get("AUTODATA_TEST_BARRIER"):
        barrier(os.environ["AUTODATA_TEST_BARRIER"])
    summary = command.run(args, lms=lms)
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
