"""A real llama-cpp-python server (SmolLM2-135M) behind the factory's `openai/` and `llamacpp/` routes.

Marked `server`: starts `python -m llama_cpp.server` on a free local port and stops it afterwards.
Findings pinned here: DSPy sends no schema to `openai/<alias>`, and the server refuses OpenAI's
json_schema response_format; the `llamacpp/` route sends a grammar, so JSONAdapter replies parse.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import dspy
import pytest

from experiments.lms.embedded import model_path
from experiments.lms.factory import build_lm
from experiments.lms.role_models import ModelsConfig, RoleModel
from programs.challenger import Challenger
from programs.structure import RubricStructure
from tests.support.requires import require_module

pytestmark = pytest.mark.server

ALIAS = "smol"
KEY_ENV = "AUTODATA_TEST_LLAMA_SERVER_KEY"


class Summary(dspy.Signature):
    """Answer the question briefly and list keywords."""

    question: str = dspy.InputField()
    answer: str = dspy.OutputField()
    keywords: list[str] = dspy.OutputField()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    require_module("llama_cpp.server")  # skips, or fails under CI, when the server extra is missing
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_path("smollm2-135m")),
        "--model_alias",
        ALIAS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2) as resp:
                    if ALIAS in resp.read().decode():
                        break
            except (urllib.error.URLError, OSError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start (exit code {proc.poll()})")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, "local-test-key")


def _post(base: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(
        f"{base}/chat/completions", json.dumps(body).encode(), {"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_openai_route_sends_no_schema_and_the_server_refuses_openai_json_schema(server, key):
    lm = build_lm(
        "weak", RoleModel(model=f"openai/{ALIAS}", api_base=server, api_key_env=KEY_ENV, max_tokens=16), ModelsConfig()
    )
    assert not lm.supports_response_schema and "response_format" not in lm.supported_params
    assert lm("Say hello.", cache=False)[0]
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}
    base = {"model": ALIAS, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}
    status, body = _post(
        server, {**base, "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}}
    )
    assert status >= 400 and "json_object" in json.dumps(body)
    status, _ = _post(server, {**base, "response_format": {"type": "json_object", "schema": schema}})
    assert status == 200


def test_llamacpp_route_parses_json_adapter_outputs_sync_and_async(server, key):
    spec = RoleModel(model=f"llamacpp/{ALIAS}", api_base=server, api_key_env=KEY_ENV, max_tokens=400, temperature=0.2)
    lm = build_lm("strong", spec, ModelsConfig())
    assert lm.supports_response_schema
    predict = dspy.Predict(Summary)
    predict.set_lm(lm)
    with dspy.context(adapter=dspy.JSONAdapter(), track_usage=True):
        out = predict(question="What does a compiler do?")
        later = asyncio.run(predict.acall(question="What does a parser do?"))
    for pred in (out, later):
        assert isinstance(pred.answer, str) and isinstance(pred.keywords, list)
        assert all(isinstance(k, str) for k in pred.keywords)
    assert out.get_lm_usage()[f"llamacpp/{ALIAS}"]["completion_tokens"] > 0
    assert "response_format" in lm.history[-1]["kwargs"], "JSONAdapter asked for the schema"


def test_llamacpp_route_decodes_a_challenger_reply_that_obeys_the_rubric_structure(server, key):
    # Counts and caps a 135M model would not pick on its own: the server's grammar has to impose them.
    structure = RubricStructure(
        min_positive=2, max_positive=3, min_penalties=1, max_penalties=1, weight_cap=3, penalty_cap=2
    )
    spec = RoleModel(model=f"llamacpp/{ALIAS}", api_base=server, api_key_env=KEY_ENV, max_tokens=900, temperature=0.8)
    challenger = Challenger(structure)
    challenger.set_lm(build_lm("challenger", spec, ModelsConfig()))
    with dspy.context(adapter=dspy.JSONAdapter()):
        candidate = challenger("A compiler translates source code into machine code.", structure.render())
    positive = [c.weight for c in candidate.rubric if c.weight > 0]
    penalty = [c.weight for c in candidate.rubric if c.weight < 0]
    assert 2 <= len(positive) <= 3 and all(1 <= w <= 3 for w in positive), candidate.weights
    assert len(penalty) == 1 and -2 <= penalty[0] <= -1, candidate.weights
