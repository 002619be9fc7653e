"""Resume after kill -9, for bench.cache: kill a compile at a share of a full run's requests, run it again
in the same --out, and measure what the two processes cost together against one uninterrupted run.

Each measurement reports where the kill landed (phase and trial of the last recorded round), the requests
before the kill and after resuming, the repeated requests (killed + resumed - full run), whether any
round was written twice, whether the resumed run's rows equal the uninterrupted run's (apart from
timings, usage and trial numbers), whether the interrupted Optuna trial was queued again, and whether
GEPA's saved state (its log_dir under trials/) was there to resume from. With `cache=True` the killed
and resumed processes share one DSPy disk cache; otherwise both run with --no-cache. Nothing here
starts the fake server; bench.cache passes the compile runner in.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

VOLATILE = ("seconds", "usage", "time", "trial")


def comparable(out: Path) -> Counter:
    """The run's rows as a multiset, without the fields that differ between runs of the same rounds."""
    from experiments.records.files import read_jsonl

    rows = read_jsonl(out / "rounds.jsonl")
    return Counter(json.dumps({k: v for k, v in r.items() if k not in VOLATILE}, sort_keys=True) for r in rows)


def rounds_in(out: Path) -> tuple[int, int]:
    """(rows in rounds.jsonl, distinct round keys): equal when nothing was written twice."""
    from experiments.records.files import read_jsonl
    from experiments.records.resume import row_key

    rows = read_jsonl(out / "rounds.jsonl")
    return len(rows), len({row_key(r) for r in rows})


def landed(out: Path) -> str:
    """Where a kill landed: the phase (and trial) of the last round recorded before it."""
    from experiments.records.files import read_jsonl

    rows = read_jsonl(out / "rounds.jsonl")
    if not rows:
        return "before the first round"
    last = rows[-1]
    return last["phase"] + (f" (trial {last['trial']})" if last["phase"] in ("optimize", "select") else "")


def gepa_states(out: Path) -> int:
    """Trials whose GEPA log_dir holds a saved state (what a re-run of that trial resumes from)."""
    return sum(1 for _ in out.glob("trials/*/optimizer/gepa_state.bin"))


def requeued(out: Path) -> list[int]:
    """Trial numbers of the private study that were queued again after an interruption."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = f"sqlite:///{(out / 'optuna.db').resolve()}"
    names = optuna.get_all_study_names(storage)
    trials = optuna.load_study(study_name=names[0], storage=storage).trials if names else []
    return sorted(t.user_attrs["requeued_from"] for t in trials if "requeued_from" in t.user_attrs)


def resume_repeat(run: Callable[..., dict], reference: Path, out: Path, full: int, share: float, cache: bool) -> dict:
    """`run(out, cache_dir, no_cache=..., kill_at=...)` is one compile process (bench.cache.run_compile)."""
    cache_dir = out.parent / f"{out.name}-cache"
    killed = run(out, cache_dir, no_cache=not cache, kill_at=int(full * share))
    where, states = landed(out), gepa_states(out)
    resumed = run(out, cache_dir, no_cache=not cache)
    rows, keys = rounds_in(out)
    return {
        "kill_share": share,
        "cache": cache,
        "landed_in": where,
        "killed_requests": killed["requests"],
        "resumed_requests": resumed["requests"],
        "repeated_requests": killed["requests"] + resumed["requests"] - full,
        "rows": rows,
        "distinct_rounds": keys,
        "same_rows_as_uninterrupted": comparable(out) == comparable(reference),
        "gepa_states_at_kill": states,
        "requeued_trials": requeued(out),
    }
