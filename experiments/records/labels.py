"""Labelled answers for checking a judge, and a judge's verdicts on them: loading and validation.

A labels file is JSON Lines, one answer per line (format in docs/judging.md, "Labelled data format"):
`id`, `source`, `question`, `answer`, `rubric` (list of {criterion, weight}) and `gold` (0/1 per
criterion, in rubric order) are required; `context`, `doc_id`, `question_type` and
`reference_answer` are optional. Anything wrong stops with ONE line naming the file, the line and the
field (`LabelsError`, a ConfigError, so the command exits with status 2). Answers with the same
context and question form one question: the unit the bootstrap resamples.
A verdicts file (what `judgecheck` writes) has one line per judged answer: `id`, `verdicts` (in
rubric order; null when judging failed), `seconds`, and `error` when one occurred. A later line for
the same id replaces an earlier one (a resumed run appends). `stratified_sample` picks a seeded
sample that represents every answer source.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from experiments.config import ConfigError
from programs.records import Criterion

REQUIRED_TEXT = ("id", "source", "question", "answer")
OPTIONAL_TEXT = ("context", "doc_id", "question_type", "reference_answer")
T = TypeVar("T")


class LabelsError(ConfigError):
    """A malformed labels (or verdicts) file; the message names file, line and field."""


@dataclass(frozen=True)
class LabelledAnswer:
    id: str
    source: str
    question: str
    answer: str
    rubric: list[Criterion]
    gold: list[int]
    context: str = ""
    reference_answer: str = ""

    @property
    def question_key(self) -> tuple[str, str]:
        return (self.context, self.question)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _criterion(item: object, where: str) -> Criterion:
    if not isinstance(item, dict):
        raise ValueError(f"{where} is not an object with criterion and weight")
    for key in ("criterion", "weight"):
        if key not in item:
            raise ValueError(f"{where}: missing field '{key}'")
    text, weight = item["criterion"], item["weight"]
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{where}.criterion must be a non-empty string")
    if not _is_int(weight) or not (-10 <= weight <= 10) or weight == 0:
        raise ValueError(f"{where}.weight is {weight!r}; it must be a nonzero integer from -10 to 10")
    try:
        return Criterion(criterion=text, weight=weight)
    except ValidationError as exc:
        raise ValueError(f"{where}.criterion: {exc.errors()[0]['msg']}") from None


def parse_answer(row: object) -> LabelledAnswer:
    """One labelled answer from a decoded line; raises ValueError naming the field."""
    if not isinstance(row, dict):
        raise ValueError("not a JSON object")
    for key in (*REQUIRED_TEXT, "rubric", "gold"):
        if key not in row:
            raise ValueError(f"missing field '{key}'")
    for key in REQUIRED_TEXT + OPTIONAL_TEXT:
        if key in row and not isinstance(row[key], str):
            raise ValueError(f"{key} must be a string")
    for key in ("id", "source", "question"):
        if not row[key].strip():
            raise ValueError(f"{key} is empty")
    if not isinstance(row["rubric"], list) or not row["rubric"]:
        raise ValueError("rubric must be a non-empty list")
    rubric = [_criterion(c, f"rubric[{i}]") for i, c in enumerate(row["rubric"])]
    if not any(c.weight > 0 for c in rubric):
        raise ValueError("rubric has no positive criterion, so no answer can be scored")
    gold = row["gold"]
    if not isinstance(gold, list):
        raise ValueError("gold must be a list of 0/1")
    if len(gold) != len(rubric):
        raise ValueError(f"gold has {len(gold)} values for {len(rubric)} criteria")
    for i, g in enumerate(gold):
        if not _is_int(g) or g not in (0, 1):
            raise ValueError(f"gold[{i}] is {json.dumps(g)}; it must be 0 or 1")
    return LabelledAnswer(
        row["id"],
        row["source"],
        row["question"],
        row["answer"],
        rubric,
        list(gold),
        row.get("context", ""),
        row.get("reference_answer", ""),
    )


def _parsed_lines(path: Path, parse: Callable[[object], T]) -> Iterator[tuple[int, T]]:
    """(line number, parsed row) for every non-blank line; LabelsError naming the line on any problem."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise LabelsError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = parse(json.loads(line))
        except json.JSONDecodeError as exc:
            raise LabelsError(f"{path} line {number}: not valid JSON ({exc.msg}, column {exc.colno})") from None
        except ValueError as exc:
            raise LabelsError(f"{path} line {number}: {exc}") from None
        yield number, row


