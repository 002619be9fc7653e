"""Shared benchmark plumbing: a hermetic environment, the machine description, medians, and the reports.

`setup_env()` must run before dspy/mlflow are imported (it sets the cache directory, telemetry and
litellm's offline price map); `scratch(name)` gives a temporary directory removed at exit. `machine()`
describes where figures came from (CPU, cores, RAM, Python, library versions, load average).
`write_report(name, ...)` writes bench/reports/<name>.md and .json, headed by the exact command
(`command_line`) and the commit it ran at; `measure_and_record` times a benchmark's measurement and keeps
its run by label.
Helpers here do not measure anything themselves.
"""

from __future__ import annotations

import atexit
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REPORTS = ROOT / "bench" / "reports"
PYTHON = sys.executable


_SCRATCH: list[Path] = []


def scratch(name: str) -> Path:
    """A fresh directory under this process's scratch folder, removed when the process exits."""
    if not _SCRATCH:
        _SCRATCH.append(Path(tempfile.mkdtemp(prefix="autodata-bench-")))
        atexit.register(shutil.rmtree, _SCRATCH[0], ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{name}-", dir=_SCRATCH[0]))


def setup_env() -> str:
    """Offline-safe, telemetry-free settings and a private DSPy cache directory; returns the directory."""
    os.environ.setdefault("DSPY_CACHEDIR", str(scratch("dspy-cache")))
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    os.environ["DO_NOT_TRACK"] = "true"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return os.environ["DSPY_CACHEDIR"]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        # The reports a run.sh pass has written so far are not source: they do not make the tree dirty.
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", ".", ":(exclude)bench/reports"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout
        return out.stdout.strip() + ("+dirty" if dirty.strip() else "")
    except OSError:
        return None


def command_line(module: str, argv: list[str] | None = None) -> str:
    """The exact command a report came from: the module and the arguments it was given."""
    return shlex.join([".venv/bin/python", "-m", module, *(sys.argv[1:] if argv is None else argv)])


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    return {
        "cpu": _cpu_model(),
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "ram_gib": _ram_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {d: _version(d) for d in ("dspy", "litellm", "llama_cpp_python", "mlflow", "optuna")},
        "commit": _git_commit(),
        "load_avg_at_start": load_avg(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


@dataclass
class Stopwatch:
    """Wall and process-CPU time of a block (`with Stopwatch() as sw: ...; sw.wall, sw.cpu`)."""

    wall: float = 0.0
    cpu: float = 0.0

    def __enter__(self) -> Stopwatch:
        self._w, self._c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self._w
        self.cpu = time.process_time() - self._c


def error_text(exc: BaseException) -> str:
    """A failed call as one short line for a benchmark row: the exception's type and first line."""
    return f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}"


def md_table(header: list[str], rows: list[list[Any]]) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
        return str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def write_report(
    name: str, title: str, command: str, info: dict[str, Any], results: dict[str, Any], body_md: str
) -> Path:
    """Write bench/reports/<name>.json (everything) and <name>.md (the human summary); returns the .md path."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    info = {**info, "load_avg_at_end": load_avg()}
    (REPORTS / f"{name}.json").write_text(
        json.dumps({"name": name, "command": command, "machine": info, "results": results}, indent=2) + "\n"
    )
    m = info
    machine_md = (
        f"- machine: {m['cpu']}, {m['nproc']} CPUs ({m['usable_cpus']} usable), {m['ram_gib']} GiB RAM, {m['os']}\n"
        f"- python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
        + f"; commit {m['commit']}\n"
        f"- load average (1/5/15 min) at start {m['load_avg_at_start']}, at end {m['load_avg_at_end']}; "
        f"{m['date']}\n"
    )
    text = f"# {title}\n\nCommand (at commit {m['commit']}): `{command}`\n\n{machine_md}\n{body_md.strip()}\n"
    path = REPORTS / f"{name}.md"
    path.write_text(text)
    return path


def keep_run(
    name: str, title: str, command: str, info: dict[str, Any], label: str, run: dict[str, Any], render: Any
) -> dict[str, dict[str, Any]]:
    """Store `run` under `label` among the runs kept in bench/reports/<name>.json (same label: replaced),
    rewrite the report with `render(runs)` as its body, and return every kept run."""
    path = REPORTS / f"{name}.json"
    runs = json.loads(path.read_text())["results"]["runs"] if path.exists() else {}
    runs[label] = run
    write_report(name, title, command, info, {"runs": runs}, render(runs))
    return runs


def record_run(
    name: str,
    title: str,
    report_command: str,
    info: dict[str, Any],
    label: str,
    run: dict[str, Any],
    render: Any,
    **stamp: Any,
) -> None:
    """Stamp `run` with `stamp` (command, seconds, ...) and the commit and date of `info`, keep it under
    `label` (`keep_run`), and print its summary table (the second block of `render`)."""
    run.update(stamp, commit=info["commit"], date=info["date"])
    keep_run(name, title, report_command, info, label, run, render)
    print(render({label: run}).split("\n\n")[1])


def measure_and_record(
    parser: Any,
    name: str,
    title: str,
    report_command: str,
    label: str,
    argv: list[str] | None,
    measure: Any,
    render: Any,
    *errors: type,
) -> None:
    """Time `measure()` and keep its run under `label` (`record_run`), with the exact command line: the tail
    of every benchmark that re-runs recorded or labelled items. A bad preset, `--set` or input file (a
    ConfigError, or one of `errors`) ends the command with one line and exit status 2."""
    setup_env()
    from experiments.config import ConfigError

    info = machine()
    started = time.monotonic()
    try:
        run = measure()
    except (ConfigError, *errors) as exc:
        parser.exit(2, f"{parser.prog}: error: {type(exc).__name__}: {exc}\n")
    seconds = time.monotonic() - started
    command = command_line(f"bench.{name}", argv)
    record_run(name, title, report_command, info, label, run, render, command=command, seconds=seconds)
