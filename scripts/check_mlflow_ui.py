#!/usr/bin/env python
"""Open a finished compile's MLflow store in the real MLflow UI, in headless Chromium, and check what it shows.

    .venv/bin/python scripts/check_mlflow_ui.py runs/demo            # a compile's --out folder (summary.json)
    .venv/bin/python scripts/check_mlflow_ui.py sqlite:///mlflow.db  # or a store: URI, mlflow.db, or its folder

Steps: read the store to learn the compile's parent run and its nested runs (baseline, trial-N, final);
start `mlflow ui` on a free loopback port (with LITELLM_LOCAL_MODEL_COST_MAP=True, without which it hangs
offline); start Debian's Chromium headless with a DevTools port (installing it with scripts/install_browser.sh
when missing, unless --no-install); over the DevTools protocol open the experiment's runs table, expand the
parent, and check that the parent and every nested run are listed; open the metric chart page for
weak_mean and gap over the nested runs and check that its Plotly chart draws, for each run and metric, exactly
the values in the store. Screenshots of both pages go to --shots (PNG; palette-reduced when Pillow is there).
Exit 0 when all is there; otherwise print one line `check_mlflow_ui: FAIL: <reason>` and exit 1
(2 for bad arguments). The server and the browser are stopped whatever happens, SIGTERM included.

Only the standard library is used for the browser: a minimal WebSocket client speaks the DevTools protocol.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHROMIUM_FLAGS = [
    "--headless",
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
CHART_KEYS = ["weak_mean", "gap"]  # per-round metrics charted on the metric page
OFFLINE_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # without it `mlflow ui` deadlocks at startup when offline
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
}


class CheckFailed(Exception):
    """A one-line reason the UI check failed."""


def log(msg: str) -> None:
    print(f"check_mlflow_ui: {msg}", file=sys.stderr, flush=True)


# --- the store -------------------------------------------------------------------------------------


@dataclass
class Expected:
    uri: str
    experiment_id: str
    experiment_name: str
    parent_id: str
    parent_name: str
    children: dict[str, str] = field(default_factory=dict)  # run name -> run id
    curves: dict[tuple[str, str], list[float]] = field(default_factory=dict)  # (run name, metric) -> values

    @property
    def trials(self) -> list[str]:
        return sorted(n for n in self.children if n.startswith("trial-"))


def resolve_store(target: str) -> tuple[str, str | None]:
    """A tracking URI, and the parent run id when the target is a compile's output folder."""
    if "://" in target:
        return _existing(target), None
    path = Path(target).expanduser().resolve()
    if path.is_file() and path.name == "summary.json":
        path = path.parent
    if path.is_dir() and (path / "summary.json").exists():
        mlf = json.loads((path / "summary.json").read_text()).get("mlflow") or {}
        if not mlf.get("tracking_uri"):
            raise CheckFailed(f"{path / 'summary.json'} names no MLflow store (tracking was off?)")
        return _existing(mlf["tracking_uri"]), mlf.get("parent_run_id")
    if path.is_dir():
        path = path / "mlflow.db"
    if not path.is_file():
        raise CheckFailed(f"no MLflow store at {path}")
    return f"sqlite:///{path}", None


def _existing(uri: str) -> str:
    """Refuse a sqlite URI whose file is missing (MLflow would quietly create an empty store there)."""
    if uri.startswith("sqlite:///"):
        db = Path(uri.removeprefix("sqlite:///"))
        if not db.is_file():
            raise CheckFailed(f"no MLflow store at {db} ({uri})")
    return uri


