"""Benchmark 3, embedded throughput: generated tokens/s through the full harness vs raw llama-cpp-python.

All roles run on one embedded model (default `qwen2.5-coder-0.5b`) built by the real factory. The
loaded `llama_cpp.Llama` is wrapped by a recorder, so every request the harness makes (messages,
grammar, seed, max_tokens) is kept with its time inside llama.cpp and its token counts. Each repeat
runs one loop round on a short abstract through the harness (`AgenticSelfInstruct`), then replays the
recorded requests on the same `Llama` directly (same seeds and grammars), optionally also without
grammars. llama.cpp's prompt cache is reset before each pass, so each starts cold and reuses prefixes
between its own calls only. The headline figure is the in-llama share of the harness run's wall time (same run, same
tokens, so load drift cancels); tok/s against the replay is reported too. A raw thread sweep on a
fixed prompt shows the n_threads choice. It does not measure answer quality.

Run: .venv/bin/python -m bench.embedded [--threads 1] [--repeats 3] [--max-tokens 384] [--no-grammar-replay]
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from bench.common import Stopwatch, command_line, load_avg, machine, md_table, median, setup_env, write_report

ABSTRACT = (
    "Sparse Mixture-of-Depths Routing for Efficient Transformers. We propose a router that lets each token "
    "skip a subset of transformer layers. Unlike early-exit methods, skipped layers can be resumed later, "
    "because the router predicts a per-layer gate from the token's hidden state and a learned budget. On "
    "language modelling benchmarks the method matches a dense baseline at 62% of its compute. Ablations show "
    "that the budget term, not the gate, drives the savings: without it, the router learns to use every "
    "layer. Gains shrink for tokens in long-range dependencies, where skipped layers lose attention context."
)


class RecordingLlama:
    """Forwards everything to a `llama_cpp.Llama`, recording each chat completion and its time."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.calls: list[dict] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def create_chat_completion(self, messages, **kwargs):
        start = time.perf_counter()
        out = self.inner.create_chat_completion(messages=messages, **kwargs)
        usage = out.get("usage") or {}
        self.calls.append(
            {
                "messages": messages,
                "kwargs": dict(kwargs),
                "seconds": time.perf_counter() - start,
                "prompt_tokens": usage.get("prompt_tokens", 0),
                "completion_tokens": usage.get("completion_tokens", 0),
            }
        )
        return out


def setup(model: str, max_tokens: int, threads: int | None):
    from experiments.config import ROLES
    from experiments.lms import llama_engine
    from experiments.lms.factory import build_lms
    from experiments.run.build import bind_lms, build_program, configure_dspy
    from experiments.run.overrides import build_config

    sets = ["loop.max_rounds=1", "loop.n_samples=1", "loop.sanity_checks=false", "tracking.enabled=false"]
    # A short rubric keeps the challenger's reply (the longest) within the completion budget.
    sets += ["rubric.min_positive=3", "rubric.max_positive=4", "rubric.allow_penalties=false"]
    if threads:
        sets.append(f"models.n_threads={threads}")
    for role in ROLES:
        sets += [f"models.{role}.model=embedded/{model}", f"models.{role}.max_tokens={max_tokens}"]
    cfg = build_config({}, sets)
    configure_dspy(cfg, use_cache=False)
    program = bind_lms(build_program(cfg), build_lms(cfg.models))
    threads = cfg.models.n_threads or llama_engine.default_threads()
    loaded = llama_engine.shared_model(model, cfg.models.n_ctx, threads)  # the instance every role will use
    recorder = RecordingLlama(loaded.llama)
    loaded.llama = recorder
    return program, recorder, threads, cfg.models.n_ctx


