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
Every grading goes through the loop's error policy and the run's hooks (`programs.alone`): a grade
that fails (unparseable reply, transient error) is counted and left out, a permanent LM error raises
`FatalLMError`, a bug `UnexpectedError`; the run's budget and the judge's rate limits apply. The
agreement statistics are pure functions in `metrics.judge_agreement`; the caller builds the judge LMs
(`experiments.lms.factory.build_second_judge` for a second one).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import dspy

from metrics.judge_agreement import Regraded, cross_agreement, self_agreement
from programs.alone import call_alone
from programs.judging import JudgeSettings, make_judge
from programs.records import Criterion
from programs.retry import RoundFailure


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

    @property
    def regraded(self) -> Regraded:
        return Regraded([c.weight for c in self.rubric], self.verdicts)


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
    """One grading of one answer with `lm` (the run's budget and limits apply), or None when it failed
    for this answer only; a bad key or a bug raises (`programs.alone.call_alone`)."""
    judge.set_lm(lm)
    try:
        verdicts: list[float] = call_alone(
            judge,
            "judge",
            lambda: judge(item.question, item.rubric, item.answer, context=item.context, reference=item.reference),
        )
    except RoundFailure:
        return None
    return verdicts


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
        "self": self_agreement([i.regraded for i in items], grades) if repeats >= 2 else {"items": 0},
        "cross": None,
    }
    if second_lm is not None:
        second = [grade(make_judge(settings, graded=item.graded), item, second_lm) for item in items]
        report["cross"] = {"judge": second_lm.model, "failed_grades": second.count(None)}
        report["cross"].update(cross_agreement([i.regraded for i in items], second))
    return report


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
