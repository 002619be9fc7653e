"""`python -m experiments.calibrate`: choose acceptance thresholds from recorded rounds, without LM calls.

--rounds PATH: every recorded round's attempt scores are recomputed from its verdicts (metrics code),
then decided under each acceptance preset and a grid of thresholds, as recorded and with penalty items
ignored (the paper's finding). Per setting: the share of scored candidates that meet it, rounds the
weak-first gate left without strong scores that would now pass the weak side ("undetermined"), and the
gap distribution of the candidates that meet it; plus weak/strong score distributions. A loop's later
rounds depended on its earlier decisions, so this says which recorded candidates qualify, not what a
re-run would accept.
Warnings use the preset recorded in the rows (below for --probe).
--probe: runs the grounded one-shot generator (both solvers answer every verified candidate) on a few
documents (train split, then unused ones; never val or test) and warns when the configured preset is
out of reach: "weak model too strong", "strong model too weak", or the gap never reached.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from experiments.records.files import atomic_write_json, atomic_write_text, read_jsonl
from metrics.acceptance import PRESETS, Thresholds, decide, thresholds_for, weak_gate
from metrics.intervals import percentile
from metrics.scoring import rubric_score

log = logging.getLogger("autodata.calibrate")
GRID = {"weak_mean_max": (0.4, 0.5, 0.65, 0.8), "strong_mean_min": (0.5, 0.65, 0.8), "gap_min": (0.1, 0.2, 0.3)}
QUANTILES = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)


def scores(row: dict, positive_only: bool = False) -> tuple[list[float], list[float]]:
    """Weak and strong attempt scores recomputed from the recorded verdicts."""
    keep = [i for i, c in enumerate(row["rubric"]) if c["weight"] > 0 or not positive_only]
    weights = [row["rubric"][i]["weight"] for i in keep]

    def side(name: str) -> list[float]:
        return [
            rubric_score(weights, [a["verdicts"][i] for i in keep]) for a in row[name] if a.get("score") is not None
        ]

    return (side("weak"), side("strong")) if row.get("rubric") else ([], [])


def outcome(row: dict, t: Thresholds, positive_only: bool = False) -> tuple[str, float | None]:
    """(reason or "accepted" / "undetermined" / "unscored", gap when both sides are scored)."""
    weak, strong = scores(row, positive_only)
    if not weak:
        return "unscored", None
    if not strong:
        gate = weak_gate(t, weak)
        return (gate.reason if gate else "undetermined"), None
    return decide(t, weak, strong).reason, sum(strong) / len(strong) - sum(weak) / len(weak)


def settings() -> list[tuple[str, Thresholds]]:
    out = list(PRESETS.items())
    for w, s, g in itertools.product(*GRID.values()):
        try:
            t = thresholds_for("custom", weak_mean_max=w, strong_mean_min=s, gap_min=g)
        except ValueError:
            continue
        out.append((f"weak<{w} strong>={s} gap>={g}", t))
    return out


def quantiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    v = sorted(values)
    return {"n": len(v), **{f"q{round(q * 100)}": round(percentile(v, q), 3) for q in QUANTILES}}


def sweep(rows: list[dict], positive_only: bool = False) -> list[dict]:
    scored = [r for r in rows if scores(r, positive_only)[0]]
    docs = {r["doc_id"] for r in scored}
    result = []
    for name, t in settings():
        outcomes = [(r["doc_id"], *outcome(r, t, positive_only)) for r in scored]
        counts = Counter(reason for _, reason, _ in outcomes)
        gaps = [gap for _, reason, gap in outcomes if reason == "accepted"]
        result.append(
            {
                "setting": name,
                "scoring": "positive only" if positive_only else "as recorded",
                "candidates": len(scored),
                "accepted": counts["accepted"],
                "acceptance": round(counts["accepted"] / len(scored), 3) if scored else None,
                "documents_with_accepted": len({d for d, reason, _ in outcomes if reason == "accepted"}),
                "documents": len(docs),
                "undetermined": counts["undetermined"],
                "reasons": dict(counts),
                "gap": quantiles(gaps),
            }
        )
    return result


def distributions(rows: list[dict]) -> dict:
    pairs = [scores(r) for r in rows]
    return {
        "weak_round_mean": quantiles([sum(w) / len(w) for w, _ in pairs if w]),
        "strong_round_mean": quantiles([sum(s) / len(s) for _, s in pairs if s]),
        "weak_attempt": quantiles([x for w, _ in pairs for x in w]),
        "strong_attempt": quantiles([x for _, s in pairs for x in s]),
    }


def probe_warnings(rows: list[dict], t: Thresholds) -> list[str]:
    """Why the preset `t` is out of reach for these models, judged from candidates both solvers answered."""
    both = [scores(r) for r in rows]
    both = [(w, s) for w, s in both if w and s]
    reasons = Counter(r["reason"] for r in rows)
    if not both:
        return [f"no candidate reached both solvers ({dict(reasons)}): the challenger or verifier is the bottleneck"]
    # The strong side alone: the preset with its weak and gap conditions switched off.
    strong_only = replace(
        t, weak_mean_max=1.0, weak_mean_strict=False, weak_best_max=None, weak_no_zero=False, gap_min=0
    )
    weak_ok = [weak_gate(t, w) is None for w, _ in both]
    strong_ok = [decide(strong_only, [0.0], s).accepted for _, s in both]
    weak_med = percentile(sorted(sum(w) / len(w) for w, _ in both), 0.5)
    strong_med = percentile(sorted(sum(s) / len(s) for _, s in both), 0.5)
    out = []
    if not any(weak_ok):
        op = "<" if t.weak_mean_strict else "<="
        out.append(
            f"weak model too strong: no candidate passes the weak side (median weak mean {weak_med:.2f}, "
            f"preset needs {op} {t.weak_mean_max})"
        )
    if not any(strong_ok):
        saturated = t.strong_mean_max is not None and strong_med >= t.strong_mean_max
        out.append(
            f"strong model {'saturates' if saturated else 'too weak'}: no candidate passes the strong side "
            f"(median strong mean {strong_med:.2f}, preset needs >= {t.strong_mean_min}"
            + (f" and < {t.strong_mean_max})" if t.strong_mean_max is not None else ")")
        )
    if any(weak_ok) and any(strong_ok) and not any(decide(t, w, s).accepted for w, s in both):
        out.append(
            f"gap never reached: no candidate separates the solvers by {t.gap_min} "
            f"(medians weak {weak_med:.2f}, strong {strong_med:.2f})"
        )
    return out


def shortlist(table: list[dict], top: int = 8) -> list[dict]:
    """The presets, then the grid settings that accept the most candidates (for printing)."""
    presets = [s for s in table if s["setting"] in PRESETS]
    grid = sorted((s for s in table if s["setting"] not in PRESETS and s["accepted"]), key=lambda s: -s["accepted"])
    return presets + grid[:top]


def markdown(table: list[dict], dist: dict, warnings: list[str] | None = None) -> str:
    lines = [
        "## Score distributions (quantiles)",
        "",
        "| scores | n | min | q10 | q25 | median | q75 | q90 | max |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, q in dist.items():
        cells = [str(q.get(k, "-")) for k in ("q0", "q10", "q25", "q50", "q75", "q90", "q100")]
        lines.append(f"| {name} | {q['n']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Acceptance under each setting",
        "",
        "| setting | scoring | accepted / candidates | docs with one | undetermined | accepted gap median |",
        "|---|---|---|---|---|---|",
    ]
    for s in table:
        lines.append(
            f"| {s['setting']} | {s['scoring']} | {s['accepted']}/{s['candidates']} | "
            f"{s['documents_with_accepted']}/{s['documents']} | {s['undetermined']} | {s['gap'].get('q50', '-')} |"
        )
    if warnings:
        lines += ["", "## Warnings", "", *[f"- {w}" for w in warnings]]
    return "\n".join(lines) + "\n"


def calibrate_rows(rows: list[dict], out: Path, warnings: list[str] | None = None) -> dict:
    table = sweep(rows) + sweep(rows, positive_only=True)
    record = {"rows": len(rows), "distributions": distributions(rows), "settings": table, "warnings": warnings or []}
    atomic_write_json(out / "calibration.json", record)
    atomic_write_text(out / "calibration.md", markdown(table, record["distributions"], warnings))
    return record


def probe(args: argparse.Namespace, out: Path, lms=None) -> dict:
    from experiments.build import bind_lms, configure_dspy, thresholds
    from experiments.cli import load_config
    from experiments.corpus import load_corpus, split_documents
    from experiments.corpus.split import split_key
    from experiments.evaluate import build_method
    from experiments.records.progress import Progress
    from experiments.records.sink import PhaseContext, RoundSink
    from experiments.run.phase import run_phase
    from experiments.tracking import Tracker

    cfg = load_config(args)
    c = cfg.corpus
    load = load_corpus(c)
    splits = split_documents(load.documents, c.n_train, c.n_val, c.n_test, c.seed)
    taken = {d.id for docs in splits.values() for d in docs}
    ordered = sorted(load.documents, key=lambda d: (split_key(c.seed, d.id), d.id))
    docs = (splits["train"] + [d for d in ordered if d.id not in taken])[: args.docs]
    if lms is None:
        from experiments.lms.factory import build_lms

        lms = build_lms(cfg.models)
    configure_dspy(cfg, use_cache=not args.no_cache)
    program, t = bind_lms(build_method("grounded", cfg), lms), thresholds(cfg)
    with Tracker(cfg.tracking, run_name=f"probe-{out.name}", tags={"autodata.command": "calibrate"}) as tracker:
        sink = RoundSink(out, tracker, Progress(quiet=args.quiet))
        ctx = PhaseContext(
            "probe", tracker.parent_id, {d.id: "probe" for d in docs}, cfg.acceptance.preset, t, cfg.rubric
        )
        run_phase(program, docs, sink, ctx, workers=cfg.workers)
        warnings = probe_warnings(ctx.rows, t)
        record = calibrate_rows(ctx.rows, out, warnings)
        tracker.log_artifact(tracker.parent_id, out / "calibration.md", "calibration")
    return record


def _main(args: argparse.Namespace) -> int:
    out = args.out or (args.rounds.parent if args.rounds else Path("runs") / f"{time.strftime('%Y%m%d-%H%M%S')}-probe")
    if args.probe:
        record = probe(args, out)
    else:
        from experiments.config import ConfigError

        rows = [r for r in read_jsonl(args.rounds) if not args.phase or r["phase"] in args.phase]
        if not rows:
            raise ConfigError(f"--rounds {args.rounds}: no rows{' for those phases' if args.phase else ''}")
        warnings = probe_warnings(rows, Thresholds(**rows[0]["thresholds"])) if rows[0].get("thresholds") else []
        record = calibrate_rows(rows, out, warnings)
    print(markdown(shortlist(record["settings"]), record["distributions"], record["warnings"]))
    for warning in record["warnings"]:
        log.warning(warning)
    print(f"written: {out / 'calibration.md'}, {out / 'calibration.json'}")
    return 0


def parser() -> argparse.ArgumentParser:
    from experiments.cli import add_common

    p = argparse.ArgumentParser(
        prog="python -m experiments.calibrate",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--rounds", type=Path, help="a recorded rounds.jsonl to re-score (no LM calls)")
    mode.add_argument("--probe", action="store_true", help="run a few documents one shot and check reachability")
    p.add_argument("--phase", action="append", help="only rows of this phase (repeatable; default: all)")
    p.add_argument("--docs", type=int, default=3, help="probe: documents to run (default: %(default)s)")
    add_common(p)
    return p


def main(argv: list[str] | None = None) -> int:
    from experiments.cli import run_cli

    return run_cli(_main, parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