def replay(recorder: RecordingLlama, calls: list[dict], grammar: bool = True) -> dict:
    """The recorded requests sent straight to llama-cpp-python, in order (optionally without the grammar)."""
    tokens, seconds = 0, 0.0
    recorder.inner.reset()  # start cold, like the harness run: no prompt prefix left from the previous call
    for call in calls:
        kwargs = call["kwargs"] if grammar else {k: v for k, v in call["kwargs"].items() if k != "grammar"}
        with Stopwatch() as sw:
            out = recorder.inner.create_chat_completion(messages=call["messages"], **kwargs)
        seconds += sw.wall
        tokens += (out.get("usage") or {}).get("completion_tokens", 0)
    return {"completion_tokens": tokens, "wall_s": seconds, "tokens_per_s": tokens / seconds}


def thread_sweep(model: str, n_ctx: int, counts: list[int], tokens: int = 48) -> list[dict]:
    """Raw tok/s of one fixed prompt at each thread count (a fresh Llama each), to choose n_threads."""
    from llama_cpp import Llama

    from experiments.lms.embedded import model_path

    out = []
    for n in counts:
        llama = Llama(model_path=str(model_path(model)), n_ctx=n_ctx, n_threads=n, verbose=False)
        try:
            messages = [{"role": "user", "content": "Summarise this abstract in five sentences.\n" + ABSTRACT}]
            load = load_avg()[0]
            with Stopwatch() as sw:
                usage = llama.create_chat_completion(messages=messages, max_tokens=tokens, seed=1)["usage"]
            out.append(
                {
                    "n_threads": n,
                    "prompt_tokens": usage["prompt_tokens"],
                    "tokens": usage["completion_tokens"],
                    "wall_s": sw.wall,
                    "tokens_per_s": usage["completion_tokens"] / sw.wall,
                    "load1": load,
                }
            )
        finally:
            llama.close()
    return out


def one_repeat(program, recorder: RecordingLlama, rep: int, no_grammar: bool) -> dict:
    load_before = load_avg()[0]
    start = len(recorder.calls)
    recorder.inner.reset()  # no prompt prefix cached from the previous replay
    with Stopwatch() as sw:
        pred = program(document=ABSTRACT, doc_id=f"bench-{rep}")
    calls = recorder.calls[start:]
    tokens = sum(c["completion_tokens"] for c in calls)
    inside = sum(c["seconds"] for c in calls)
    raw = replay(recorder, calls)
    free = replay(recorder, calls, grammar=False) if no_grammar else None
    return {
        "repeat": rep,
        "llm_calls": len(calls),
        "round_reason": pred.rounds[0].reason if pred.rounds else None,
        "prompt_tokens": sum(c["prompt_tokens"] for c in calls),
        "completion_tokens": tokens,
        "harness_wall_s": sw.wall,
        "harness_inside_llama_s": inside,
        "harness_outside_llama_s": sw.wall - inside,
        # Same run, same tokens: the share of wall time spent in llama.cpp. Insensitive to load drift.
        "harness_efficiency": inside / sw.wall,
        "harness_tokens_per_s": tokens / sw.wall,
        "raw_completion_tokens": raw["completion_tokens"],
        "raw_wall_s": raw["wall_s"],
        "raw_tokens_per_s": raw["tokens_per_s"],
        "ratio_vs_replay": tokens / sw.wall / raw["tokens_per_s"],
        "raw_no_grammar_tokens_per_s": free["tokens_per_s"] if free else None,
        "load1_before": load_before,
        "load1_after": load_avg()[0],
    }


