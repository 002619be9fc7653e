"""Programmatic rubric checks: the structure rules enforced in code, before any LM is asked.

Each check returns a short problem string; an empty list means the rubric is valid under the
structure. These run on every candidate, so a malformed rubric never reaches the solvers.
"""

from __future__ import annotations

import re

from programs.records import Candidate
from programs.structure import RubricStructure

# Criteria that grade the question or generic qualities instead of a specific insight in the answer.
_GENERIC = re.compile(
    r"^\s*(the\s+)?(answer\s+(is\s+)?)?(correct(ness)?|relevan(t|ce)|clear(ity)?|coheren(t|ce)|"
    r"complete(ness)?|accura(te|cy)|concise(ness)?|well[- ]written|fluen(t|cy))\s*\.?\s*$",
    re.IGNORECASE,
)
_ABOUT_QUESTION = re.compile(r"\bthe question (is|should|must|was)\b", re.IGNORECASE)
# A criterion must say what an answer does; one that opens on the paper, the study or the question
# describes the source instead ("The study uses ...", "The question clearly asks ...").
_ABOUT_SOURCE = re.compile(
    r"^\s*(the|this)\s+(study|paper|authors?|question|passage|document|article|work)\b", re.IGNORECASE
)

# A criterion must name content an answer contains; one that speaks of the rubric or of what "a careful
# answer" does echoes the challenger's instructions instead ("States that a careful answer can meet the
# criteria of the paper's positive criteria"). Bare "criterion" is left alone: papers have stopping and
# training criteria.
_ABOUT_RUBRIC = re.compile(
    r"\b(rubric|checkable|(positive|penalty|negative|listed|other|these|its) criteri(on|a)|"
    r"(careful|thorough|good|complete|full|correct) answer)\b",
    re.IGNORECASE,
)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())


def check_rubric(candidate: Candidate, structure: RubricStructure) -> list[str]:
    problems: list[str] = []
    positive = [c for c in candidate.rubric if c.weight > 0]
    penalties = [c for c in candidate.rubric if c.weight < 0]
    lo, hi = structure.min_positive, structure.max_positive
    if not lo <= len(positive) <= hi:
        problems.append(f"{len(positive)} positive criteria, need {lo}-{hi}")
    plo, phi = structure.penalty_range
    if not structure.allow_penalties and penalties:
        problems.append(f"{len(penalties)} penalty criteria, but penalties are not allowed")
    elif not plo <= len(penalties) <= phi:
        problems.append(f"{len(penalties)} penalty criteria, need {plo}-{phi}")
    over = [c.weight for c in positive if c.weight > structure.weight_cap]
    if over:
        problems.append(f"positive weights {over} exceed the cap {structure.weight_cap}")
    heavy = [c.weight for c in penalties if -c.weight > structure.penalty_cap]
    if heavy:
        problems.append(f"penalty weights {heavy} exceed the cap -{structure.penalty_cap}")
    seen: set[str] = set()
    for c in candidate.rubric:
        key = _norm(c.criterion)
        if len(key) < 8:
            problems.append(f"criterion too short to check: {c.criterion!r}")
        elif key in seen:
            problems.append(f"duplicate criterion: {c.criterion!r}")
        elif _GENERIC.match(c.criterion):
            problems.append(f"generic criterion, name a specific insight: {c.criterion!r}")
        elif _ABOUT_QUESTION.search(c.criterion):
            problems.append(f"criterion grades the question, not the answer: {c.criterion!r}")
        elif _ABOUT_SOURCE.match(c.criterion):
            problems.append(f"criterion describes the paper, not what an answer does: {c.criterion!r}")
        elif _ABOUT_RUBRIC.search(c.criterion):
            problems.append(f"criterion speaks of the rubric, not of what an answer says: {c.criterion!r}")
        seen.add(key)
    if not candidate.question.strip():
        problems.append("empty question")
    if not candidate.reference_answer.strip():
        problems.append("empty reference answer")
    return problems
