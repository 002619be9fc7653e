"""Benchmark 1, framework overhead: CPU time the harness adds per LM call and per round on an instant backend.

Every role runs on a scripted engine (testkit/world.py) that answers in microseconds, so all CPU
time is DSPy's or the harness's. One process, one worker. For each level (the loop module alone; the
runner writing rounds.jsonl with tracking off; the runner with MLflow on SQLite) it measures process CPU
per round and splits it three ways by wrapping `dspy.Predict.__call__` and the engines' `complete`:
engine (the fake's own prompt parsing), DSPy (inside Predict, minus the engine), harness (the rest).
A bare `dspy.Predict(SolveSignature)` call on the same engine is the reference. A cProfile of one loop
pass lists the costliest repository functions. It does not measure network or model time.

Run: .venv/bin/python -m bench.overhead [--docs 30] [--repeats 5]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import fixes
from bench.common import ROOT, Stopwatch, command_line, machine, md_table, median, scratch, setup_env, write_report


@dataclass
class Doc:
    id: str
    text: str


class Meter:
    """Process CPU inside Predict.__call__ and inside engine.complete (outermost frames only, one thread)."""

    def __init__(self) -> None:
        self.predict = self.engine = 0.0
        self.calls = 0
        self._depth = threading.local()

    @contextmanager
    def installed(self, engines):
        import dspy

        meter, original = self, dspy.Predict.__call__

        def predict_call(self_, *args, **kwargs):
            depth = getattr(meter._depth, "n", 0)
            meter._depth.n = depth + 1
            start = time.process_time()
            try:
                return original(self_, *args, **kwargs)
            finally:
                meter._depth.n = depth
                if depth == 0:
                    meter.predict += time.process_time() - start

        def wrap(engine):
            inner = engine.complete

            def complete(request):
                start = time.process_time()
                try:
                    return inner(request)
                finally:
                    meter.engine += time.process_time() - start
                    meter.calls += 1

            engine.complete = complete
            return inner

        inners = [(e, wrap(e)) for e in engines]
        dspy.Predict.__call__ = predict_call
        try:
            yield self
        finally:
            dspy.Predict.__call__ = original
            for engine, inner in inners:
                engine.complete = inner


def make_lms(world):
    import dspy

    from testkit.scripted import ScriptedEngine

    engines = world.engines()
    engines["reflection"] = ScriptedEngine(lambda p: "```\nAsk about the mechanism.\n```")
    lms = {r: dspy.LM(f"scripted/{r}", engine=e, cache=False, num_retries=0) for r, e in engines.items()}
    return lms, list(engines.values())


def config(tracking: bool, tmp: Path):
    from experiments.run.overrides import build_config

    return build_config(
        {},
        [
            "loop.max_rounds=1",
            "rubric.min_positive=4",
            "rubric.max_positive=4",
            "rubric.min_penalties=1",
            "rubric.max_penalties=2",
            "loop.n_samples=3",
            "loop.backoff=0",
            "acceptance.preset=paper",
            f"tracking.enabled={'true' if tracking else 'false'}",
            f"tracking.tracking_uri=sqlite:///{tmp / 'mlflow.db'}",
        ],
    )


def run_level(level: str, docs: list[Doc], tmp: Path) -> dict:
    """One pass of `level` over the documents; returns CPU/wall per round and the three-way split.

    A level is "loop", "runner" or "runner+mlflow", optionally with " +CHANGE" from bench/fixes.py.
    """
    from experiments.records.progress import Progress
    from experiments.records.sink import PhaseContext, RoundSink
    from experiments.run.build import bind_lms, build_program, configure_dspy, thresholds
    from experiments.run.phase import run_phase
    from experiments.tracking import Tracker
    from testkit.world import World

    # One accepted round per document, every role called: weak finds 1 of 4 keywords, strong all four.
    world = World(n_penalty=None, plan={1: {"weak": [1], "strong": [1, 2, 3, 4]}})
    level, _, fix = level.partition(" +")
    cfg = config(level == "runner+mlflow", tmp)
    configure_dspy(cfg, use_cache=False)
    lms, engines = make_lms(world)
    program = bind_lms(build_program(cfg), lms)
    out = scratch("runner")
    meter = Meter()
    with meter.installed(engines), fixes.patched(fixes.parse(fix)):
        if level == "loop":
            with Stopwatch() as sw:
                preds = [program(document=d.text, doc_id=d.id) for d in docs]
            rounds = sum(len(p.rounds) for p in preds)
            accepted = sum(p.accepted is not None for p in preds)
        else:
            with Tracker(cfg.tracking, run_name="bench-overhead") as tracker:
                sink = RoundSink(out, tracker, Progress(quiet=True))
                run_id = tracker.child("baseline")
                ctx = PhaseContext("baseline", run_id, {}, "paper", thresholds(cfg), cfg.rubric)
                with Stopwatch() as sw:
                    outcomes = run_phase(program, docs, sink, ctx, workers=1)
                rounds = sum(o.rounds for o in outcomes)
                accepted = sum(o.accepted for o in outcomes)
    dspy_cpu = meter.predict - meter.engine
    harness_cpu = sw.cpu - meter.predict
    return {
        "level": f"{level} +{fix}" if fix else level,
        "rounds": rounds,
        "accepted": accepted,
        "lm_calls": meter.calls,
        "wall_s": sw.wall,
        "cpu_s": sw.cpu,
        "cpu_ms_per_round": 1000 * sw.cpu / rounds,
        "cpu_ms_per_call": 1000 * sw.cpu / meter.calls,
        "engine_ms_per_call": 1000 * meter.engine / meter.calls,
        "dspy_ms_per_call": 1000 * dspy_cpu / meter.calls,
        "harness_ms_per_call": 1000 * harness_cpu / meter.calls,
        "harness_ms_per_round": 1000 * harness_cpu / rounds,
        "harness_share": harness_cpu / sw.cpu,
    }


def bare_predict(n: int) -> dict:
    """CPU per call of a bare dspy.Predict(SolveSignature) on the scripted weak engine (same DSPy settings)."""
    import dspy

    from programs.signatures import SolveSignature
    from testkit.world import World

    world = World(plan={1: {"weak": [1]}})
    engine = world.engines()["weak"]
    predict = dspy.Predict(SolveSignature)
    predict.set_lm(dspy.LM("scripted/weak", engine=engine, cache=False, num_retries=0))
    predict(context="Setup.", question="Question 1: why?")  # warm-up
    engine_cpu, inner = 0.0, engine.complete

    def complete(request):
        nonlocal engine_cpu
        start = time.process_time()
        try:
            return inner(request)
        finally:
            engine_cpu += time.process_time() - start

    engine.complete = complete
    with Stopwatch() as sw:
        for i in range(n):
            predict(context="Setup for question 1.", question="Question 1: explain?", config={"rollout_id": i})
    return {
        "calls": n,
        "cpu_ms_per_call": 1000 * sw.cpu / n,
        "dspy_ms_per_call": 1000 * (sw.cpu - engine_cpu) / n,
        "engine_ms_per_call": 1000 * engine_cpu / n,
    }


def judge_signature_cost(n: int = 100) -> dict:
    """CPU ms per `judge_signature` call for a 6-criterion rubric: a new rubric each time, and the same one."""
    from programs.judge import judge_signature
    from programs.records import Criterion

    def rubric(tag: str) -> list:
        items = [Criterion(criterion=f"the answer names KW{i} {tag}", weight=5) for i in range(1, 5)]
        return items + [Criterion(criterion=f"the answer wrongly claims ERR{i} {tag}", weight=-3) for i in (1, 2)]

    stamp = f"{time.perf_counter_ns()}"  # unseen rubrics, whatever a cache holds from earlier repeats
    fresh = [rubric(f"{stamp}-{k}") for k in range(n)]
    same = rubric("same")
    judge_signature(same, False)
    with Stopwatch() as first:
        for r in fresh:
            judge_signature(r, False)
    with Stopwatch() as repeat:
        for _ in range(n):
            judge_signature(same, False)
    return {"new_rubric_ms": 1000 * first.cpu / n, "same_rubric_ms": 1000 * repeat.cpu / n}


def profile_loop(docs: list[Doc], tmp: Path, top: int = 12) -> list[dict]:
    """Top repository functions by own CPU time in one loop pass (site-packages excluded)."""
    profiler = cProfile.Profile()
    profiler.enable()
    run_level("loop", docs, tmp)
    profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (path, line, name), (_, ncalls, tottime, cumtime, _) in stats.stats.items():
        if str(ROOT) in path and ".venv" not in path and "/bench/" not in path and "/tests/" not in path:
            rel = Path(path).relative_to(ROOT)
            rows.append(
                {"function": f"{rel}:{line} {name}", "calls": ncalls, "tottime_s": tottime, "cumtime_s": cumtime}
            )
    return sorted(rows, key=lambda r: r["tottime_s"], reverse=True)[:top]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.overhead", description=__doc__.split("\n\n")[0])
    p.add_argument("--docs", type=int, default=30)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument(
        "--levels",
        default="loop,runner,runner+mlflow,loop +nomemo",
        help="comma-separated; 'LEVEL +CHANGE' runs LEVEL with a change from bench/fixes.py",
    )
    args = p.parse_args(argv)
    setup_env()
    import logging

    logging.getLogger("dspy").setLevel(logging.ERROR)
    from experiments.lms import dspy_fixes

    dspy_fixes.apply()  # as shipped: every CLI run applies it when it imports the LM factory
    info = machine()
    tmp = scratch("overhead")
    docs = [Doc(f"doc{i}", f"Paper {i}. We study mechanism {i}. It works because of KW{i}.") for i in range(args.docs)]
    levels = tuple(args.levels.split(","))
    runs: dict[str, list[dict]] = {lv: [] for lv in levels}
    bare, sig_ms = [], []
    run_level("loop", docs[:3], tmp)  # warm-up: imports, signature caches
    for _ in range(args.repeats):
        bare.append(bare_predict(200))
        sig_ms.append(judge_signature_cost())
        for level in levels:
            runs[level].append(run_level(level, docs, tmp))
    keys = (
        "cpu_ms_per_round",
        "cpu_ms_per_call",
        "engine_ms_per_call",
        "dspy_ms_per_call",
        "harness_ms_per_call",
        "harness_ms_per_round",
        "harness_share",
    )
    med = {lv: {k: median([r[k] for r in runs[lv]]) for k in keys} for lv in levels}
    for lv in levels:
        med[lv]["lm_calls_per_round"] = runs[lv][0]["lm_calls"] / runs[lv][0]["rounds"]
    bare_med = {k: median([b[k] for b in bare]) for k in ("cpu_ms_per_call", "dspy_ms_per_call", "engine_ms_per_call")}
    top = profile_loop(docs, tmp)
    results = {"docs": args.docs, "repeats": args.repeats, "median": med, "bare_predict": bare_med, "runs": runs}
    results["bare_runs"], results["profile_top"] = bare, top
    results["judge_signature_ms"] = {k: median([m[k] for m in sig_ms]) for k in ("new_rubric_ms", "same_rubric_ms")}
    judge_calls = 8  # per round here: 2 sanity checks + 3 weak + 3 strong answers
    sig = results["judge_signature_ms"]
    header = ["level", "CPU ms/round", "calls/round", "CPU ms/call", "engine", "DSPy", "harness", "harness share"]
    rows = [
        [
            lv,
            med[lv]["cpu_ms_per_round"],
            med[lv]["lm_calls_per_round"],
            med[lv]["cpu_ms_per_call"],
            med[lv]["engine_ms_per_call"],
            med[lv]["dspy_ms_per_call"],
            med[lv]["harness_ms_per_call"],
            f"{100 * med[lv]['harness_share']:.0f}%",
        ]
        for lv in levels
    ]
    rows.append(
        [
            "bare dspy.Predict",
            "-",
            1,
            bare_med["cpu_ms_per_call"],
            bare_med["engine_ms_per_call"],
            bare_med["dspy_ms_per_call"],
            0.0,
            "0%",
        ]
    )
    body = (
        f"{args.docs} documents x 1 round (every role called), {args.repeats} repeats, medians; one worker; "
        "process CPU time. Per-call columns are ms of CPU per LM call, split into the scripted engine, DSPy "
        "(inside `Predict.__call__`) and the harness (everything else). Levels run the code as shipped (the "
        "DSPy model-metadata memo on, as in every CLI run); ` +nomemo` puts DSPy's own lookup back "
        "(bench/fixes.py; `--levels`).\n\n"
        + md_table(header, rows)
        + f"\n\nThe judge's per-rubric signature (`programs/judge.py` `judge_signature`, called once per judge call, "
        f"{judge_calls} per round here): {sig['new_rubric_ms']:.2f} ms CPU for a rubric not seen before, "
        f"{sig['same_rubric_ms']:.3f} ms for the same rubric again."
        + "\n\nCostliest repository functions in one loop pass (own time):\n\n"
        + md_table(
            ["function", "calls", "own s", "cumulative s"],
            [[t["function"], t["calls"], t["tottime_s"], t["cumtime_s"]] for t in top],
        )
    )
    path = write_report(
        "overhead",
        "Framework overhead (instant scripted backend)",
        command_line("bench.overhead", argv),
        info,
        results,
        body,
    )
    print(path.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
