"""Judge reliability, which the paper does not report: self-agreement and cross-judge agreement.

A seeded sample of recorded solver answers (with their rubrics and recorded verdicts) is graded again,
with the run's judge protocol (`judge.*`):
- self-agreement: the same judge grades each answer `repeats` times with independent samples at
  `temperature` (at temperature 0 a local judge repeats itself exactly, so agreement there is 1 by
  construction; sampling measures how settled its verdicts are). Reported: pairwise agreement of
  verdicts, Fleiss' kappa, mean per-answer score SD, and agreement with the recorded verdicts;
- cross-agreement (optional): a second judge model grades each answer once, at its own settings.
  Reported: verdict agreement and Cohen's kappa against the recorded verdicts, the mean score
  difference (second minus recorded: leniency) and its absolute mean, and the score correlation.
A grade that fails (unparseable reply, transient error) is counted and left out; a permanent LM error
raises `FatalLMError`. The agreement statistics are pure functions in `metrics.agreement`.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from statistics import mean, pstdev

import dspy

from metrics.agreement import agreement, cohen_kappa, fleiss_kappa, pearson
from metrics.scoring import rubric_score
from programs.errors import FatalLMError, UnexpectedError, classify
from programs.judging import JudgeSettings, make_judge
from programs.records import Criterion


@dataclass
class Item:
    method: str
    doc_id: str
    question: str
    rubric: list[Criterion]
    answer: str
    verdicts: list[float]
    graded: bool = False
    context: str = ""
    reference: str = ""

    def score(self, verdicts: list[float]) -> float:
        return rubric_score([c.weight for c in self.rubric], verdicts)


def sample_items(rows: list[dict], n_items: int, seed: int = 0) -> list[Item]:
    pool = [
        Item(
            r["phase"],
            r["doc_id"],
            r["question"],
            [Criterion(**c) for c in r["rubric"]],
            a["answer"],
            a["verdicts"],
            bool((r.get("structure") or {}).get("graded")),
            r.get("context") or "",
            r.get("reference_answer") or "",
        )
        for r in rows
        for a in r["weak"] + r["strong"]
        if a.get("score") is not None and a["answer"].strip() and r.get("question")
    ]
    return random.Random(seed).sample(pool, min(n_items, len(pool)))


def grade(judge: dspy.Module, item: Item, lm: dspy.LM) -> list[float] | None:
    """One grading of one answer with `lm`, or None when it failed for this answer only."""
    try:
        judge.set_lm(lm)
        return judge(item.question, item.rubric, item.answer, context=item.context, reference=item.reference)
    except Exception as exc:
        kind = classify(exc)
        if kind in ("permanent", "systemic"):  # a bad key, or a bug: never a failed grading
            fatal = FatalLMError if kind == "permanent" else UnexpectedError
            raise fatal("judge", getattr(lm, "model", "unset"), exc) from exc
        return None


def _r4(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def self_agreement(items: list[Item], grades: list[list[list[float]]]) -> dict:
    """`grades[i]` holds the successful repeated gradings of item i."""
    kept = [(it, g) for it, g in zip(items, grades, strict=True) if len(g) >= 2]
    if not kept:
        return {"items": 0}
    pairs = [agreement(a, b) for _, g in kept for a, b in itertools.combinations(g, 2)]
    units = [[g[r][c] for r in range(len(g))] for _, g in kept for c in range(len(g[0]))]
    same_k = [u for u in units if len(u) == min(len(u) for u in units)]
    return {
        "items": len(kept),
        "pairwise_agreement": round(mean(pairs), 4),
        "fleiss_kappa": _r4(fleiss_kappa(same_k)),
        "score_sd_mean": round(mean(pstdev([it.score(v) for v in g]) for it, g in kept), 4),
        "agreement_with_recorded": round(mean(agreement(it.verdicts, v) for it, g in kept for v in g), 4),
    }


def cross_agreement(items: list[Item], second: list[list[float] | None]) -> dict:
    kept = [(it, v) for it, v in zip(items, second, strict=True) if v is not None]
    if not kept:
        return {"items": 0}
    x = [a for it, _ in kept for a in it.verdicts]
    y = [b for _, v in kept for b in v]
    first_scores = [it.score(it.verdicts) for it, _ in kept]
    second_scores = [it.score(v) for it, v in kept]
    diffs = [b - a for a, b in zip(first_scores, second_scores, strict=True)]
    return {
        "items": len(kept),
        "agreement": round(agreement(x, y), 4),
        "cohen_kappa": _r4(cohen_kappa(x, y)),
        "score_diff_mean": round(mean(diffs), 4),
        "score_abs_diff_mean": round(mean(abs(d) for d in diffs), 4),
        "score_pearson": _r4(pearson(first_scores, second_scores)),
    }


def judge_reliability(
    rows: list[dict],
    judge_lm: dspy.LM,
    *,
    repeats: int = 3,
    n_items: int = 8,
    temperature: float = 1.0,
    second_lm: dspy.LM | None = None,
    seed: int = 0,
    settings: JudgeSettings | None = None,
) -> dict:
    """Grade a sample of recorded answers again with the judge protocol of `settings` (see module notes).
    Repeats sample `judge_lm` at `temperature` with distinct rollout ids; the probability protocol reads
    probabilities greedily, so its repeats agree by construction."""
    settings = settings or JudgeSettings()
    items = sample_items(rows, n_items, seed)
    grades, failed = [], 0
    for item in items:
        judge = make_judge(settings, graded=item.graded)
        lms = [judge_lm.copy(rollout_id=10_000 + r, temperature=temperature) for r in range(repeats)]
        got = [grade(judge, item, lm) for lm in lms]
        failed += sum(g is None for g in got)
        grades.append([g for g in got if g is not None])
    report = {
        "judge": judge_lm.model,
        "protocol": settings.protocol,
        "repeats": repeats,
        "temperature": temperature,
        "sampled_answers": len(items),
        "failed_grades": failed,
        "self": self_agreement(items, grades) if repeats >= 2 else {"items": 0},
        "cross": None,
    }
    if second_lm is not None:
        second = [grade(make_judge(settings, graded=item.graded), item, second_lm) for item in items]
        report["cross"] = {"judge": second_lm.model, "failed_grades": second.count(None)}
        report["cross"].update(cross_agreement(items, second))
    return report


def second_judge_lm(cfg, model: str) -> dspy.LM:
    """A second judge: `model` with the configured judge's token budget, greedy decoding."""
    from experiments.config import RoleModel
    from experiments.lms.factory import build_lm

    spec = RoleModel(model=model, temperature=0.0, max_tokens=cfg.models.judge.max_tokens)
    return build_lm("judge", spec, cfg.models)


def markdown(report: dict) -> str:
    s, c = report["self"], report["cross"]
    if not report["sampled_answers"]:
        return f"Judge `{report['judge']}`: no recorded answer to grade again (no candidate reached the solvers)."
    lines = [
        f"Judge `{report['judge']}`: {report['sampled_answers']} recorded answers, each graded again "
        f"{report['repeats']} times at temperature {report['temperature']} ({report['failed_grades']} failed).",
        "",
        "| measure | value |",
        "|---|---|",
    ]
    for key in ("pairwise_agreement", "fleiss_kappa", "score_sd_mean", "agreement_with_recorded"):
        lines.append(f"| self: {key.replace('_', ' ')} | {s.get(key, '-')} |")
    if c:
        lines.append(f"| second judge | `{c['judge']}` ({c['items']} answers, {c['failed_grades']} failed) |")
        for key in ("agreement", "cohen_kappa", "score_diff_mean", "score_abs_diff_mean", "score_pearson"):
            lines.append(f"| cross: {key.replace('_', ' ')} | {c.get(key, '-')} |")
    return "\n".join(lines)
