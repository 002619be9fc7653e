"""Accepted examples as a `datasets`-loadable folder with a dataset card, plus a flat Parquet file.

The folder `dataset/` holds `data/train-<hash>.parquet` and a `README.md` whose YAML header declares the
split, so `datasets.load_dataset("<out>/dataset")` reads it back. The card records provenance: the
harness run it came from, the role models, acceptance preset and thresholds, the rubric structure,
and each source document's licence. Rubrics stay nested lists (Parquet keeps them; CSV would not).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from experiments.config import RunConfig
from experiments.records.files import atomic_write_text
from programs.loop import LOOP_ROLES

FIELDS = (
    "doc_id",
    "question_type",
    "skill_tags",
    "insight",
    "context",
    "question",
    "reference_answer",
    "rubric",
    "weak_mean",
    "strong_mean",
    "gap",
    "round",
)


def features():
    """The dataset's schema, declared so that an empty dataset has the same columns as a full one."""
    import datasets  # about 1 s to import: only when a dataset is written

    text = datasets.Value("string")
    number = datasets.Value("float64")
    return datasets.Features(
        {
            "doc_id": text,
            "question_type": text,
            "skill_tags": datasets.Sequence(text),
            "insight": text,
            "context": text,
            "question": text,
            "reference_answer": text,
            "rubric": [{"criterion": text, "weight": datasets.Value("int64")}],
            "weak_mean": number,
            "strong_mean": number,
            "gap": number,
            "round": datasets.Value("int64"),
            "source_title": text,
            "source_licence": text,
            "source": text,
        }
    )


def rows_for_dataset(accepted: list[dict[str, Any]], docs: list) -> list[dict[str, Any]]:
    by_id = {d.id: d for d in docs}
    out = []
    for row in accepted:
        doc = by_id.get(row["doc_id"])
        item = {k: row.get(k) for k in FIELDS}
        item["source_title"] = getattr(doc, "title", "") or ""
        item["source_licence"] = getattr(doc, "licence", "unknown")
        item["source"] = getattr(doc, "source", "")
        out.append(item)
    return out


def write_dataset(
    out: Path,
    accepted: list[dict[str, Any]],
    docs: list,
    harness: dict[str, Any],
    cfg: RunConfig,
    failure_mix: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Write the dataset folder and `accepted.parquet`; an empty result is written as an empty dataset."""
    import datasets  # about 1 s to import: only when a dataset is written

    rows = rows_for_dataset(accepted, docs)
    folder = out / "dataset"
    (folder / "data").mkdir(parents=True, exist_ok=True)
    schema = features()
    table = datasets.Dataset.from_dict({name: [r[name] for r in rows] for name in schema}, features=schema)
    # A content hash in the file name: `datasets` caches local folders by their data-file patterns, so two
    # runs' folders with the same relative file name would read back each other's cached rows.
    digest = hashlib.sha1(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest()[:10]
    data_file = f"data/train-{digest}.parquet"
    for old in (folder / "data").glob("train*.parquet"):
        old.unlink()
    table.to_parquet(str(folder / data_file))
    table.to_parquet(str(out / "accepted.parquet"))
    atomic_write_text(folder / "README.md", card(rows, docs, harness, cfg, data_file, failure_mix))
    return {"path": str(folder), "rows": len(rows)}


def card(
    rows: list[dict[str, Any]],
    docs: list,
    harness: dict[str, Any],
    cfg: RunConfig,
    data_file: str,
    failure_mix: dict[str, int] | None = None,
) -> str:
    licences = Counter(getattr(d, "licence", "unknown") for d in docs)
    used = Counter(r["source_licence"] for r in rows)
    t = harness["acceptance"]
    lines = [
        "---",
        "configs:",
        "- config_name: default",
        "  data_files:",
        "  - split: train",
        f"    path: {data_file}",
        "---",
        "# Synthetic questions made with autodata (Agentic Self-Instruct)",
        "",
        f"{len(rows)} accepted question(s) with rubrics, from {len(docs)} source document(s).",
        "Each was accepted only when the strong solver passed and the weak solver failed by the required gap,",
        "judged criterion by criterion; scores and decisions were computed by code from the judge's verdicts.",
        "",
        *_empty_note(rows, failure_mix),
        "## Provenance",
        f"- harness: {harness.get('source', {})}",
        f"- role models: {harness.get('models')} (this run: { {r: getattr(cfg.models, r).model for r in LOOP_ROLES} })",
        f"- acceptance preset: {t['preset']}, thresholds: {t['thresholds']}",
        f"- rubric structure: {harness['structure']}",
        *_roles(harness),
        f"- corpus source: {cfg.corpus.source}",
        "",
        "## Licences",
        "Questions are derived from the source documents; their licences carry over.",
        f"- source documents: {dict(licences)}",
        f"- documents behind accepted questions: {dict(used)}",
        "",
        "## Fields",
        "doc_id, question_type, skill_tags, insight (the source's insight the question targets, as the challenger",
        "named it; empty or null when it named none or the round was recorded before insights were kept), context,",
        "question, reference_answer, rubric (list of {criterion, weight}), weak_mean, strong_mean, gap, round,",
        "source_title, source_licence, source.",
    ]
    return "\n".join(lines) + "\n"


def _roles(harness: dict[str, Any]) -> list[str]:
    """How the strong solver, the verifier and the judge worked (harness files before these were recorded
    give no line)."""
    loop, judge, lines = harness.get("loop") or {}, harness.get("judge") or {}, []
    if "strong_sees_document" in loop:
        mode = [
            m
            for m, on in (
                ("reasoning", loop.get("strong_reasoning")),
                ("with the source document open", loop.get("strong_sees_document")),
            )
            if on
        ]
        lines.append(f"- strong solver mode: {', '.join(mode) or 'plain (context and question only)'}")
    if "verifier_gate" in loop:
        lines.append(f"- verifier checks that could reject a question: {loop['verifier_gate'] or 'none (advice only)'}")
    if judge:
        # The likelihood judge is always anchored, whatever judge.calibration (a probability setting) says.
        calibration = "anchored" if judge.get("protocol") == "likelihood" else judge.get("calibration")
        lines.append(f"- judge protocol: {judge.get('protocol')}, calibration: {calibration}")
    return lines


def _empty_note(rows: list[dict[str, Any]], failure_mix: dict[str, int] | None) -> list[str]:
    if rows:
        return []
    why = ", ".join(f"{reason} {n}" for reason, n in sorted((failure_mix or {}).items())) or "no rounds ran"
    return [
        "**This dataset is empty: no question met the acceptance criterion on these documents.** "
        f"Rejected rounds by reason: {why}. Every round, with its scores and reason, is in `rounds.jsonl` "
        "beside this folder.",
        "",
        "The data file holds the full schema and no rows. `datasets.load_dataset` (5.2) refuses a split "
        "with no examples (huggingface/datasets#8401); read the file with `pyarrow.parquet.read_table` or "
        "`pandas.read_parquet` instead.",
        "",
    ]
