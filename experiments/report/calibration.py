"""The calibration table: `calibration.md` and `calibration.json` from a threshold sweep.

`calibrate_rows(rows, out)` sweeps the recorded rows as recorded and with penalties ignored
(`metrics.calibration`) and writes both files; `markdown` renders the score quantiles, the acceptance
under each setting and any warnings; `shortlist` keeps the presets and the grid settings that accept
the most candidates (what the command prints).
"""

from __future__ import annotations

from pathlib import Path

from experiments.records.files import atomic_write_json, atomic_write_text
from metrics.acceptance import PRESETS
from metrics.calibration import distributions, sweep


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
    dists = distributions(rows)
    record = {"rows": len(rows), "distributions": dists, "settings": table, "warnings": warnings or []}
    atomic_write_json(out / "calibration.json", record)
    atomic_write_text(out / "calibration.md", markdown(table, dists, warnings))
    return record
