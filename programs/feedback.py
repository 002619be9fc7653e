"""Grouped, cumulative feedback for the challenger, following the paper's three failure groups.

Every failed round on a document is listed under TOO EASY, FAILED ON STRONG or FAILED QUALITY CHECK
(unparseable or errored rounds go under the quality group), with the scores that explain the failure.
The most recent failure then sets the direction: harder after TOO EASY, easier after FAILED ON STRONG.
"""

from __future__ import annotations

from programs.records import RoundRecord

_GROUPS = {
    "too_easy": "TOO EASY (the weak solver did too well)",
    "failed_on_strong": "FAILED ON STRONG (the strong solver did not pass, or the gap was too small)",
    "failed_quality": "FAILED QUALITY CHECK",
    "invalid": "FAILED QUALITY CHECK",
    "error": "FAILED QUALITY CHECK",
}
_ORDER = ("too_easy", "failed_on_strong", "failed_quality")
# The last failure sets the direction of the next attempt: a question the strong solver cannot answer
# must get easier as firmly as one the weak solver answers must get harder.
_DIRECTION = {
    "too_easy": (
        "Direction: the last question was too easy, so make the next one harder. It must need a specific insight or a "
        "multi-step inference from this paper that general knowledge and the context do not give away."
    ),
    "failed_on_strong": (
        "Direction: the last question was too hard even for the strong solver, so make the next one easier. "
        "Ask about a central point the paper states explicitly, give the context every fact a solver needs, "
        "and write criteria that a careful answer can meet."
    ),
}


def _clip(text: str, limit: int = 220) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _line(record: RoundRecord) -> str:
    question = _clip(record.candidate.question) if record.candidate else "(no parseable question)"
    if record.reason == "too_easy":
        return f'- "{question}" weak avg {record.weak_mean:.2f}. {record.detail}'.rstrip()
    if record.reason == "failed_on_strong":
        return (
            f'- "{question}" weak avg {record.weak_mean:.2f}, strong avg {record.strong_mean:.2f}, '
            f"gap {record.gap:+.2f}. {record.detail}"
        ).rstrip()
    return f'- "{question}" reason: {_clip(record.detail or record.reason, 300)}'


def _direction_key(record: RoundRecord) -> str:
    # A quality failure after the solvers answered (e.g. a weak attempt scoring 0) means the question
    # was out of reach: it needs the same push as one the strong solver failed.
    if record.reason == "failed_quality" and record.weak_mean is not None:
        return "failed_on_strong"
    return record.reason


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
    direction = _DIRECTION.get(_direction_key(failed[-1]))
    if direction:
        parts.append(direction)
    parts.append(
        "Write an entirely new question from a different angle of the paper. Do not rephrase any question above."
    )
    return "\n\n".join(parts)
