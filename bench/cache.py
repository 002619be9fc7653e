"""Benchmark 4, cache and resume: what a second identical compile, and a compile resumed after kill -9, cost.

Every compile is the real CLI (`python -m experiments.compile`) in its own process, with all roles on
the fake OpenAI-compatible server (own process, fixed latency), so backend calls are counted at the
server. Cache: run 1 with an empty DSPy disk cache (`DSPY_CACHEDIR`), run 2 identical in a new --out
with the same cache, run 3 with --no-cache as the control. Resume (bench/resume.py): a run is killed
with SIGKILL once the server has seen a given share of a full run's requests, then re-run with the same
--out; repeated work = killed + resumed requests - full-run requests. Resume runs once with --no-cache
(nothing can be answered from the cache) and once with the cache on. Tracking is off (MLflow time is
not the subject). It does not test hosted providers.

Run: .venv/bin/python -m bench.cache [--repeats 3] [--latency 0.02] [--kill-at 0.1,0.35,0.6,0.9]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

from bench.common import (
    PYTHON,
    ROOT,
    command_line,
    load_avg,
    machine,
    md_table,
    median,
    scratch,
    setup_env,
    write_report,
)
from bench.resume import resume_repeat

SETTINGS = [
    "corpus.n_train=2",
    "corpus.n_val=2",
    "corpus.n_test=2",
    "loop.max_rounds=2",
    "loop.n_samples=2",
    "loop.backoff=0",
    "optimizer.max_metric_calls=4",
    "search.n_trials=2",
    "acceptance.preset=paper",
    "tracking.enabled=false",
]


def write_docs(folder: Path, n: int = 6) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"paper{i}.txt").write_text(f"Paper {i}. We study mechanism {i}. It works because of KW{i}.\n")
    return folder


def compile_cmd(url: str, docs: Path, out: Path, no_cache: bool) -> list[str]:
    from bench.fakeserver import role_settings

    sets = [f"corpus.source={docs}", *SETTINGS, *role_settings(url)]
    cmd = [PYTHON, "-m", "experiments.compile", "--out", str(out), "--quiet"] + (["--no-cache"] if no_cache else [])
    return cmd + [x for s in sets for x in ("--set", s)]


def run_compile(url: str, docs: Path, out: Path, cache_dir: Path, no_cache: bool = False, kill_at: int | None = None):
    """One compile process; with kill_at, SIGKILL it once the server has counted that many more requests."""
    from bench.fakeserver import stats

    cmd = compile_cmd(url, docs, out, no_cache)  # first: it puts the fake key's variable in the environment
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DSPY_CACHEDIR": str(cache_dir)}
    out.parent.mkdir(parents=True, exist_ok=True)
    before = stats(url)["requests"]
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=out.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    killed = False
    while proc.poll() is None:
        if kill_at is not None and stats(url)["requests"] - before >= kill_at:
            proc.send_signal(signal.SIGKILL)
            killed = True
            break
        time.sleep(0.02)
    _, err = proc.communicate(timeout=600)
    wall = time.perf_counter() - start
    if not killed and proc.returncode != 0:
        raise RuntimeError(f"compile failed ({proc.returncode}): {err.decode()[-2000:]}")
    summary = out / "summary.json"
    inner = json.loads(summary.read_text())["wall_seconds"] if summary.exists() and not killed else None
    return {"requests": stats(url)["requests"] - before, "process_wall_s": wall, "compile_wall_s": inner}


def cache_repeat(url: str, docs: Path, tmp: Path) -> dict:
    cache = tmp / "cache"
    first = run_compile(url, docs, tmp / "run1", cache)
    second = run_compile(url, docs, tmp / "run2", cache)
    control = run_compile(url, docs, tmp / "run3", cache, no_cache=True)
    return {"first": first, "second": second, "no_cache": control, "load1": load_avg()[0]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.cache", description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--latency", type=float, default=0.02)
    p.add_argument("--kill-at", default="0.1,0.35,0.6,0.9", help="shares of a full run's requests at which to kill")
    args = p.parse_args(argv)
    setup_env()
    from bench.fakeserver import served

    info = machine()
    base = scratch("cache")
    docs = write_docs(base / "docs")
    caches, resumes = [], []
    with served(args.latency) as server:
        for rep in range(args.repeats):
            c = cache_repeat(server.url, docs, base / f"cache-{rep}")
            caches.append(c)
            print(f"rep {rep} cache: {json.dumps(c)}", file=sys.stderr, flush=True)
            reference = base / f"cache-{rep}" / "run3"  # the uninterrupted --no-cache run
            for share in (float(s) for s in args.kill_at.split(",") if s):
                for cache in (False, True):
                    full = c["first" if cache else "no_cache"]["requests"]
                    out = base / f"resume-{rep}" / f"{'cache' if cache else 'nocache'}-{int(100 * share)}"
                    r = resume_repeat(partial(run_compile, server.url, docs), reference, out, full, share, cache)
                    resumes.append({**r, "load1": load_avg()[0]})
                    print(f"rep {rep} resume: {json.dumps(r)}", file=sys.stderr, flush=True)
    results, body = report(args, caches, resumes)
    path = write_report(
        "cache", "Cache and resume (fake server)", command_line("bench.cache", argv), info, results, body
    )
    print(path.read_text())
    return 0


def report(args, caches: list[dict], resumes: list[dict]) -> tuple[dict, str]:
    def med(run: str, key: str) -> float:
        return median([c[run][key] for c in caches])

    rows = [
        [label, med(run, "requests"), med(run, "compile_wall_s"), med(run, "process_wall_s")]
        for label, run in (
            ("1: empty cache", "first"),
            ("2: identical, same cache", "second"),
            ("3: --no-cache", "no_cache"),
        )
    ]
    lines = [
        f"Scripted compile (6 documents: 2 train / 2 val / 2 test, 2 trials, GEPA 4 metric calls, 2 rounds, 2 "
        f"samples) with every role on the fake server at {1000 * args.latency:.0f} ms latency; {args.repeats} "
        "repeats, medians. Requests are counted at the server; compile wall is `summary.json` "
        "`wall_seconds`, process wall includes interpreter start and imports.",
        "",
        md_table(["run", "backend requests", "compile wall s", "process wall s"], rows),
        "",
        "## Resume after kill -9",
        "",
    ]
    res_rows = []
    for cache in (False, True):
        for share in sorted({r["kill_share"] for r in resumes}):
            mine = [r for r in resumes if r["kill_share"] == share and r["cache"] == cache]
            if not mine:
                continue
            res_rows.append(
                [
                    "on" if cache else "off",
                    f"{100 * share:.0f}%",
                    " / ".join(sorted({r["landed_in"] for r in mine})),
                    median([r["killed_requests"] for r in mine]),
                    median([r["resumed_requests"] for r in mine]),
                    median([r["repeated_requests"] for r in mine]),
                    f"{min(r['repeated_requests'] for r in mine)}-{max(r['repeated_requests'] for r in mine)}",
                    all(r["rows"] == r["distinct_rounds"] for r in mine),
                    all(r["same_rows_as_uninterrupted"] for r in mine),
                    " / ".join(sorted({",".join(map(str, r["requeued_trials"])) or "-" for r in mine})),
                    " / ".join(sorted({str(r["gepa_states_at_kill"]) for r in mine})),
                ]
            )
    lines += [
        "Runs killed with SIGKILL when the server had seen the given share of a full run's requests (a full "
        "run with the same cache setting), then re-run with the same --out. Repeated = killed + resumed - full "
        "run; the round in flight at the kill is the only work a resume may redo. Landed in = phase of the "
        "last round recorded before the kill. Same rows = the resumed run's rounds.jsonl equals the "
        "uninterrupted --no-cache run's, apart from timings, usage and trial numbers. Re-queued = Optuna "
        "trials interrupted by the kill and queued again with the same parameters (their rounds so far are "
        "replayed, not recomputed). GEPA states = trials whose GEPA log_dir held a saved state at the kill.",
        "",
        md_table(
            [
                "cache",
                "killed at",
                "landed in",
                "requests before kill",
                "requests after resume",
                "repeated (median)",
                "repeated (range)",
                "no dup rows",
                "same rows",
                "re-queued trials",
                "GEPA states",
            ],
            res_rows,
        ),
    ]
    results = {"latency_s": args.latency, "repeats": args.repeats, "cache_runs": caches, "resume_runs": resumes}
    results["median"] = {
        run: {k: med(run, k) for k in ("requests", "compile_wall_s", "process_wall_s")}
        for run in ("first", "second", "no_cache")
    }
    return results, "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
