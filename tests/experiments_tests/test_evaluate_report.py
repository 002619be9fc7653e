"""The evaluation's table, CSV and plots rebuilt from the recorded `fixtures/rounds.jsonl` (the numbers
are checked by hand in tests/metrics_tests/test_methods.py), and `--from-rounds` on the command line."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import dspy

from experiments.evaluate import main
from experiments.records.files import read_jsonl
from experiments.report.evaluation import write_report
from testkit.scripted import ScriptedEngine

FIXTURE = Path(__file__).parent / "fixtures" / "rounds.jsonl"
METHODS = ["cot", "grounded", "self_instruct", "agentic"]


def test_table_csv_and_plots_from_the_fixture(tmp_path):
    rows = read_jsonl(FIXTURE)
    record = write_report(rows, sorted({r["doc_id"] for r in rows}), METHODS, tmp_path)
    table = (tmp_path / "table.md").read_text()
    assert "| acceptance [Wilson 95%] | 1/4 [0.05, 0.70] |" in table
    assert "| weak mean [95% CI] | 0.50 [" in table and table.split("\n")[5].endswith("| 0.677 | 0.458 |")
    assert "| agentic - cot | 0.50 [" in table
    parsed = list(csv.DictReader(io.StringIO((tmp_path / "table.csv").read_text())))
    gap = next(r for r in parsed if r["method"] == "agentic" and r["statistic"] == "gap")
    assert float(gap["value"]) == 0.75 and gap["n"] == "3"
    assert any(r["method"] == "paper:agentic" and r["statistic"] == "rounds" for r in parsed)
    assert len(record["plots"]) == 3
    for path in record["plots"]:
        assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_from_rounds_cli_needs_no_models(tmp_path, capsys):
    assert main(["--from-rounds", str(FIXTURE), "--out", str(tmp_path), "--methods", "cot,agentic"]) == 0
    printed = capsys.readouterr().out
    assert "| weak mean [95% CI] |" in printed and "agentic - cot" in printed
    assert (tmp_path / "plots" / "weak_vs_strong.png").exists()


def test_from_rounds_can_rejudge_recorded_answers(tmp_path, monkeypatch):
    import experiments.lms.factory as factory
    from testkit.world import World

    built = []

    def fake_build_lm(role, spec, models):
        built.append(spec.model)
        return dspy.LM(f"scripted/{spec.model}", engine=ScriptedEngine(World().judge), cache=False, num_retries=0)

    monkeypatch.setattr(factory, "build_lm", fake_build_lm)
    argv = ["--from-rounds", str(FIXTURE), "--out", str(tmp_path), "--judge-repeats", "2", "--judge-items", "3"]
    assert main([*argv, "--second-judge", "other/judge", "--no-cache", "--preset", "quick"]) == 0
    assert built == ["embedded/qwen2.5-coder-0.5b", "other/judge"]
    table = (tmp_path / "table.md").read_text()
    assert "## Judge reliability" in table and "`scripted/other/judge`" in table
