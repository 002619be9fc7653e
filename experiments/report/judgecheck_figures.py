"""The figures of a judge check, computed from labelled answers and the judge's verdicts alone.

`figures(answers, judged)` returns the record written to judgecheck.json; `markdown(record)` the table
printed and written to judgecheck.md. Nothing here depends on the judge's model or the run, so a
verdicts file plus its labels file always rebuild the same record (`--from-verdicts`).

Verdict figures (agreement, Cohen's kappa on all / positive / penalty items, met rates) count a
verdict as met when it is >= 0.5, so graded 0 / 0.5 / 1 verdicts compare with 0/1 gold labels; score
figures (Pearson r, mean absolute error, mean score by answer source) use the verdict values through
`metrics.scoring.rubric_score`. Every figure has a 95% percentile-bootstrap interval that resamples
whole questions (one question's verdicts are not independent), seeded. Answers whose judging failed
are counted and left out.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from experiments.records.labels import JudgedAnswer, LabelledAnswer
from metrics.agreement import (
    MET_AT,
    agreement,
    cluster_bootstrap,
    cohen_kappa,
    mean_absolute_error,
    met,
    met_rate,
    pearson,
)
from metrics.intervals import DEFAULT_BOOT, DEFAULT_SEED
from metrics.scoring import rubric_score

# (label, key) of the verdict and score figures, in table order.
ROWS = (
    ("verdict agreement", "agreement"),
    ("Cohen's kappa, all items", "kappa"),
    ("Cohen's kappa, positive items", "kappa_positive"),
    ("Cohen's kappa, penalty items", "kappa_penalty"),
    ("met rate, judge", "met_rate_judge"),
    ("met rate, gold", "met_rate_gold"),
    ("met rate bias (judge - gold)", "met_rate_bias"),
    ("answer score Pearson r", "score_pearson"),
    ("answer score mean absolute error", "score_mae"),
)


def _kappa(penalty: bool | None) -> Callable[[list[tuple]], float | None]:
    def stat(items: list[tuple]) -> float | None:
        kept = [(g, j) for g, j, p in items if penalty is None or p == penalty]
        return cohen_kappa([g for g, _ in kept], [j for _, j in kept])

    return stat


def _bias(gold: list[int], judge: list[int]) -> float | None:
    judged, labelled = met_rate(judge), met_rate(gold)
    return None if judged is None or labelled is None else judged - labelled


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


VERDICT_STATS: dict[str, Callable[[list[tuple]], float | None]] = {
    "agreement": lambda items: agreement([g for g, _, _ in items], [j for _, j, _ in items]),
    "kappa": _kappa(None),
    "kappa_positive": _kappa(False),
    "kappa_penalty": _kappa(True),
    "met_rate_judge": lambda items: met_rate([j for _, j, _ in items]),
    "met_rate_gold": lambda items: met_rate([g for g, _, _ in items]),
    "met_rate_bias": lambda items: _bias([g for g, _, _ in items], [j for _, j, _ in items]),
}
SCORE_STATS: dict[str, Callable[[list[tuple]], float | None]] = {
    "score_pearson": lambda items: pearson([g for g, _ in items], [j for _, j in items]),
    "score_mae": lambda items: mean_absolute_error([g for g, _ in items], [j for _, j in items]),
}


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def figures(
    answers: list[LabelledAnswer],
    judged: list[JudgedAnswer],
    *,
    labels_sha256: str,
    n_boot: int = DEFAULT_BOOT,
    seed: int = DEFAULT_SEED,
) -> dict:
    """The judgecheck.json record for the answers in `judged` (a subset of `answers`, the labels)."""
    by_id = {a.id: a for a in answers}
    ok = [(by_id[j.id], j.verdicts) for j in judged if j.verdicts is not None]
    failed = [j.id for j in judged if j.verdicts is None]
    questions: dict[tuple[str, str], list[tuple[LabelledAnswer, list[float]]]] = {}
    for a, v in ok:
        questions.setdefault(a.question_key, []).append((a, v))
    clusters = list(questions.values())

    def boot(per_answer: Callable[[LabelledAnswer, list[float]], list], stat, keep=lambda a: True) -> dict:
        items = [[x for a, v in c if keep(a) for x in per_answer(a, v)] for c in clusters]
        return cluster_bootstrap([c for c in items if c], stat, n_boot=n_boot, seed=seed).to_dict()

    def verdicts(a: LabelledAnswer, v: list[float]) -> list[tuple]:
        return [(g, met(j), c.is_penalty) for g, j, c in zip(a.gold, v, a.rubric, strict=True)]

    def scores(a: LabelledAnswer, v: list[float]) -> list[tuple]:
        weights = [c.weight for c in a.rubric]
        return [(rubric_score(weights, a.gold), rubric_score(weights, v))]

    out = {key: boot(verdicts, stat) for key, stat in VERDICT_STATS.items()}
    out.update({key: boot(scores, stat) for key, stat in SCORE_STATS.items()})
    by_source = {}
    for source in sorted({a.source for a, _ in ok}):
        keep = lambda a, s=source: a.source == s  # noqa: E731
        by_source[source] = {
            "answers": sum(a.source == source for a, _ in ok),
            "judge": boot(scores, lambda items: _mean([j for _, j in items]), keep),
            "gold": boot(scores, lambda items: _mean([g for g, _ in items]), keep),
        }
    seconds = [j.seconds for j in judged if j.seconds is not None]
    return {
        "labels": {
            "sha256": labels_sha256,
            "answers": len(answers),
            "sources": dict(Counter(a.source for a in answers)),
        },
        "judged": {
            "answers": len(ok),
            "questions": len(clusters),
            "verdicts": sum(len(v) for _, v in ok),
            "failed": len(failed),
            "failed_ids": failed,
        },
        "met_threshold": MET_AT,
        "bootstrap": {"unit": "question", "resamples": n_boot, "seed": seed, "level": 0.95},
        "figures": out,
        "by_source": by_source,
        "seconds_per_answer": round(sum(seconds) / len(seconds), 3) if seconds else None,
        "seconds_total": round(sum(seconds), 3) if seconds else None,
    }


def _fmt(fig: dict) -> str:
    if fig["value"] is None:
        return "undefined" if fig["clusters"] else "-"
    interval = f" [{fig['lo']:.2f}, {fig['hi']:.2f}]" if fig["lo"] is not None and fig["clusters"] > 1 else ""
    return f"{fig['value']:.2f}{interval}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def markdown(record: dict) -> str:
    j, f = record["judged"], record["figures"]
    lines = [
        f"Judge check: {j['answers']} answers to {j['questions']} questions ({j['verdicts']} verdicts)"
        + (f"; {j['failed']} answer(s) failed to judge and are left out" if j["failed"] else "")
        + "."
        + (
            f" Left out: answers from {', '.join(record['excluded_sources'])}."
            if record.get("excluded_sources")
            else ""
        ),
        f"Graded verdicts count as met when >= {record['met_threshold']} for agreement, kappa and met rates;"
        " answer scores use the verdict values.",
        f"Intervals: 95% bootstrap over questions ({record['bootstrap']['resamples']} resamples,"
        f" seed {record['bootstrap']['seed']}).",
        "",
        "| measure | value [95% interval] |",
        "|---|---|",
        *[f"| {label} | {_fmt(f[key])} |" for label, key in ROWS],
        f"| seconds per answer | {_seconds(record['seconds_per_answer'])} |",
        "",
        "| answer source | answers | judge mean score | gold mean score |",
        "|---|---|---|---|",
        *[f"| {s} | {v['answers']} | {_fmt(v['judge'])} | {_fmt(v['gold'])} |" for s, v in record["by_source"].items()],
        "",
        "undefined: kappa when judge and gold put every item in one and the same class; r when either side's"
        " scores are constant.",
    ]
    return "\n".join(lines) + "\n"
