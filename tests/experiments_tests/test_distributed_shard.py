"""Two worker processes share a queue of ten documents; the merge keeps each document's rows once."""

from __future__ import annotations

import json

import datasets

from experiments import shard
from experiments.records.files import JsonlLog, read_jsonl
from experiments.run.build import build_program
from experiments.run.harness import export_harness
from experiments.run.overrides import build_config
from tests.support.workers import SETTINGS, env, run_ok, spawn, stop, wait_ok, write_docs


def test_two_workers_shard_documents_and_the_merge_has_no_duplicates(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = build_config({}, [*SETTINGS, "tracking.enabled=false"])
    export_harness(build_program(cfg), cfg, tmp_path / "harness", {"command": "test"})
    docs = write_docs(tmp_path / "docs", n=10)
    out = tmp_path / "out"
    common = ["--queue", "q", "--storage", f"journal:{tmp_path / 'queue.log'}", "--harness", str(tmp_path / "harness")]
    common += ["--docs", str(docs), "--out", str(out), "--no-cache", "--quiet", "--set", "tracking.enabled=false"]
    environ = env(tmp_path)
    created = run_ok(["--create", *common], environ, tmp_path / "create.log", command="shard")
    assert "'queued': 10" in created

    together = {**environ, "AUTODATA_TEST_DELAY": "0.01", "AUTODATA_TEST_BARRIER": f"{tmp_path / 'barrier'}:2"}
    workers = [spawn(common, together, tmp_path / f"worker{i}.log", "shard") for i in range(2)]
    try:
        wait_ok(workers, timeout=300)
    finally:
        for proc in workers:
            stop(proc)
    done = [json.loads(f.read_text())["documents"] for f in sorted(out.glob("worker-*/worker.json"))]
    assert len(done) == 2 and all(done), done
    assert sorted(d for ds in done for d in ds) == sorted(f"paper{i}" for i in range(10))

    # A document also run by the other worker (a worker presumed dead that finished anyway) is merged once.
    folders = sorted(out.glob("worker-*"))
    stray = [r for r in read_jsonl(folders[0] / "rounds.jsonl") if r["doc_id"] == done[0][0]]
    for row in stray:
        JsonlLog(folders[1] / "rounds.jsonl").append(row)

    assert shard.main(["--merge", *common]) == 0
    summary = json.loads((out / "summary.json").read_text())
    rows = read_jsonl(out / "rounds.jsonl")
    keys = [(r["doc_id"], r["round"]) for r in rows]
    assert len(keys) == len(set(keys)) and {r["doc_id"] for r in rows} == {f"paper{i}" for i in range(10)}
    accepted = read_jsonl(out / "accepted.jsonl")
    assert len({r["doc_id"] for r in accepted}) == len(accepted) > 0
    assert summary["done"] == 10 and not summary["missing"]
    assert datasets.load_dataset(str(out / "dataset"), split="train", cache_dir=str(tmp_path / "hf")).num_rows == len(
        accepted
    )