def load_labels(path: Path) -> list[LabelledAnswer]:
    """Every labelled answer in file order; blank lines are skipped. Raises LabelsError (one line)."""
    if not path.is_file():
        raise LabelsError(f"--labels {path}: no such file")
    answers: list[LabelledAnswer] = []
    seen: dict[str, int] = {}
    for number, a in _parsed_lines(path, parse_answer):
        if a.id in seen:
            raise LabelsError(f"{path} line {number}: id {a.id!r} is already on line {seen[a.id]}")
        seen[a.id] = number
        answers.append(a)
    if not answers:
        raise LabelsError(f"{path}: empty (no labelled answers)")
    return answers


def stratified_sample(answers: list[LabelledAnswer], n: int, seed: int) -> list[LabelledAnswer]:
    """`n` answers with every source represented: sources take turns (sorted by name), each drawing its
    answers in a seeded random order, until `n` are chosen. Returned in file order."""
    by_source: dict[str, list[LabelledAnswer]] = defaultdict(list)
    for a in answers:
        by_source[a.source].append(a)
    if n < len(by_source):
        raise ConfigError(f"--sample {n}: the labels have {len(by_source)} answer sources; sample at least that many")
    rng = random.Random(seed)
    queues = [rng.sample(by_source[s], len(by_source[s])) for s in sorted(by_source)]
    chosen: set[str] = set()
    while len(chosen) < min(n, len(answers)):
        for queue in queues:
            if queue and len(chosen) < n:
                chosen.add(queue.pop().id)
    return [a for a in answers if a.id in chosen]


@dataclass(frozen=True)
class JudgedAnswer:
    id: str
    verdicts: list[float] | None
    seconds: float | None = None
    error: str | None = None

    def to_row(self) -> dict:
        row = {"id": self.id, "verdicts": self.verdicts, "seconds": self.seconds}
        return row if self.error is None else {**row, "error": self.error}


def _judged(row: object, labels: dict[str, LabelledAnswer]) -> JudgedAnswer:
    if not isinstance(row, dict):
        raise ValueError("not a JSON object")
    for key in ("id", "verdicts"):
        if key not in row:
            raise ValueError(f"missing field '{key}'")
    if row["id"] not in labels:
        raise ValueError(f"id {row['id']!r} is not in the labels file")
    seconds, error, verdicts = row.get("seconds"), row.get("error"), row["verdicts"]
    if seconds is not None and (not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0):
        raise ValueError(f"seconds is {seconds!r}; it must be a number >= 0")
    if verdicts is None:
        if not isinstance(error, str):
            raise ValueError("verdicts is null without an error")
        return JudgedAnswer(row["id"], None, seconds, error)
    n = len(labels[row["id"]].rubric)
    if not isinstance(verdicts, list) or len(verdicts) != n:
        size = len(verdicts) if isinstance(verdicts, list) else "no list of"
        raise ValueError(f"verdicts has {size} values for {n} criteria")
    for i, v in enumerate(verdicts):
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v <= 1:
            raise ValueError(f"verdicts[{i}] is {json.dumps(v)}; it must be a number from 0 to 1")
    return JudgedAnswer(row["id"], [float(v) for v in verdicts], seconds, error if isinstance(error, str) else None)


def read_verdicts(path: Path, answers: list[LabelledAnswer]) -> list[JudgedAnswer]:
    """The last line per answer of a verdicts file, in labels-file order. Raises LabelsError (one line)."""
    if not path.is_file():
        raise LabelsError(f"--from-verdicts {path}: no such file")
    labels = {a.id: a for a in answers}
    found = {j.id: j for _, j in _parsed_lines(path, lambda row: _judged(row, labels))}
    return [found[a.id] for a in answers if a.id in found]
