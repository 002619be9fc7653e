"""Benchmark 2, parallel efficiency: documents in parallel against a fake server with a fixed latency.

The fake OpenAI-compatible server runs in its own process and holds every request for `--latency`
seconds. Role LMs come from the real factory (`openai/<role>` at the server). For each setting the
runner (`experiments.run.phase.run_phase`, rounds.jsonl written, tracking off) runs one round on each of
`--docs` documents. Ideal time = the documents' call chains x latency / workers; efficiency = ideal /
measured; speed-up = time at 1 worker / time at W. Client CPU per request and a CPU profile by package
show whether the client saturates its one usable core (the GIL). Every setting runs the code as shipped
(the DSPy model-metadata memo on); `+nomemo` puts DSPy's own lookup back and `+switch` shortens the GIL
switch interval, to measure what each buys (bench/fixes.py). It does not test hosted providers.

Run: .venv/bin/python -m bench.parallel [--docs 40] [--latency 0.05] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

from bench import fixes
from bench.common import Stopwatch, command_line, load_avg, machine, md_table, median, scratch, setup_env, write_report

N_SAMPLES = 2
# Per document the calls form a chain: challenger, verifier, 2 sanity judges, then for weak and for
# strong N_SAMPLES x (answer, judge); sample workers shorten only those chains.
CHAIN_CALLS = 4 + 2 * 2 * N_SAMPLES
KEYS = ("wall_s", "ideal_s", "efficiency", "requests", "client_cpu_util", "client_cpu_ms_per_request", "load1")


@dataclass
class Doc:
    id: str
    text: str


@dataclass(frozen=True)
class Setting:
    workers: int
    sample_workers: int = 1
    fix: str = ""

    @property
    def key(self) -> str:
        return f"{self.workers}x{self.sample_workers}" + (f"+{self.fix}" if self.fix else "")

    @classmethod
    def parse(cls, text: str) -> Setting:
        shape, _, fix = text.partition("+")
        workers, _, samples = shape.partition("x")
        fixes.parse(fix)
        return cls(int(workers), int(samples or 1), fix)


def build(url: str, sample_workers: int):
    from bench.fakeserver import role_settings
    from experiments.lms.factory import build_lms
    from experiments.run.build import bind_lms, build_program, configure_dspy
    from experiments.run.overrides import build_config

    overrides = ["loop.max_rounds=1", f"loop.n_samples={N_SAMPLES}", "loop.backoff=0"]
    overrides += [f"loop.sample_workers={sample_workers}", "acceptance.preset=paper", "tracking.enabled=false"]
    cfg = build_config({}, overrides + role_settings(url))
    configure_dspy(cfg, use_cache=False)
    return cfg, bind_lms(build_program(cfg), build_lms(cfg.models))


def one_run(url: str, docs: list[Doc], setting: Setting, latency: float) -> dict:
    from bench.fakeserver import stats
    from experiments.records.progress import Progress
    from experiments.records.sink import PhaseContext, RoundSink
    from experiments.run.build import thresholds
    from experiments.run.phase import run_phase
    from experiments.tracking import Tracker

    cfg, program = build(url, setting.sample_workers)
    out = scratch("parallel")
    before, load = stats(url)["requests"], load_avg()[0]
    with Tracker(cfg.tracking, run_name="bench") as tracker:
        sink = RoundSink(out, tracker, Progress(quiet=True))
        ctx = PhaseContext("baseline", None, {}, "paper", thresholds(cfg), cfg.rubric)
        with fixes.patched(fixes.parse(setting.fix)), Stopwatch() as sw:
            outcomes = run_phase(program, docs, sink, ctx, workers=setting.workers)
    requests = stats(url)["requests"] - before
    chain = 4 + 2 * 2 * -(-N_SAMPLES // setting.sample_workers)
    ideal = requests * latency / setting.workers * chain / CHAIN_CALLS
    return {
        "setting": setting.key,
        "rounds": sum(o.rounds for o in outcomes),
        "doc_errors": sum(o.error is not None for o in outcomes),
        "requests": requests,
        "wall_s": sw.wall,
        "ideal_s": ideal,
        "efficiency": ideal / sw.wall,
        "client_cpu_s": sw.cpu,
        "client_cpu_util": sw.cpu / sw.wall,
        "client_cpu_ms_per_request": 1000 * sw.cpu / requests,
        "load1": load,
    }


def package_of(path: str) -> str:
    """Which package a profiled file belongs to (DSPy's vendored HTTP client lm15 on its own)."""
    if "site-packages/" in path:
        rest = path.split("site-packages/", 1)[1]
        return "lm15 (DSPy's HTTP client)" if rest.startswith("dspy/_vendor/lm15") else rest.split("/")[0]
    for top in ("programs", "metrics", "experiments", "optimizers", "tests", "bench"):
        if f"/{top}/" in path:
            return f"{top} (this repo)"
    return "C builtins" if path == "~" else "python stdlib"


def profile(url: str, docs: list[Doc]) -> dict:
    """Own CPU by package, and cumulative CPU of the two hot spots, for a single-worker pass."""
    import cProfile
    import pstats
    from collections import Counter

    profiler = cProfile.Profile(time.process_time)  # CPU, not wall: waiting on the socket is not cost
    profiler.enable()
    one_run(url, docs, Setting(1), 0.0)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    own: Counter = Counter()
    for (path, _, _), (_, _, tottime, _, _) in stats.items():
        own[package_of(path)] += tottime
    total = sum(own.values())
    hot = {"dspy model_metadata.model_info": 0.0, "programs.judge.judge_signature": 0.0}
    for (path, _, name), (_, _, _, cumtime, _) in stats.items():
        if name == "model_info" and path.endswith("model_metadata/__init__.py"):
            hot["dspy model_metadata.model_info"] += cumtime
        elif name == "judge_signature" and path.endswith("programs/judge.py"):
            hot["programs.judge.judge_signature"] += cumtime
    return {
        "own_share": {k: v / total for k, v in own.most_common()},
        "hot_share": {k: v / total for k, v in hot.items()},
    }


def report(args, info: dict, runs: list[dict], settings: list[Setting], prof: dict) -> str:
    med = {s.key: {k: median([r[k] for r in runs if r["setting"] == s.key]) for k in KEYS} for s in settings}
    t1 = med.get("1x1", {}).get("wall_s")
    rows = []
    for s in settings:
        m = med[s.key]
        m["speedup_vs_1"] = t1 / m["wall_s"] if t1 else None
        rows.append(
            [
                s.workers,
                s.sample_workers,
                s.fix or "-",
                int(m["requests"]),
                m["wall_s"],
                m["ideal_s"],
                m["efficiency"],
                m["speedup_vs_1"] or "-",
                m["client_cpu_util"],
                m["client_cpu_ms_per_request"],
                m["load1"],
            ]
        )
    results = {"docs": args.docs, "latency_s": args.latency, "repeats": args.repeats, "median": med}
    results.update(runs=runs, profile_one_worker=prof)
    c = med.get("1x1", {}).get("client_cpu_ms_per_request")
    lat = 1000 * args.latency
    lines = [
        f"{args.docs} documents x 1 round ({CHAIN_CALLS} LM calls each), server latency {lat:.0f} ms, "
        f"{args.repeats} repeats, medians. workers = documents in parallel (`RunConfig.workers`); sample "
        "workers = `loop.sample_workers`; change = what differs from the code as shipped (bench/fixes.py: "
        "`nomemo` = the DSPy model-metadata memo undone, DSPy's own lookup put back). "
        "Efficiency = ideal / measured wall; client CPU util = process CPU / wall (1.0 = one core).",
        "",
        md_table(
            [
                "workers",
                "sample workers",
                "change",
                "requests",
                "wall s",
                "ideal s",
                "efficiency",
                "speed-up vs 1",
                "client CPU util",
                "client CPU ms/request",
                "load (1 min)",
            ],
            rows,
        ),
    ]
    if "8x1" in med:
        lines += ["", f"Target: efficiency >= 0.8 at 8 workers; measured median {med['8x1']['efficiency']:.2f}."]
    if c:
        results["gil_ceiling_efficiency_8"] = min(1.0, lat / (8 * c))
        lines += [
            "",
            f"GIL bound: one process uses at most one core. At {c:.1f} ms client CPU per request, 8 workers at "
            f"{lat:.0f} ms need {8 * c / lat:.2f} of a core at full speed, so efficiency at 8 workers cannot "
            f"exceed {results['gil_ceiling_efficiency_8']:.2f} even on an idle core.",
        ]
    own = [[k, f"{100 * v:.0f}%"] for k, v in prof["own_share"].items() if v >= 0.005]
    hot = [[k, f"{100 * v:.0f}%"] for k, v in prof["hot_share"].items()]
    lines += [
        "",
        "Client CPU by package (cProfile own CPU time, one worker, 10 documents, code as shipped; cProfile "
        "inflates code that makes many small calls, so the +nomemo rows, not this profile, give the memo's "
        "real savings):",
        "",
        md_table(["package", "share"], own),
        "",
        "Hot spots (cumulative share of client CPU):",
        "",
        md_table(["function", "share"], hot),
    ]
    return results, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.parallel", description=__doc__.split("\n\n")[0])
    p.add_argument("--docs", type=int, default=48, help="48 divides evenly among 1-16 workers")
    p.add_argument("--latency", type=float, default=0.05)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument(
        "--settings",
        default="1,2,4,8,16,4x2,8x2,1+nomemo,8+nomemo,16+nomemo",
        help="comma-separated WORKERS[xSAMPLE_WORKERS][+FIX...]",
    )
    args = p.parse_args(argv)
    setup_env()
    import logging

    logging.getLogger("dspy").setLevel(logging.ERROR)
    from bench.fakeserver import served

    info = machine()
    docs = [Doc(f"doc{i}", f"Paper {i}. We study mechanism {i}. It works because of KW{i}.") for i in range(args.docs)]
    settings = [Setting.parse(s) for s in args.settings.split(",")]
    runs: list[dict] = []
    with served(args.latency) as server:
        one_run(server.url, docs[:4], Setting(2), args.latency)  # warm-up: imports, connections
        for rep in range(args.repeats):
            for s in settings:
                r = {**one_run(server.url, docs, s, args.latency), "repeat": rep}
                runs.append(r)
                print(
                    f"rep {rep} {s.key}: {r['wall_s']:.2f}s ideal {r['ideal_s']:.2f}s eff {r['efficiency']:.2f} "
                    f"cpu {r['client_cpu_ms_per_request']:.1f} ms/req load {r['load1']}",
                    file=sys.stderr,
                    flush=True,
                )
    with served(0.0) as server:
        prof = profile(server.url, docs[:10])
    results, body = report(args, info, runs, settings, prof)
    path = write_report(
        "parallel",
        "Parallel efficiency (fake server, fixed latency)",
        command_line("bench.parallel", argv),
        info,
        results,
        body,
    )
    print(path.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
