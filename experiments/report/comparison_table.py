"""The baseline-vs-compiled figures (`metrics.comparison.compare`) as one table, in text or Markdown.

Columns: figure, baseline, compiled, compiled - baseline (paired on the same documents). The printed
summary and `comparison.md` show the same rows. No I/O.
"""

from __future__ import annotations

from typing import Any

from metrics.intervals import Estimate

COLUMNS = ("", "baseline", "compiled", "compiled - baseline (paired)")


def _interval(ci: list[float] | None) -> str:
    return f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else ""


def _rate(f: dict, hits: str, n: str, rate: str) -> str:
    if f[rate] is None:
        return f"0/{f[n]}"
    return f"{f[hits]}/{f[n]} = {f[rate]:.2f}{_interval(f[rate + '_ci95'])}"


def _difference(d: dict | None) -> str:
    if not d or d["mean"] is None:
        return "-"
    interval = f" [{d['lo']:+.2f}, {d['hi']:+.2f}]" if d["n"] > 1 else ""
    return f"{d['mean']:+.2f}{interval} (n={d['n']}): {d['reading']}"


def _per(f: dict, key: str, fmt: str) -> str:
    per = f.get("per_accepted")
    return fmt.format(per[key]) if per else "- (nothing accepted)"


def figure_rows(comparison: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """One row per figure; a missing compiled column (the final phase never ran) shows "-"."""
    harnesses = [comparison["baseline"], comparison["compiled"]]
    diff = comparison["difference"] or {}

    def row(label: str, cell, difference: str = "") -> tuple[str, str, str, str]:
        cells = [cell(f) if f is not None else "-" for f in harnesses]
        return (label, cells[0], cells[1], difference)

    return [
        row(
            "acceptance (documents) [Wilson 95%]",
            lambda f: _rate(f, "accepted", "documents", "pass_rate"),
            _difference(diff.get("pass_rate")),
        ),
        row(
            "validity (candidates) [Wilson 95%]",
            lambda f: _rate(f, "valid", "candidates", "validity"),
            _difference(diff.get("validity")),
        ),
        row("weak mean, accepted [bootstrap 95%]", lambda f: Estimate(**f["weak_mean"]).fmt()),
        row("strong mean, accepted [bootstrap 95%]", lambda f: Estimate(**f["strong_mean"]).fmt()),
        row("gap, accepted [bootstrap 95%]", lambda f: Estimate(**f["gap"]).fmt()),
        row("rounds per accepted example", lambda f: _per(f, "rounds", "{:.2f}")),
        row("tokens per accepted example", lambda f: _per(f, "tokens", "{:,.0f}")),
        row("seconds per accepted example", lambda f: _per(f, "seconds", "{:,.1f}")),
        row("rounds / tokens / seconds in all", lambda f: f"{f['rounds']} / {f['tokens']:,} / {f['seconds']:,.1f}"),
        row("harness (fingerprint)", lambda f: ", ".join(f["harnesses"]) or "-"),
    ]


def notes(comparison: dict[str, Any]) -> list[str]:
    """Caveats a reader must see next to the table."""
    n = len(comparison["documents"])
    out = [
        f"{n} test document{'' if n == 1 else 's'}, the same for both harnesses; differences pair them "
        f"(bootstrap over documents, {comparison['bootstrap']['n_boot']} resamples, seed "
        f"{comparison['bootstrap']['seed']}). Tokens and seconds count cached calls at their original cost."
    ]
    if comparison["excluded_documents"]:
        out.append(
            f"Excluded (crashed or not reached in a phase, not counted as rejections): "
            f"{', '.join(comparison['excluded_documents'])}."
        )
    if comparison["same_harness"]:
        out.append(
            "The compiled harness is the baseline harness (same instructions and rubric structure): "
            "any difference is sampling, not compilation."
        )
    return out


def text_table(comparison: dict[str, Any]) -> str:
    rows = [COLUMNS, *figure_rows(comparison)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines + notes(comparison))


def markdown_table(comparison: dict[str, Any]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|---" * len(COLUMNS) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in figure_rows(comparison)]
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {note}" for note in notes(comparison))
