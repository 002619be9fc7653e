"""Grouped, cumulative feedback for the challenger, following the paper's three failure groups.

Every failed round on a document is listed under TOO EASY, FAILED ON STRONG or FAILED QUALITY CHECK
(unparseable or errored rounds go under the quality group), with the scores that explain the failure.
The most recent failure then sets the direction, from the rule that rejected it (`RoundRecord.direction`):
harder after the weak solver did too well or came too close to the strong one, easier after the strong
solver fell short, a first point within the weak solver's reach after a weak attempt scored 0 (at the same
difficulty), and a stricter rubric at the same difficulty after the strong solver met nearly every
criterion (a "failed on strong" that must not be answered with an easier question). A judge sanity failure
names the criteria the reference answer fails.
"""

from __future__ import annotations

from programs.records import Direction, RoundRecord
from programs.text import clip

_GROUPS = {
    "too_easy": "TOO EASY (the weak solver did too well)",
    "failed_on_strong": "FAILED ON STRONG (the strong solver did not pass, or the gap was too small)",
    "failed_quality": "FAILED QUALITY CHECK",
    "invalid": "FAILED QUALITY CHECK",
    "error": "FAILED QUALITY CHECK",
}
_ORDER = ("too_easy", "failed_on_strong", "failed_quality")
# A question the strong solver cannot answer must get easier as firmly as one the weak solver answers
# must get harder; one the strong solver aces needs criteria that ask for more, not an easier question.
_DIRECTION: dict[Direction, str] = {
    "harder": (
        "Direction: the last question was too easy for the weak solver, so make the next one harder. It must need a "
        "specific insight or a multi-step inference from this paper that general knowledge and the context do not "
        "give away."
    ),
    "easier": (
        "Direction: the last question was too hard even for the strong solver, so make the next one easier. "
        "Ask about a central point the paper states explicitly, and write criteria that a careful answer can meet. "
        "Keep the context to the setup: a point the context already states earns an answer nothing, so never put "
        "a criterion's point in the context."
    ),
    "reachable": (
        "Direction: the weak solver made none of the points, so nothing in the question was within its reach. "
        "Keep the difficulty, but make the first criterion a basic step of reasoning that a careful answer reaches "
        "from the context alone (a consequence of the setup, never a restatement of it), give the context the "
        "facts that step needs, and keep the later criteria on the insight."
    ),
    "stricter_rubric": (
        "Direction: the strong solver met nearly every criterion, so the rubric asks too little. Keep the "
        "question about as hard, and make its criteria harder to meet in full: each should name a specific "
        "point of the paper (a number, a condition, a step of the argument) that only a thorough answer includes."
    ),
}
# Rows recorded before decisions carried a direction: the reason alone says it.
_BY_REASON: dict[str, Direction] = {"too_easy": "harder", "failed_on_strong": "easier"}


def _line(record: RoundRecord) -> str:
    question = clip(record.candidate.question, 220) if record.candidate else "(no parseable question)"
    if record.reason == "too_easy":
        return f'- "{question}" weak avg {record.weak_mean:.2f}. {record.detail}'.rstrip()
    if record.reason == "failed_on_strong":
        return (
            f'- "{question}" weak avg {record.weak_mean:.2f}, strong avg {record.strong_mean:.2f}, '
            f"gap {record.gap:+.2f}. {record.detail}"
        ).rstrip()
    return f'- "{question}" reason: {clip(record.detail or record.reason, 600)}'


def _direction(record: RoundRecord) -> Direction | None:
    if record.direction is not None:
        return record.direction
    # A quality failure after the solvers answered is a weak attempt scoring 0 (rows recorded before
    # decisions carried a direction).
    if record.reason == "failed_quality" and record.weak_mean is not None:
        return "reachable"
    return _BY_REASON.get(record.reason)


def render_feedback(failed: list[RoundRecord]) -> str:
    """The feedback text for the next attempt, or "" when nothing has failed yet."""
    if not failed:
        return ""
    groups: dict[str, list[str]] = {key: [] for key in _ORDER}
    for record in failed:
        group = record.reason if record.reason in ("too_easy", "failed_on_strong") else "failed_quality"
        groups[group].append(_line(record))
    parts = [f"{len(failed)} earlier attempt(s) on this paper failed."]
    for key in _ORDER:
        if groups[key]:
            parts.append(_GROUPS[key] + ":\n" + "\n".join(groups[key]))
    direction = _direction(failed[-1])
    if direction is not None:
        parts.append(_DIRECTION[direction])
    parts.append(
        "Write an entirely new question from a different angle of the paper. Do not rephrase any question above."
    )
    return "\n\n".join(parts)