def read_expected(uri: str, parent_id: str | None, experiment: str | None) -> Expected:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    if parent_id is None:
        exps = [client.get_experiment_by_name(experiment)] if experiment else client.search_experiments()
        exps = [e for e in exps if e is not None]
        if not exps:
            raise CheckFailed(f"no experiment {experiment!r} in {uri}" if experiment else f"no experiments in {uri}")
        parents = [
            r
            for r in client.search_runs([e.experiment_id for e in exps], order_by=["attributes.start_time DESC"])
            if "mlflow.parentRunId" not in r.data.tags
        ]
        parents = [r for r in parents if _children(client, r)] or parents
        if not parents:
            raise CheckFailed(f"no runs in {uri}")
        parent = parents[0]
    else:
        parent = client.get_run(parent_id)
    exp = client.get_experiment(parent.info.experiment_id)
    children = {c.info.run_name: c.info.run_id for c in _children(client, parent)}
    expected = Expected(uri, exp.experiment_id, exp.name, parent.info.run_id, parent.info.run_name, children)
    if not expected.trials:
        raise CheckFailed(f"parent run {parent.info.run_name} ({parent.info.run_id}) has no nested trial-N runs")
    for name, run_id in children.items():
        for key in CHART_KEYS:
            history = sorted(client.get_metric_history(run_id, key), key=lambda m: (m.step, m.timestamp))
            expected.curves[name, key] = [m.value for m in history]
    return expected


def _children(client, parent) -> list:
    return client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'", max_results=1000
    )


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
def chromium(binary: str, workdir: Path, timeout: float, size: tuple[int, int]) -> Iterator[str]:
    """Headless Chromium with a DevTools port; yields the WebSocket URL of its page."""
    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=workdir))
    cmd = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0"]
    cmd += ["--remote-debugging-address=127.0.0.1", f"--window-size={size[0]},{size[1]}", "about:blank"]
    proc = None
    try:
        with open(workdir / "chromium.log", "wb") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        port_file, deadline = profile / "DevToolsActivePort", time.monotonic() + timeout
        while not (port_file.exists() and port_file.read_text().strip()):
            if proc.poll() is not None:
                raise CheckFailed(f"chromium exited with {proc.returncode}: {_tail(workdir / 'chromium.log')}")
            if time.monotonic() > deadline:
                raise CheckFailed(f"chromium opened no DevTools port within {timeout:.0f} s")
            time.sleep(0.2)
        port = int(port_file.read_text().split()[0])
        pages = []
        while not pages:
            with contextlib.suppress(OSError, ValueError):
                pages = [t for t in json.loads(http_get(f"http://127.0.0.1:{port}/json/list")) if t["type"] == "page"]
            if not pages and time.monotonic() > deadline:
                raise CheckFailed("chromium shows no page target")
            time.sleep(0.2)
        yield pages[0]["webSocketDebuggerUrl"]
    finally:
        stop(proc, "chromium")
        shutil.rmtree(profile, ignore_errors=True)


# --- a minimal DevTools-protocol client over a WebSocket ----------------------------------------------


