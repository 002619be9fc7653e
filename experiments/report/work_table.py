"""The work each harness did, side by side: documents, rounds, tokens, seconds and cache hits.

`work_table(columns)` takes one `experiments.report.summary.summarize` record per harness (e.g.
baseline and compiled on the test documents) and renders a plain-text table, live and cached calls
apart (cached calls shown at what they originally cost). The pass rates, means and intervals are in
`experiments.report.comparison_table`. No I/O.
"""

from __future__ import annotations

from typing import Any


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _work_cell(key: str, col: dict[str, Any]) -> str:
    """Tokens, seconds and cache hits, with cached calls shown at what they originally cost."""
    cache = col.get("cache") or {}
    if key == "cache":
        return f"{cache.get('hits', 0):,} of {cache.get('calls', 0):,}"
    if key == "tokens_total":
        live, before = sum((col.get("tokens_by_role") or {}).values()), cache.get("tokens", 0)
        return f"{live:,} + {before:,} cached" if cache.get("hits") else f"{live:,}"
    live = col.get("seconds")
    if live is None:
        return "-"
    return f"{live:.1f} + {cache.get('seconds', 0.0):.1f} cached" if cache.get("hits") else f"{live:.1f}"


def work_table(columns: dict[str, dict[str, Any]]) -> str:
    """One column per harness, one row per figure."""
    names = list(columns)
    rows = [
        ("documents", "documents"),
        ("rounds run", "rounds"),
        ("tokens (all roles)", "tokens_total"),
        ("seconds in rounds", "seconds"),
        ("calls from cache", "cache"),
    ]
    body = []
    for label, key in rows:
        cells = []
        for name in names:
            col = columns[name]
            if key in ("tokens_total", "seconds", "cache"):
                cells.append(_work_cell(key, col))
            else:
                cells.append(_fmt(col.get(key)))
        body.append([label, *cells])
    widths = [max(len(str(r[i])) for r in [["", *names], *body]) for i in range(len(names) + 1)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(["", *names], widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in body]
    return "\n".join(lines)
