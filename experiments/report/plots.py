"""PNG plots of an evaluation or a compile run, drawn with matplotlib's Agg backend (no display needed).

- `scatter`: weak vs strong mean of every round both solvers scored, one panel per method, accepted
  rounds filled, with the diagonal and the criterion's gap line; rounds the weak-first gate stopped
  (no strong answers) are crosses below the axis at their weak mean;
- `gap_histograms`: the gap of those rounds, one panel per method;
- `acceptance_by_round`: the cumulative share of documents accepted by round n, per method;
- `trials_pass_rate`: a compile's Optuna trials (summary.json "trials"), validation pass rate per trial,
  coloured by rubric structure (penalties or not, weight cap).
Each function takes recorded rows (or trials) and a path, writes one file and returns its path, or
None when there is nothing to draw. Logging the files to MLflow is the caller's job.
"""

from __future__ import annotations

from pathlib import Path


def _plt():
    # matplotlib (about 0.5 s to import) is loaded when a plot is drawn, not when a command starts.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _by_method(rows: list[dict], methods: list[str]) -> dict[str, list[dict]]:
    return {m: [r for r in rows if r["phase"] == m] for m in methods}


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _plt().close(fig)
    return path


def _panels(n: int, title: str):
    plt = _plt()
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 3.4), squeeze=False, sharex=True, sharey=True)
    fig.suptitle(title, fontsize=10)
    return fig, axes[0]


def scatter(rows: list[dict], methods: list[str], path: Path, gap_min: float | None = None) -> Path | None:
    groups = _by_method(rows, methods)
    if not any(r.get("weak_mean") is not None for rs in groups.values() for r in rs):
        return None
    fig, axes = _panels(len(methods), "weak vs strong mean per round (filled: accepted; x: strong skipped by the gate)")
    for ax, m in zip(axes, methods, strict=True):
        both = [r for r in groups[m] if r.get("strong_mean") is not None]
        gated = [r["weak_mean"] for r in groups[m] if r.get("weak_mean") is not None and r.get("strong_mean") is None]
        for accepted, style in ((False, {"facecolors": "none"}), (True, {})):
            sel = [r for r in both if r["accepted"] == accepted]
            ax.scatter([r["weak_mean"] for r in sel], [r["strong_mean"] for r in sel], s=22, edgecolors="C0", **style)
        ax.scatter(gated, [-0.06] * len(gated), marker="x", s=22, color="grey")
        ax.plot([0, 1], [0, 1], color="grey", lw=0.8)
        if gap_min:
            ax.plot([0, 1 - gap_min], [gap_min, 1], color="C3", lw=0.8, ls="--")
        title = f"{m} (n={len(both)}" + (f", {len(gated)} gated)" if gated else ")")
        ax.set(title=title, xlabel="weak mean", xlim=(-0.03, 1.03), ylim=(-0.1, 1.03))
    axes[0].set_ylabel("strong mean")
    return _save(fig, path)


def gap_histograms(rows: list[dict], methods: list[str], path: Path) -> Path | None:
    groups = {m: [r["gap"] for r in rs if r.get("gap") is not None] for m, rs in _by_method(rows, methods).items()}
    if not any(groups.values()):
        return None
    fig, axes = _panels(len(methods), "gap (strong - weak mean) per scored round")
    bins = [i / 10 for i in range(-10, 11)]
    for ax, m in zip(axes, methods, strict=True):
        ax.hist(groups[m], bins=bins, color="C0")
        ax.axvline(0, color="grey", lw=0.8)
        ax.set(title=f"{m} (n={len(groups[m])})", xlabel="gap")
    axes[0].set_ylabel("rounds")
    return _save(fig, path)


def acceptance_by_round(rows: list[dict], methods: list[str], n_docs: int, path: Path) -> Path | None:
    groups = _by_method(rows, methods)
    if not n_docs or not any(groups.values()):
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.8, 3.4))
    top = max((r["round"] for rs in groups.values() for r in rs), default=1)
    for m, rs in groups.items():
        first: dict[str, int] = {}  # doc_id -> the round of its first accepted example
        for r in rs:
            if r["accepted"]:
                first[r["doc_id"]] = min(first.get(r["doc_id"], r["round"]), r["round"])
        xs = list(range(1, max((r["round"] for r in rs), default=1) + 1))  # a one-shot method is one point
        ax.plot(xs, [sum(v <= x for v in first.values()) / n_docs for x in xs], marker="o", label=m)
    ax.set(xlabel="round", ylabel="documents accepted (cumulative share)", ylim=(0, 1.02), xticks=range(1, top + 1))
    ax.set_title("acceptance by round", fontsize=10)
    ax.legend(fontsize=8)
    return _save(fig, path)


def structure_label(params: dict) -> str:
    if params.get("allow_penalties") is False:
        parts = ["no penalties"]
    elif params.get("allow_penalties") is True:
        parts = ["penalties"]
    else:
        parts = []
    parts += [f"{k}={v}" for k, v in sorted(params.items()) if k != "allow_penalties"]
    return ", ".join(parts) or "configured"


def trials_pass_rate(trials: list[dict], path: Path) -> Path | None:
    done = [t for t in trials if t.get("value") is not None]
    if not done:
        return None
    plt = _plt()
    labels = sorted({structure_label(t.get("params") or {}) for t in done})
    colour = {label: f"C{i % 10}" for i, label in enumerate(labels)}
    fig, ax = plt.subplots(figsize=(5.6, 3.4))
    for label in labels:
        sel = [t for t in done if structure_label(t.get("params") or {}) == label]
        ax.bar([t["number"] for t in sel], [t["value"] for t in sel], color=colour[label], label=label)
    ax.set(xlabel="Optuna trial", ylabel="validation pass rate", ylim=(0, 1.02))
    ax.set_title("pass rate across trials by rubric structure", fontsize=10)
    ax.legend(fontsize=7)
    return _save(fig, path)


def all_plots(
    rows: list[dict], methods: list[str], n_docs: int, folder: Path, *, gap_min=None, trials=None
) -> list[Path]:
    made = [
        scatter(rows, methods, folder / "weak_vs_strong.png", gap_min),
        gap_histograms(rows, methods, folder / "gap_histograms.png"),
        acceptance_by_round(rows, methods, n_docs, folder / "acceptance_by_round.png"),
        trials_pass_rate(trials or [], folder / "trials_pass_rate.png"),
    ]
    return [p for p in made if p is not None]