class DevTools:
    """Just enough RFC 6455 for the DevTools protocol: masked text frames out, (fragmented) frames in."""

    def __init__(self, ws_url: str, timeout: float = 30):
        url = urllib.parse.urlsplit(ws_url)
        self.sock = socket.create_connection((url.hostname, url.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {url.path} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise CheckFailed("DevTools closed the WebSocket handshake")
            head += chunk
        head, self.buf = head.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise CheckFailed(f"DevTools refused the WebSocket: {head.splitlines()[0].decode(errors='replace')}")
        self.next_id = 0
        self.events: list[dict] = []

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise CheckFailed("DevTools closed the WebSocket")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def _recv_message(self) -> dict:
        parts: list[bytes] = []
        while True:
            b0, b1 = self._read(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:
                raise CheckFailed("DevTools closed the WebSocket")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode in (0x0, 0x1, 0x2):
                parts.append(payload)
                if b0 & 0x80:
                    return json.loads(b"".join(parts))

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        msg_id = self.next_id
        self._send_frame(0x1, json.dumps({"id": msg_id, "method": method, "params": params}).encode())
        while True:
            msg = self._recv_message()
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise CheckFailed(f"DevTools {method}: {msg['error'].get('message')}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise CheckFailed(f"page script failed: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def page_errors(self) -> list[str]:
        out = []
        for ev in self.events:
            if ev["method"] == "Runtime.exceptionThrown":
                out.append(ev["params"]["exceptionDetails"].get("exception", {}).get("description", "?")[:200])
        return out

    def wait_for(self, expression: str, timeout: float, what: str):
        """Poll a JS expression until it is truthy; its last value is returned (or the failure raised)."""
        deadline, value = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.25)
        errors = self.page_errors()
        raise CheckFailed(f"{what} (after {timeout:.0f} s)" + (f"; page error: {errors[-1]}" if errors else ""))

    def navigate(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        shrink_png(path)


def shrink_png(path: Path, colors: int = 256) -> None:
    """Re-encode a screenshot with an adaptive palette (about 3x smaller) when Pillow is installed."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as img:
        small = img.convert("RGB").quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    small.save(path, optimize=True)


# --- the checks -------------------------------------------------------------------------------------------

TEXT = "document.body ? document.body.innerText : ''"


def _links(run_ids: list[str]) -> str:
    """JS: the run ids among `run_ids` that have a link whose visible text is non-empty."""
    return (
        f"{json.dumps(run_ids)}.filter(id => [...document.querySelectorAll('a[href$=\"/runs/' + id + '\"]')]"
        ".some(a => a.innerText.trim()))"
    )


def check_runs_table(cdp: DevTools, base: str, exp: Expected, shot: Path, timeout: float) -> None:
    cdp.navigate(f"{base}/#/experiments/{exp.experiment_id}/runs")
    cdp.wait_for(
        f"{_links([exp.parent_id])}.length && ({TEXT}).includes({json.dumps(exp.parent_name)})"
        f" && ({TEXT}).includes({json.dumps(exp.experiment_name)})",
        timeout,
        f"runs table of experiment {exp.experiment_name!r} does not list parent run {exp.parent_name!r}",
    )
    close_assistant(cdp)
    names = sorted(exp.children)
    ids = [exp.children[n] for n in names]
    if len(cdp.evaluate(_links(ids))) < len(ids):
        # Nested runs start collapsed under their parent: click the expander in the parent's name cell.
        clicked = cdp.evaluate(
            f"(() => {{ const a = document.querySelector('a[href$=\"/runs/{exp.parent_id}\"]');"
            " const b = a && a.closest('.ag-cell') && a.closest('.ag-cell').querySelector('button');"
            " if (b) b.click(); return !!b; })()"
        )
        if not clicked:
            raise CheckFailed(f"runs table shows no expander for parent run {exp.parent_name!r}")
    cdp.wait_for(
        f"{_links(ids)}.length === {len(ids)} && {json.dumps(names)}.every(n => ({TEXT}).includes(n))",
        timeout,
        "runs table does not list the nested runs " + ", ".join(names) + f" under {exp.parent_name!r}",
    )
    time.sleep(0.5)  # let the table settle before the picture
    cdp.screenshot(shot)


def close_assistant(cdp: DevTools) -> None:
    """Close the 'MLflow Assistant' side panel if it is open (it only takes room in the screenshots)."""
    cdp.evaluate(
        "(() => { for (const b of document.querySelectorAll('button[aria-label=\"Close\"]')) {"
        " let p = b; for (let i = 0; i < 3 && p; i++, p = p.parentElement) {"
        " if (p.innerText && p.innerText.includes('MLflow Assistant')) { b.click(); return true; } } }"
        " return false; })()"
    )


CURVES_JS = """JSON.stringify([...document.querySelectorAll('.js-plotly-plot')].flatMap(g => (g.data || [])
  .filter(t => String(t.mode || '').includes('markers') && Array.isArray(t.y))
  .map(t => [String(t.name), t.y.map(v => Math.round(v * 1e6) / 1e6)])))"""


def check_metric_chart(cdp: DevTools, base: str, exp: Expected, shot: Path, timeout: float) -> int:
    """The metric page for CHART_KEYS over the nested runs draws, for each run and key, the store's curve."""
    names = sorted(exp.children)
    run_ids = [exp.children[n] for n in names]
    query = (
        f"runs={json.dumps(run_ids)}&metric={urllib.parse.quote(json.dumps(CHART_KEYS[0]))}"
        f"&experiments={json.dumps([exp.experiment_id])}&plot_metric_keys={urllib.parse.quote(json.dumps(CHART_KEYS))}"
        "&plot_layout={}&x_axis=step&y_axis_scale=linear&line_smoothness=1&show_point=true"
        "&deselected_curves=[]&last_linear_y_axis_range=[]"
    )
    cdp.navigate(f"{base}/#/metric?{query}")
    wanted = [(name, key, exp.curves[name, key]) for name in names for key in CHART_KEYS if exp.curves.get((name, key))]
    if not wanted:
        raise CheckFailed(f"the store has no {' or '.join(CHART_KEYS)} history for the nested runs")

    def missing() -> list[str]:
        drawn = [(n, [round(v, 6) for v in y]) for n, y in json.loads(cdp.evaluate(CURVES_JS) or "[]")]
        return [f"{n}/{k}" for n, k, ys in wanted if (n, [round(v, 6) for v in ys]) not in drawn]

    deadline, gone = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        gone = missing()
        if not gone:
            break
        time.sleep(0.5)
    else:
        raise CheckFailed(f"metric chart does not draw the store's curves for {', '.join(gone)} after {timeout:.0f} s")
    text = cdp.evaluate(TEXT)
    for key in CHART_KEYS:
        if f"({key})" not in text:
            raise CheckFailed(f"metric chart legend lacks {key}")
    close_assistant(cdp)
    time.sleep(0.5)
    cdp.screenshot(shot)
    return len(wanted)


def run_check(args: argparse.Namespace) -> list[Path]:
    t0 = time.monotonic()
    uri, parent_id = resolve_store(args.store)
    exp = read_expected(uri, args.run_id or parent_id, args.experiment)
    log(
        f"store {uri}: experiment {exp.experiment_name!r} ({exp.experiment_id}), parent {exp.parent_name!r}, "
        f"nested {', '.join(sorted(exp.children))}"
    )
    browser = find_chromium(args.chromium, install=not args.no_install)
    shots_dir = Path(args.shots).resolve()
    shots = [shots_dir / f"{args.prefix}runs.png", shots_dir / f"{args.prefix}metric-chart.png"]
    with tempfile.TemporaryDirectory(prefix="mlflow-ui-check-") as tmp:
        work = Path(tmp)
        try:
            with (
                mlflow_server(uri, work, args.server_timeout) as base,
                chromium(browser, work, 30, (args.width, args.height)) as ws_url,
            ):
                cdp = DevTools(ws_url)
                try:
                    cdp.call("Runtime.enable")
                    cdp.call("Page.enable")
                    cdp.call(
                        "Emulation.setDeviceMetricsOverride",
                        width=args.width,
                        height=args.height,
                        deviceScaleFactor=1,
                        mobile=False,
                    )
                    t1 = time.monotonic()
                    check_runs_table(cdp, base, exp, shots[0], args.page_timeout)
                    log(
                        f"runs table lists {exp.parent_name!r} and its {len(exp.children)} nested runs"
                        f" ({time.monotonic() - t1:.1f} s)"
                    )
                    t1 = time.monotonic()
                    n = check_metric_chart(cdp, base, exp, shots[1], args.page_timeout)
                    log(
                        f"metric chart draws the store's {n} curves of {', '.join(CHART_KEYS)}"
                        f" ({time.monotonic() - t1:.1f} s)"
                    )
                except CheckFailed:
                    with contextlib.suppress(CheckFailed, OSError):
                        cdp.screenshot(shots_dir / f"{args.prefix}failure.png")
                        log(f"what the browser showed: {shots_dir / f'{args.prefix}failure.png'}")
                    raise
                finally:
                    cdp.close()
        except CheckFailed:
            if args.keep_logs:
                shots_dir.mkdir(parents=True, exist_ok=True)
                for name in ("mlflow-ui.log", "chromium.log"):
                    if (work / name).exists():
                        shutil.copy(work / name, shots_dir / name)
            raise
    log(f"OK in {time.monotonic() - t0:.1f} s; screenshots: {', '.join(str(s) for s in shots)}")
    return shots


def _interrupt(signum, frame) -> None:
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
