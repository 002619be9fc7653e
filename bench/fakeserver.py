"""The fake OpenAI-compatible server as a child process, for benchmarks that must not share its GIL.

`served(latency)` starts `python -m testkit.fake_openai --port 0 --latency L` on 127.0.0.1,
reads the URL it prints, and stops it (SIGTERM to that one pid) on exit. `stats(url)` reads its
request counts; `cpu_seconds(pid)` its CPU time so far. Role settings for `build_config` come from
`role_settings(url)`. Nothing here measures.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bench.common import PYTHON, ROOT

KEY_ENV = "AUTODATA_BENCH_FAKE_KEY"


@dataclass
class Served:
    url: str  # ends in /v1
    pid: int


@contextmanager
def served(latency: float, extra: list[str] = ()) -> Iterator[Served]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [PYTHON, "-m", "testkit.fake_openai", "--port", "0", "--latency", str(latency), *extra]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise RuntimeError(f"fake server did not start: {line!r}")
        yield Served(line.removeprefix("listening on "), proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def stats(url: str) -> dict:
    base = url.removesuffix("/v1")
    with urllib.request.urlopen(f"{base}/stats", timeout=5) as response:
        return json.load(response)


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def role_settings(url: str, timeout: float = 30.0) -> list[str]:
    """`--set` overrides putting every role on the fake server, with DSPy's own retries off."""
    from experiments.config import ROLES  # after bench.common.setup_env: dspy reads its settings at import

    os.environ.setdefault(KEY_ENV, "sk-bench-not-a-secret")
    sets = []
    for role in ROLES:
        sets += [
            f"models.{role}.model=openai/{role}",
            f"models.{role}.api_base={url}",
            f"models.{role}.api_key_env={KEY_ENV}",
            f"models.{role}.options.timeout={timeout}",
            f"models.{role}.options.num_retries=0",
        ]
    return sets
