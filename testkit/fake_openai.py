"""A local OpenAI-compatible fake server for tests and benchmarks, with fixed latency and a fault plan.

`FakeOpenAI(reply, latency=..., faults=FaultPlan(...))` serves `POST /v1/chat/completions`,
`GET /v1/models` and `GET /stats` on 127.0.0.1 (a free port unless one is given), on a stdlib
threading HTTP/1.1 server. Each chat request is parsed into the same `Prompt` the scripted engines see
(testkit/scripted.py) and answered by `reply(model, prompt)` -> dict (sent as JSON) or str; the
model is the served name (`openai/judge` sends "judge"). `world_reply(World())` answers every role
validly. A seeded `FaultPlan` turns some requests into HTTP 429/500/503/401, timeouts (the handler
sleeps past the client's timeout), garbage bodies or empty content; `counts` tallies every request by
outcome (and `by_model` by model and outcome), and `usage` totals the tokens it reported per model.
Given `api_key`, it answers 401 to any request without that bearer key. Use it as a context manager
(the server thread is stopped on exit) or run `python -m testkit.fake_openai --port P --latency 0.05`.

It does not stream, does not check schemas, and never listens on anything but 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

from experiments.config import ROLES
from testkit.scripted import Prompt, parse

HOST = "127.0.0.1"
FAULTS = ("429", "500", "503", "401", "timeout", "garbage", "empty")
Reply = Callable[[str, Prompt], "dict | str"]


@dataclass
class FaultPlan:
    """Which share of requests fail and how: `weights` maps an outcome in FAULTS (or "ok") to a weight.

    Draws come from one seeded RNG in arrival order. `models` limits faults to those served names
    (others always get "ok"); `max_faults` stops injecting after that many; `timeout_sleep` is how long
    a "timeout" request is held (longer than the client's timeout).
    """

    weights: dict[str, float]
    seed: int = 0
    models: frozenset[str] | None = None
    max_faults: int | None = None
    timeout_sleep: float = 2.0
    _rng: random.Random = field(init=False, repr=False)
    _injected: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        unknown = set(self.weights) - {*FAULTS, "ok"}
        if unknown:
            raise ValueError(f"unknown fault outcomes: {sorted(unknown)}; known: ok, {', '.join(FAULTS)}")
        self._rng = random.Random(self.seed)

    def draw(self, model: str) -> str:
        if self.models is not None and model not in self.models:
            return "ok"
        if self.max_faults is not None and self._injected >= self.max_faults:
            return "ok"
        names = list(self.weights)
        outcome = self._rng.choices(names, weights=[self.weights[n] for n in names])[0]
        self._injected += outcome != "ok"
        return outcome


def world_reply(world) -> Reply:
    """Answers for every role from a testkit.world.World; "reflection" gets a fenced instruction."""
    roles = {
        "challenger": world.challenger,
        "verifier": world.verifier,
        "weak": world.solver("weak"),
        "strong": world.solver("strong"),
        "judge": world.judge,
    }

    def reply(model: str, prompt: Prompt) -> dict | str:
        role = model.split("/")[-1].split("@")[0]
        if role == "reflection":
            return "```\nAsk about the paper's specific mechanism.\n```"
        return roles[role](prompt)

    return reply


def yes_no_logprobs(p: float) -> tuple[str, dict]:
    """The reply token and the OpenAI `logprobs` object of a one-token answer with P(yes) = p."""
    p = min(max(p, 1e-9), 1 - 1e-9)
    top = sorted([("Yes", 0.6 * p), (" yes", 0.3 * p), ("No", 0.9 * (1 - p)), ("The", 0.1)], key=lambda t: -t[1])
    alternatives = [{"token": t, "logprob": math.log(m), "bytes": list(t.encode())} for t, m in top]
    first = {**alternatives[0], "top_logprobs": alternatives}
    return top[0][0], {"content": [first]}


def _text(content) -> str:
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content or () if isinstance(part, dict))


def prompt_of(body: dict) -> Prompt:
    """The scripted `Prompt` for an OpenAI chat request body (system messages joined, last user message)."""
    messages = body.get("messages") or []
    system = "\n".join(_text(m.get("content")) for m in messages if m.get("role") in ("system", "developer"))
    users = [_text(m.get("content")) for m in messages if m.get("role") == "user"]
    turns = [SimpleNamespace(role=m.get("role"), text=None) for m in messages if m.get("role") == "assistant"]
    last = SimpleNamespace(role="user", text=users[-1] if users else "")
    request = SimpleNamespace(system=system, messages=[*turns, last], config=body)
    return parse(request)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: headers and body go out in two writes; with Nagle on, the client's delayed ACK
    # added ~40 ms to every response (measured), which would swamp the latency a benchmark sets.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format, *args) -> None:  # silence the per-request log lines
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value) -> None:
        self._send(status, json.dumps(value).encode())

    def _error(self, status: int, message: str, kind: str) -> None:
        self._json(status, {"error": {"message": message, "type": kind, "code": status}})

    def do_GET(self) -> None:
        fake = self.server.fake
        if self.path.rstrip("/") == "/v1/models":
            self._json(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in fake.model_names]})
        elif self.path.rstrip("/") == "/stats":
            self._json(200, fake.stats())
        else:
            self._error(404, f"no route {self.path}", "not_found")

    def do_POST(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self._error(404, f"no route {self.path}", "not_found")
        body = json.loads(raw or b"{}")
        model = str(body.get("model", ""))
        key_ok = fake.api_key is None or self.headers.get("Authorization") == f"Bearer {fake.api_key}"
        outcome = fake.outcome(model, authorized=key_ok)
        if fake.latency and outcome != "timeout":
            time.sleep(fake.latency)
        try:
            self._answer(fake, outcome, model, body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout fault)
            self.close_connection = True

    def _answer(self, fake: FakeOpenAI, outcome: str, model: str, body: dict) -> None:
        if outcome in ("429", "500", "503"):
            return self._error(int(outcome), f"injected HTTP {outcome}", "server_error")
        if outcome == "401":
            return self._error(401, "Incorrect API key provided (injected)", "invalid_request_error")
        if outcome == "timeout":
            time.sleep(fake.faults.timeout_sleep if fake.faults else 2.0)
            self.close_connection = True
            return self._error(504, "too late", "server_error")
        if outcome == "garbage":
            return self._send(200, b"<html>502 Bad Gateway</html>\x00{not json", "application/json")
        prompt = prompt_of(body)
        try:
            value = "" if outcome == "empty" else fake.reply(model, prompt)
        except Exception as exc:  # a bug in the reply function: answer 500 (counted) instead of hanging up
            with fake._lock:
                fake.counts["reply_error"] += 1
            return self._error(500, f"reply function failed: {type(exc).__name__}: {exc}", "server_error")
        choice: dict = {"index": 0, "finish_reason": "stop"}
        if isinstance(value, float):  # P(yes) of a one-token reply with log-probabilities (probability judge)
            text, choice["logprobs"] = yes_no_logprobs(value)
        else:
            text = value if isinstance(value, str) else json.dumps(value)
        choice["message"] = {"role": "assistant", "content": text}
        prompt_tokens, completion_tokens = len(prompt.user) // 4, len(text) // 4
        fake.bill(model, prompt_tokens, completion_tokens)
        self._json(
            200,
            {
                "id": f"chatcmpl-fake-{fake.requests}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [choice],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # do not wait for handlers still sleeping out a timeout fault
    fake: FakeOpenAI


class FakeOpenAI:
    """The server object: start()/stop() or `with FakeOpenAI(...) as fake:`; `fake.base_url` ends in /v1."""

    def __init__(
        self,
        reply: Reply,
        *,
        port: int = 0,
        latency: float = 0.0,
        faults: FaultPlan | None = None,
        api_key: str | None = None,
        model_names: tuple[str, ...] = ROLES,
    ) -> None:
        self.reply, self.latency, self.faults, self.api_key = reply, latency, faults, api_key
        self.model_names = model_names
        self.counts: Counter = Counter()
        self.by_model: Counter = Counter()
        self.usage: dict[str, Counter] = {}  # served name -> prompt/completion tokens the server reported
        self.requests = 0
        self._lock = threading.Lock()
        self._httpd = _Server((HOST, port), _Handler)
        self._httpd.fake = self
        self.port = self._httpd.server_address[1]
        self.base_url = f"http://{HOST}:{self.port}/v1"
        self._thread: threading.Thread | None = None

    def outcome(self, model: str, authorized: bool = True) -> str:
        """Decide (and count) how to answer one request: "ok" or a fault in FAULTS."""
        with self._lock:
            if not authorized:
                outcome = "401"
            elif self.faults is None:
                outcome = "ok"
            else:
                outcome = self.faults.draw(model)
            self.requests += 1
            self.counts[outcome] += 1
            self.by_model[(model, outcome)] += 1
            return outcome

    def bill(self, model: str, prompt_tokens: int, completion_tokens: int) -> None:
        """Add one answered request's usage to the server's own totals (`usage`)."""
        with self._lock:
            tally = self.usage.setdefault(model, Counter())
            tally["prompt_tokens"] += prompt_tokens
            tally["completion_tokens"] += completion_tokens

    def faults_injected(self) -> int:
        with self._lock:
            return sum(n for outcome, n in self.counts.items() if outcome != "ok")

    def stats(self) -> dict:
        with self._lock:
            by_model: dict[str, dict[str, int]] = {}
            for (model, outcome), n in self.by_model.items():
                by_model.setdefault(model, {})[outcome] = n
            usage = {model: dict(tally) for model, tally in self.usage.items()}
            return {"requests": self.requests, "counts": dict(self.counts), "by_model": by_model, "usage": usage}

    def start(self) -> FakeOpenAI:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    from testkit.world import World

    p = argparse.ArgumentParser(prog="python -m testkit.fake_openai", description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one, printed on start)")
    p.add_argument("--latency", type=float, default=0.0, help="seconds every request is held before answering")
    p.add_argument("--fault", action="append", default=[], metavar="OUTCOME=WEIGHT", help="e.g. --fault 429=0.1")
    p.add_argument("--seed", type=int, default=0, help="seed of the fault plan")
    args = p.parse_args(argv)
    plan = None
    if args.fault:
        weights = {k: float(v) for k, v in (f.split("=", 1) for f in args.fault)}
        weights.setdefault("ok", max(0.0, 1.0 - sum(weights.values())))
        plan = FaultPlan(weights, seed=args.seed)
    # Rubrics follow the prompt's rules; round 1 is accepted: weak knows one keyword, strong all four.
    world = World(n_penalty=None, plan={1: {"weak": [1], "strong": [1, 2, 3, 4]}})
    fake = FakeOpenAI(world_reply(world), port=args.port, latency=args.latency, faults=plan)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with fake:
        print(f"listening on {fake.base_url}", flush=True)
        stop.wait()
    print(json.dumps(fake.stats()), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