def report(args, threads: int, n_ctx: int, runs: list[dict], sweep: list[dict]) -> tuple[dict, str]:
    keys = (
        "harness_efficiency",
        "harness_tokens_per_s",
        "raw_tokens_per_s",
        "ratio_vs_replay",
        "harness_outside_llama_s",
        "harness_wall_s",
    )
    med = {k: median([r[k] for r in runs]) for k in keys}
    free = [r["raw_no_grammar_tokens_per_s"] for r in runs if r["raw_no_grammar_tokens_per_s"]]
    med["raw_no_grammar_tokens_per_s"] = median(free) if free else None
    results = {"model": args.model, "n_threads": threads, "n_ctx": n_ctx, "max_tokens": args.max_tokens}
    results.update(repeats=args.repeats, median=med, runs=runs, thread_sweep=sweep)
    header = [
        "repeat",
        "calls",
        "round",
        "completion tok",
        "harness wall s",
        "outside llama s",
        "harness tok/s",
        "in-llama share",
        "raw replay tok/s",
        "ratio vs replay",
        "raw no-grammar tok/s",
        "load before/after",
    ]
    rows = [
        [
            r["repeat"],
            r["llm_calls"],
            r["round_reason"],
            r["completion_tokens"],
            r["harness_wall_s"],
            r["harness_outside_llama_s"],
            r["harness_tokens_per_s"],
            f"{r['harness_efficiency']:.4f}",
            r["raw_tokens_per_s"],
            r["ratio_vs_replay"],
            r["raw_no_grammar_tokens_per_s"] or "-",
            f"{r['load1_before']} / {r['load1_after']}",
        ]
        for r in runs
    ]
    lines = [
        f"Model `{args.model}` for every role, n_threads={threads}, n_ctx={n_ctx}, max_tokens={args.max_tokens}; "
        "one loop round per repeat (it ends early when the challenger's candidate fails a check, so most calls "
        "are the challenger's, the longest), then the same requests replayed on raw llama-cpp-python with the "
        "same grammars and seeds, and once more without grammars.",
        "",
        "In-llama share = time inside `Llama.create_chat_completion` / harness wall, in the same run and for the "
        "same tokens: the harness's own throughput factor, insensitive to load drift. Ratio vs replay divides "
        "the harness's tok/s by the replay's, measured minutes apart, so it carries the machine's load changes.",
        "",
        md_table(header, rows),
        "",
        f"Median: in-llama share {med['harness_efficiency']:.4f} (target >= 0.85); harness time outside "
        f"llama.cpp {med['harness_outside_llama_s']:.3f} s per round of {med['harness_wall_s']:.0f} s; harness "
        f"{med['harness_tokens_per_s']:.1f} tok/s vs replay {med['raw_tokens_per_s']:.1f} tok/s "
        f"(ratio {med['ratio_vs_replay']:.2f}).",
    ]
    if sweep:
        lines += [
            "",
            "Thread sweep (raw llama-cpp-python, one 48-token completion of a fixed prompt, fresh model):",
            "",
            md_table(
                ["n_threads", "prompt tok", "tokens", "wall s", "tok/s", "load 1 min"],
                [
                    [w["n_threads"], w["prompt_tokens"], w["tokens"], w["wall_s"], w["tokens_per_s"], w["load1"]]
                    for w in sweep
                ],
            ),
        ]
    return results, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.embedded", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="qwen2.5-coder-0.5b")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--max-tokens", type=int, default=384, help="completion budget per call for every role")
    p.add_argument("--threads", type=int, default=None, help="models.n_threads (default: the config's default)")
    p.add_argument("--sweep", default="1,2", help="thread counts for the raw single-prompt sweep ('' to skip)")
    p.add_argument("--no-grammar-replay", action="store_true", help="also replay without grammars (slower)")
    args = p.parse_args(argv)
    setup_env()
    import logging

    logging.getLogger("dspy").setLevel(logging.ERROR)
    info = machine()
    program, recorder, threads, n_ctx = setup(args.model, args.max_tokens, args.threads)
    runs = []
    for rep in range(args.repeats):
        r = one_repeat(program, recorder, rep, args.no_grammar_replay)
        runs.append(r)
        print(
            f"rep {rep}: in-llama share {r['harness_efficiency']:.4f}, harness {r['harness_tokens_per_s']:.1f} "
            f"tok/s, replay {r['raw_tokens_per_s']:.1f} tok/s ({r['llm_calls']} calls, {r['completion_tokens']} "
            f"tokens) load {r['load1_before']}",
            file=sys.stderr,
            flush=True,
        )
    sweep = thread_sweep(args.model, n_ctx, [int(n) for n in args.sweep.split(",") if n])
    results, body = report(args, threads, n_ctx, runs, sweep)
    title = "Embedded throughput (harness vs raw llama-cpp-python)"
    path = write_report("embedded", title, command_line("bench.embedded", argv), info, results, body)
    print(path.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
