#!/usr/bin/env python
"""Open a finished compile's MLflow store in the real MLflow UI, in headless Chromium, and check what it shows.

    .venv/bin/python scripts/check_mlflow_ui.py runs/demo            # a compile's --out folder (summary.json)
    .venv/bin/python scripts/check_mlflow_ui.py sqlite:///mlflow.db  # or a store: URI, mlflow.db, or its folder

Steps: read the store to learn the compile's parent run and its nested runs (baseline, trial-N, final;
scripts/mlflow_ui_store.py); start `mlflow ui` on a free loopback port (with LITELLM_LOCAL_MODEL_COST_MAP=True,
without which it hangs offline); drive Debian's Chromium headless with Playwright (installing the browser with
scripts/install_browser.sh when missing, unless --no-install; Playwright's own browser downloads are never
used); check the runs table and the metric chart page (scripts/mlflow_ui_pages.py). Screenshots of both pages
go to --shots (PNG; palette-reduced when Pillow is there). Exit 0 when all is there; otherwise print one line
`check_mlflow_ui: FAIL: <reason>` and exit 1 (2 for bad arguments). The server and the browser are stopped
whatever happens, SIGTERM included. Needs the `browser` extra (playwright).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlflow_ui_pages import check_metric_chart, check_runs_table, screenshot
from mlflow_ui_store import CHART_KEYS, CheckFailed, read_expected, resolve_store

if TYPE_CHECKING:
    from playwright.sync_api import Page

HERE = Path(__file__).resolve().parent
# Playwright adds --headless; the rest keeps Chromium off the network this machine does not have.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
]
OFFLINE_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # without it `mlflow ui` deadlocks at startup when offline
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
}


def log(msg: str) -> None:
    print(f"check_mlflow_ui: {msg}", file=sys.stderr, flush=True)


# --- processes ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen | None, name: str) -> None:
    """Stop a process started in its own session, and all its children, by process group."""
    if proc is None or proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
    log(f"{name} (pid {proc.pid}) did not stop")


def http_get(url: str, timeout: float = 5) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.read()


@contextlib.contextmanager
def mlflow_server(uri: str, workdir: Path, timeout: float) -> Iterator[str]:
    port = free_port()
    logfile = workdir / "mlflow-ui.log"
    cmd = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", uri, "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--workers", "1"]
    env = {**os.environ, **OFFLINE_ENV}
    proc = None
    try:
        with open(logfile, "wb") as out:
            proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=workdir, start_new_session=True
            )
        base = f"http://127.0.0.1:{port}"
        t0, deadline = time.monotonic(), time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise CheckFailed(f"mlflow ui exited with {proc.returncode}: {_tail(logfile)}")
            with contextlib.suppress(OSError):
                if http_get(f"{base}/health", timeout=2).strip() == b"OK":
                    break
            if time.monotonic() > deadline:
                raise CheckFailed(f"mlflow ui not up on {base} after {timeout:.0f} s: {_tail(logfile)}")
            time.sleep(0.5)
        log(f"mlflow ui up on {base} in {time.monotonic() - t0:.1f} s")
        yield base
    finally:
        stop(proc, "mlflow ui")


def _tail(path: Path) -> str:
    lines = [x for x in path.read_text(errors="replace").splitlines() if x.strip()] if path.exists() else []
    return lines[-1][:300] if lines else "(no output)"


def find_chromium(explicit: str | None, install: bool) -> str:
    if explicit:
        if not (shutil.which(explicit) or Path(explicit).is_file()):
            raise CheckFailed(f"no browser at {explicit}")
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    if not install:
        raise CheckFailed("Chromium not found (install it with scripts/install_browser.sh)")
    log("Chromium not found; installing it with scripts/install_browser.sh")
    proc = subprocess.run(["bash", str(HERE / "install_browser.sh")], capture_output=True, text=True)
    if proc.returncode != 0 or not shutil.which("chromium"):
        last = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise CheckFailed(f"could not install Chromium: {last[0][:300]}")
    return shutil.which("chromium")


@contextlib.contextmanager
def browser_page(binary: str, timeout: float, size: tuple[int, int], errors: list[str]) -> Iterator[Page]:
    """A page of headless Chromium (`binary`) driven by Playwright; uncaught page errors go to `errors`."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise CheckFailed("playwright is not installed (pip install -c constraints.txt -e '.[browser]')") from None
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=binary,
                args=CHROMIUM_FLAGS,
                timeout=timeout * 1000,
                handle_sigint=False,  # our handlers raise KeyboardInterrupt; the with-blocks then close it
                handle_sigterm=False,
                handle_sighup=False,
            )
            try:
                page = browser.new_page(viewport={"width": size[0], "height": size[1]}, device_scale_factor=1)
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                yield page
            finally:
                browser.close()
    except PlaywrightError as exc:
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise CheckFailed(f"browser: {first}") from None


