"""What each round of one document failed on, in words a reflective optimizer (GEPA) can act on.

`explain_round` names the failure precisely:
- the rubric rules the candidate broke (the programmatic rubric checks);
- the verifier checks that failed, with the verifier's note;
- the judge sanity problem, with the reference and off-topic answers' scores and their bounds;
- for rounds the solvers answered: every attempt's score, the weak and strong means, the gap, and each
  acceptance threshold the scores missed (`missed_thresholds`, compared exactly like acceptance);
- for unparseable or errored rounds: the parser's or the provider's message.
`explain_rounds` joins the rounds of one document and ends with what to change. Pure functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from metrics.acceptance import Thresholds, agreeing
from metrics.scoring import Number, as_exact
from programs.records import Attempt, RoundRecord
from programs.text import clip

LABELS = {
    "accepted": "ACCEPTED",
    "too_easy": "TOO EASY",
    "failed_on_strong": "FAILED ON STRONG",
    "failed_quality": "FAILED QUALITY CHECK",
    "invalid": "INVALID REPLY",
    "error": "ERROR",
}
CLOSING_ACCEPTED = "Accepted: the question separated the solvers."
CLOSING_FAILED = (
    "No accepted question. Harder questions need paper-specific insight that a weak model cannot guess, "
    "with a context that sets up the problem without giving the answer away; questions the strong solver "
    "fails need a context that gives it every fact it needs and criteria a careful answer can meet."
)


def num(value: float | Fraction) -> str:
    """A score as records store it (six decimals), without trailing zeros: 0.25, 0.333333, 1."""
    return f"{float(value):.6f}".rstrip("0").rstrip(".") or "0"


def _limit(value: float) -> Fraction:
    return Fraction(str(value))  # a threshold is the decimal it is written as (0.65 is 13/20)


def _mean(values: list[Fraction]) -> Fraction:
    return sum(values, Fraction(0)) / len(values)


def missed_thresholds(t: Thresholds, weak: Sequence[Number], strong: Sequence[Number]) -> list[str]:
    """Every acceptance condition the scores break, e.g. "weak mean 0.8 (needs < 0.5)"; [] when none.

    Unlike `acceptance.decide`, which stops at the first failed condition, this lists all of them. The
    strong conditions and the gap are only checked when the strong solver answered.
    """
    w, s = [as_exact(x) for x in weak], [as_exact(x) for x in strong]
    out: list[str] = []
    if w:
        m, limit = _mean(w), _limit(t.weak_mean_max)
        if m >= limit if t.weak_mean_strict else m > limit:
            op = "<" if t.weak_mean_strict else "<="
            out.append(f"weak mean {num(agreeing(m, [t.weak_mean_max]))} (needs {op} {num(t.weak_mean_max)})")
        if t.weak_best_max is not None and max(w) > _limit(t.weak_best_max):
            out.append(f"best weak attempt {num(max(w))} (needs <= {num(t.weak_best_max)})")
        if t.weak_no_zero and min(w) == 0:
            out.append("a weak attempt scored 0 (needs no attempt at 0)")
    if s:
        m = _mean(s)
        shown = num(agreeing(m, [t.strong_mean_min, t.strong_mean_max]))
        if m < _limit(t.strong_mean_min):
            out.append(f"strong mean {shown} (needs >= {num(t.strong_mean_min)})")
        if t.strong_mean_max is not None and m >= _limit(t.strong_mean_max):
            out.append(f"strong mean {shown} (needs < {num(t.strong_mean_max)})")
        if t.strong_no_zero and min(s) == 0:
            out.append("a strong attempt scored 0 (needs no attempt at 0)")
        if w and m - _mean(w) < _limit(t.gap_min):
            out.append(f"gap {num(agreeing(m - _mean(w), [t.gap_min]))} (needs >= {num(t.gap_min)})")
    return out


def _scores(attempts: Sequence[Attempt]) -> list[float]:
    return [a.score for a in attempts if a.score is not None]


def _solver_part(r: RoundRecord, t: Thresholds) -> str:
    weak, strong = _scores(r.weak), _scores(r.strong)
    parts = [f"weak attempts {[num(x) for x in weak]}".replace("'", "")]
    if r.weak_mean is not None:
        parts[-1] += f", mean {num(r.weak_mean)}"
    if strong:
        parts.append(f"strong attempts {[num(x) for x in strong]}".replace("'", ""))
        if r.strong_mean is not None:
            parts[-1] += f", mean {num(r.strong_mean)}"
        if r.gap is not None:
            parts.append(f"gap {num(r.gap)}")
    elif weak:
        parts.append("strong solver not run (the weak solver already decided the round)")
    missed = missed_thresholds(t, weak, strong)
    if missed:
        parts.append("missed: " + "; ".join(missed))
    elif r.accepted:
        parts.append("every threshold met")
    return "; ".join(parts)


def _quality_part(r: RoundRecord) -> str:
    v = r.verifier
    if v is None:
        return r.detail or "no verifier report"
    if v.rubric_problems:
        return "rubric rules broken: " + "; ".join(v.rubric_problems)
    failed = [name for name, ok in v.checks.items() if not ok]
    if failed:
        note = f" (verifier: {clip(v.feedback, 300)})" if v.feedback else ""
        return f"verifier checks failed: {', '.join(failed)}{note}"
    scores = []
    if v.reference_score is not None:
        scores.append(f"reference answer scored {num(v.reference_score)}")
    if v.offtopic_score is not None:
        scores.append(f"off-topic answer scored {num(v.offtopic_score)}")
    shown = f" ({', '.join(scores)})" if scores else ""
    return f"judge sanity check failed: {v.feedback or r.detail}{shown}"


def explain_round(r: RoundRecord, t: Thresholds) -> str:
    """One round as two lines: what happened (with scores and missed thresholds) and its question."""
    head = f"Round {r.round} {LABELS[r.reason]}"
    solvers_ran = bool(_scores(r.weak))
    if r.reason == "failed_quality" and not solvers_ran:
        body = _quality_part(r)
    elif r.reason in ("invalid", "error") and not solvers_ran:
        body = clip(r.detail, 300) or r.reason
    else:
        body = _solver_part(r, t)
    question = clip(r.candidate.question, 200) if r.candidate else "(no parseable question)"
    return f"{head}: {body}.\n  Q: {question}"


def explain_rounds(rounds: Sequence[RoundRecord], t: Thresholds) -> str:
    """Every round of one document, then a closing line on what to change."""
    if not rounds:
        return "No rounds ran."
    lines = [explain_round(r, t) for r in rounds]
    lines.append(CLOSING_ACCEPTED if any(r.accepted for r in rounds) else CLOSING_FAILED)
    return "\n".join(lines)