def run_check(args: argparse.Namespace) -> list[Path]:
    t0 = time.monotonic()
    uri, parent_id = resolve_store(args.store)
    exp = read_expected(uri, args.run_id or parent_id, args.experiment)
    log(
        f"store {uri}: experiment {exp.experiment_name!r} ({exp.experiment_id}), parent {exp.parent_name!r}, "
        f"nested {', '.join(sorted(exp.children))}"
    )
    binary = find_chromium(args.chromium, install=not args.no_install)
    shots_dir = Path(args.shots).resolve()
    shots = [shots_dir / f"{args.prefix}runs.png", shots_dir / f"{args.prefix}metric-chart.png"]
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="mlflow-ui-check-") as tmp:
        work = Path(tmp)
        try:
            with (
                mlflow_server(uri, work, args.server_timeout) as base,
                browser_page(binary, 30, (args.width, args.height), errors) as page,
            ):
                try:
                    t1 = time.monotonic()
                    check_runs_table(page, base, exp, shots[0], args.page_timeout, errors)
                    log(
                        f"runs table lists {exp.parent_name!r} and its {len(exp.children)} nested runs"
                        f" ({time.monotonic() - t1:.1f} s)"
                    )
                    t1 = time.monotonic()
                    n = check_metric_chart(page, base, exp, shots[1], args.page_timeout)
                    log(
                        f"metric chart draws the store's {n} curves of {', '.join(CHART_KEYS)}"
                        f" ({time.monotonic() - t1:.1f} s)"
                    )
                except CheckFailed:
                    _failure_shot(page, shots_dir / f"{args.prefix}failure.png")
                    raise
        except CheckFailed:
            if args.keep_logs:
                shots_dir.mkdir(parents=True, exist_ok=True)
                if (work / "mlflow-ui.log").exists():
                    shutil.copy(work / "mlflow-ui.log", shots_dir / "mlflow-ui.log")
                if errors:
                    (shots_dir / "page-errors.log").write_text("\n".join(errors) + "\n")
            raise
    log(f"OK in {time.monotonic() - t0:.1f} s; screenshots: {', '.join(str(s) for s in shots)}")
    return shots


def _failure_shot(page: Page, path: Path) -> None:
    """What the browser showed when a check failed (best effort: the page may be gone)."""
    from playwright.sync_api import Error as PlaywrightError

    with contextlib.suppress(PlaywrightError, OSError):
        screenshot(page, path)
        log(f"what the browser showed: {path}")


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="check_mlflow_ui.py")
    parser.add_argument("store", help="a compile's --out folder (summary.json), an mlflow.db, its folder, or a URI")
    parser.add_argument("--run-id", help="the compile's parent run (default: from summary.json, else the newest)")
    parser.add_argument("--experiment", help="experiment name to look in (default: all)")
    parser.add_argument("--shots", default="mlflow-ui-shots", help="folder for the PNGs (default: %(default)s)")
    parser.add_argument("--prefix", default="mlflow-", help="screenshot file name prefix (default: %(default)s)")
    parser.add_argument("--chromium", help="browser binary (default: chromium on PATH)")
    parser.add_argument("--no-install", action="store_true", help="fail instead of apt-installing Chromium")
    parser.add_argument("--server-timeout", type=float, default=120, help="seconds for mlflow ui to start")
    parser.add_argument("--page-timeout", type=float, default=45, help="seconds for each page to show its content")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--keep-logs", action="store_true", help="on failure, copy server/browser logs to --shots")
    parser.add_argument("--debug", action="store_true", help="show a traceback for unexpected errors")
    args = parser.parse_args(argv)
    for key, value in OFFLINE_ENV.items():  # before mlflow is imported here
        os.environ.setdefault(key, value)
    signal.signal(signal.SIGTERM, _interrupt)  # a terminated check still stops its server and browser
    try:
        run_check(args)
    except CheckFailed as exc:
        print(f"check_mlflow_ui: FAIL: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if args.debug:
            raise
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
        print(f"check_mlflow_ui: FAIL: {type(exc).__name__}: {first} (--debug for a traceback)", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("check_mlflow_ui: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
