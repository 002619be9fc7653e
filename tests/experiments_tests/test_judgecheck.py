"""`python -m experiments.judgecheck` on a scripted judge and a small labelled file, plus its error paths.

The scripted judge looks each answer up in the fixture and returns its gold verdicts, except that it
says "met" to every criterion of the confidently wrong (`written/mistaken`) answers, so every figure
below is computed by hand from the fixture (3 questions x 4 sources, 52 verdicts, 18 gold "met").
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import dspy
import pytest
from dspy.utils.exceptions import LMAuthError

from experiments import judgecheck
from experiments.records.labels import JudgedAnswer, load_labels, stratified_sample
from experiments.report.judgecheck_figures import figures
from experiments.run import session
from experiments.run.build import build_judge
from experiments.run.overrides import build_config
from testkit.scripted import scripted_lm
from tests.support.requires import missing

FIXTURE = Path(__file__).parent / "fixtures" / "judge_labels.jsonl"
ROWS = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
BY_ANSWER = {r["answer"]: r for r in ROWS}
# These tests check judgecheck's own computations on the joint protocol's scripted replies; the
# probability protocol's run is checked in test_probability_protocol_reads_anchors_once_per_question.
JOINT = ["--set", "judge.protocol=joint"]
BASE = ["--labels", str(FIXTURE), "--set", "loop.backoff=0", "--set", "tracking.enabled=false", *JOINT]


def lenient_on_mistakes(p):
    row = BY_ANSWER[p.inputs["answer"]]
    return {f"c{i}": bool(g) or row["source"] == "written/mistaken" for i, g in enumerate(row["gold"], 1)}


def judge(reply) -> dict[str, dspy.LM]:
    """The run's judge LM, given to the command in place of the configured model."""
    return {"judge": scripted_lm("judge", reply)}


def no_judge(monkeypatch):
    """Fail the test if the command builds a judge LM from the config."""
    monkeypatch.setattr(session, "build_lms", lambda *a, **k: pytest.fail("a judge was built"))


def run(argv: list[str], capsys, lms=None) -> tuple[int, str, list[str]]:
    code = judgecheck.main(argv, lms=lms)
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip().splitlines()


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    """One scripted run with MLflow on: (out dir, printed stdout)."""
    tmp = tmp_path_factory.mktemp("judgecheck")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)
        mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp / 'mlflow.db'}")
        stdout = io.StringIO()
        argv = ["--labels", str(FIXTURE), *JOINT, "--quiet", "--out", str(tmp / "run")]
        with redirect_stdout(stdout):
            assert judgecheck.main(argv, lms=judge(lenient_on_mistakes)) == 0
    return tmp / "run", stdout.getvalue()


def test_verdicts_file_has_one_line_per_answer_in_rubric_order(checked):
    out, _ = checked
    lines = [json.loads(line) for line in (out / "verdicts.jsonl").read_text().splitlines()]
    assert [line["id"] for line in lines] == [r["id"] for r in ROWS]
    for line, row in zip(lines, ROWS, strict=True):
        expected = [1.0] * len(row["gold"]) if row["source"] == "written/mistaken" else row["gold"]
        assert line["verdicts"] == expected and line["seconds"] >= 0 and "error" not in line
    assert json.loads((out / "config.json").read_text())["models"]["judge"]["model"] == "embedded/qwen2.5-coder-1.5b"


def test_figures_by_hand(checked):
    record = json.loads((checked[0] / "judgecheck.json").read_text())
    f = record["figures"]
    assert record["judged"] == {"answers": 12, "questions": 3, "verdicts": 52, "failed": 0, "failed_ids": []}
    # 8 disagreements, all on positive items of the mistaken answers (gold 0, judge 1).
    assert f["agreement"]["value"] == pytest.approx(44 / 52, abs=1e-6)
    assert f["met_rate_gold"]["value"] == pytest.approx(18 / 52, abs=1e-6)
    assert f["met_rate_judge"]["value"] == pytest.approx(26 / 52, abs=1e-6)
    assert f["met_rate_bias"]["value"] == pytest.approx(8 / 52, abs=1e-6)
    # all items: p_e = (26 * 18 + 26 * 34) / 52^2 = 1/2, kappa = (44/52 - 1/2) / (1/2)
    assert f["kappa"]["value"] == pytest.approx(36 / 52, abs=1e-6)
    # positive items: 36, gold met 14, judge met 22, agreement 28/36; p_e = 2 * 14 * 22 / 36^2
    p_e = 2 * 14 * 22 / 36**2
    assert f["kappa_positive"]["value"] == pytest.approx((28 / 36 - p_e) / (1 - p_e), abs=1e-6)
    assert f["kappa_penalty"]["value"] == 1.0  # the mistaken answers do make their penalty mistakes
    # only the mistaken scores differ: judge .6 / .5 / .2 against gold .1 / 0 / 0
    assert f["score_mae"]["value"] == pytest.approx(1.2 / 12, abs=1e-6)
    mistaken = record["by_source"]["written/mistaken"]
    assert mistaken["judge"]["value"] == pytest.approx(1.3 / 3, abs=1e-6)
    assert mistaken["gold"]["value"] == pytest.approx(0.1 / 3, abs=1e-6)
    assert record["by_source"]["reference"]["judge"]["value"] == 1.0 and record["by_source"]["offtopic"]["answers"] == 3
    for fig in f.values():
        assert fig["clusters"] == 3 and fig["lo"] <= fig["value"] <= fig["hi"]
    assert record["bootstrap"] == {"unit": "question", "resamples": 2000, "seed": 0, "level": 0.95}


def test_printed_table(checked):
    out, stdout = checked
    assert "Graded verdicts count as met when >= 0.5" in stdout
    assert "Judge check: 12 answers to 3 questions (52 verdicts)." in stdout
    assert (
        "| Cohen's kappa, all items | 0.69 [" in stdout
        and "| Cohen's kappa, penalty items | 1.00 [1.00, 1.00] |" in stdout
    )
    assert "| written/mistaken | 3 | 0.43 [" in stdout and "| seconds per answer |" in stdout
    assert (out / "judgecheck.md").read_text() in stdout


def test_from_verdicts_reproduces_the_run_without_any_lm(checked, tmp_path, monkeypatch, capsys):
    out, stdout = checked
    monkeypatch.setattr(dspy.LM, "__call__", lambda *a, **k: pytest.fail("an LM was called"))
    no_judge(monkeypatch)
    code, printed, _ = run(
        ["--labels", str(FIXTURE), "--from-verdicts", str(out / "verdicts.jsonl"), "--out", str(tmp_path)], capsys
    )
    assert code == 0
    assert (tmp_path / "judgecheck.json").read_text() == (out / "judgecheck.json").read_text()
    assert (out / "judgecheck.md").read_text() in printed


def test_excluded_sources_are_left_out_of_the_figures_and_of_the_run(checked, tmp_path, capsys):
    out, _ = checked  # the scripted judge errs only on the written/mistaken answers
    argv = ["--labels", str(FIXTURE), "--from-verdicts", str(out / "verdicts.jsonl"), "--out", str(tmp_path)]
    code, printed, _ = run([*argv, "--exclude-source", "written/mistaken"], capsys)
    record = json.loads((tmp_path / "judgecheck.json").read_text())
    assert code == 0 and record["excluded_sources"] == ["written/mistaken"] and record["judged"]["answers"] == 9
    assert record["figures"]["agreement"]["value"] == record["figures"]["kappa"]["value"] == 1.0
    assert "Left out: answers from written/mistaken." in printed
    code, _, err = run([*argv, "--exclude-source", "mistaken"], capsys)
    assert code == 2 and len(err) == 1 and "--exclude-source mistaken: no such source" in err[0]
    fresh = tmp_path / "fresh"
    argv = [*BASE, "--quiet", "--out", str(fresh), "--exclude-source", "reference"]
    assert run(argv, capsys, lms=judge(lenient_on_mistakes))[0] == 0
    judged = [json.loads(line)["id"] for line in (fresh / "verdicts.jsonl").read_text().splitlines()]
    assert len(judged) == 9 and not [i for i in judged if i.endswith("/reference")]


def test_logged_to_mlflow(checked):
    from mlflow.tracking import MlflowClient

    out, _ = checked
    client = MlflowClient(tracking_uri=f"sqlite:///{out.parent / 'mlflow.db'}")
    [run_info] = client.search_runs(client.get_experiment_by_name("autodata").experiment_id)
    assert run_info.data.tags["autodata.command"] == "judgecheck"
    assert run_info.data.params["models.judge.model"] == "embedded/qwen2.5-coder-1.5b"
    assert run_info.data.params["rubric.graded"] == "true"  # the default preset grades
    assert run_info.data.metrics["kappa"] == pytest.approx(36 / 52, abs=1e-6)
    assert run_info.data.metrics["source.reference.gold"] == 1.0
    names = {a.path for a in client.list_artifacts(run_info.info.run_id, "judgecheck")}
    assert {"judgecheck/verdicts.jsonl", "judgecheck/judgecheck.json", "judgecheck/config.json"} <= names


def test_build_judge_binds_the_lm_and_the_graded_setting():
    lm = scripted_lm("judge", lenient_on_mistakes)
    judge = build_judge(build_config({}, ["rubric.graded=true", "judge.protocol=joint"]), lm)
    assert judge.graded and all(p.lm is lm for _, p in judge.named_predictors())


def test_graded_verdicts_count_as_met_from_one_half(tmp_path):
    answers = load_labels(FIXTURE)
    half = [JudgedAnswer(a.id, [0.5 if g else 0.0 for g in a.gold]) for a in answers]
    record = figures(answers, half, labels_sha256="x", n_boot=10)
    assert record["figures"]["kappa"]["value"] == 1.0  # every half credit counts as met
    assert record["by_source"]["reference"]["judge"]["value"] == 0.5  # scores use the values
    assert record["seconds_per_answer"] is None


def test_one_failed_answer_is_recorded_and_the_run_goes_on(in_tmp, monkeypatch, capsys):
    def garbled_once(p):
        if BY_ANSWER[p.inputs["answer"]]["id"] == "dropout/partial":
            return "I cannot decide."  # not JSON: a parse failure, recorded for this answer only
        return lenient_on_mistakes(p)

    code, _, _ = run([*BASE, "--out", str(in_tmp / "r")], capsys, judge(garbled_once))
    lines = [json.loads(x) for x in (in_tmp / "r" / "verdicts.jsonl").read_text().splitlines()]
    failed = [x for x in lines if x.get("error")]
    assert code == 0 and len(lines) == 12
    assert [x["id"] for x in failed] == ["dropout/partial"] and failed[0]["verdicts"] is None
    assert "did not parse" in failed[0]["error"]
    record = json.loads((in_tmp / "r" / "judgecheck.json").read_text())
    assert record["judged"]["failed_ids"] == ["dropout/partial"] and record["judged"]["answers"] == 11

    # The same command resumes: only the failed answer is judged again.
    lms = judge(lenient_on_mistakes)
    assert run([*BASE, "--out", str(in_tmp / "r")], capsys, lms)[0] == 0
    assert lms["judge"].engine.calls == 1
    record = json.loads((in_tmp / "r" / "judgecheck.json").read_text())
    assert record["judged"]["failed"] == 0 and record["judged"]["answers"] == 12

    code, _, err = run([*BASE, "--set", "models.judge.temperature=0.5", "--out", str(in_tmp / "r")], capsys, lms)
    assert code == 2 and err == [
        f"autodata: error: --out {in_tmp / 'r'} holds verdicts of another configuration; choose a new --out"
    ]


def test_a_permanent_error_stops_with_one_line(in_tmp, monkeypatch, capsys):
    def denied(p):
        raise LMAuthError(model="scripted/judge")

    code, _, err = run([*BASE, "--quiet", "--out", str(in_tmp / "r")], capsys, judge(denied))
    assert code == 1 and len(err) == 1
    assert err[0].startswith("autodata: error: judge model 'scripted/judge' failed permanently (LMAuthError)")


def test_a_budget_stops_the_run_cleanly(in_tmp, monkeypatch, capsys):
    argv = [*BASE, "--set", "budget.max_tokens=1", "--out", str(in_tmp / "r")]
    code, printed, _ = run(argv, capsys, judge(lenient_on_mistakes))
    assert code == 0 and len((in_tmp / "r" / "verdicts.jsonl").read_text().splitlines()) == 1
    assert "Judge check: 1 answers to 1 questions" in printed


def test_stratified_sample_represents_every_source_and_is_seeded(in_tmp, monkeypatch, capsys):
    answers = load_labels(FIXTURE)
    sources = {a.source for a in answers}
    for n in (4, 5, 9):
        picked = stratified_sample(answers, n, seed=1)
        assert len(picked) == n and {a.source for a in picked} == sources
        assert picked == stratified_sample(answers, n, seed=1)
    assert {a.id for a in stratified_sample(answers, 4, 1)} != {a.id for a in stratified_sample(answers, 4, 2)}
    assert len(stratified_sample(answers, 100, 0)) == len(answers)

    lms = judge(lenient_on_mistakes)
    assert run([*BASE, "--sample", "4", "--seed", "1", "--out", str(in_tmp / "s")], capsys, lms)[0] == 0
    assert lms["judge"].engine.calls == 4
    record = json.loads((in_tmp / "s" / "judgecheck.json").read_text())
    assert set(record["by_source"]) == sources and record["labels"]["answers"] == 12
    code, _, err = run([*BASE, "--sample", "2", "--out", str(in_tmp / "t")], capsys)
    assert code == 2 and err == [
        "autodata: error: --sample 2: the labels have 4 answer sources; sample at least that many"
    ]


def test_dry_run_checks_the_labels_and_calls_nothing(monkeypatch, capsys):
    no_judge(monkeypatch)
    code, printed, _ = run([*BASE, "--dry-run", "--sample", "8"], capsys)
    assert code == 0 and "12 labelled answers; would judge 8" in printed and "  reference: 2" in printed


def _with_line(tmp_path: Path, number: int, change) -> Path:
    """The fixture with line `number` (1-based) replaced by change(row) (a dict, or a raw string)."""
    lines = FIXTURE.read_text().splitlines()
    new = change(json.loads(lines[number - 1]))
    lines[number - 1] = new if isinstance(new, str) else json.dumps(new)
    path = tmp_path / "labels.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def _without(key):
    return lambda row: {k: v for k, v in row.items() if k != key}


def _rubric(i, **change):
    return lambda row: {**row, "rubric": [{**c, **change} if j == i else c for j, c in enumerate(row["rubric"])]}


@pytest.mark.parametrize(
    ("number", "change", "message"),
    [
        (3, lambda row: '{"id": "bpe/mistaken", "gold": [1, 0', "line 3: not valid JSON (Expecting"),
        (7, lambda row: {**row, "gold": row["gold"] + [0]}, "line 7: gold has 5 values for 4 criteria"),
        (7, lambda row: {**row, "gold": [1, 0, 2, 0]}, "line 7: gold[2] is 2; it must be 0 or 1"),
        (7, lambda row: {**row, "gold": [1, 0, 0.5, 0]}, "line 7: gold[2] is 0.5; it must be 0 or 1"),
        (7, lambda row: {**row, "gold": [True, 0, 0, 0]}, "line 7: gold[0] is true; it must be 0 or 1"),
        (2, _without("gold"), "line 2: missing field 'gold'"),
        (2, _without("answer"), "line 2: missing field 'answer'"),
        (2, _without("source"), "line 2: missing field 'source'"),
        (2, _rubric(1, weight=0), "line 2: rubric[1].weight is 0; it must be a nonzero integer from -10 to 10"),
        (2, _rubric(1, weight=11), "line 2: rubric[1].weight is 11; it must be a nonzero integer from -10 to 10"),
        (2, _rubric(1, weight=2.5), "line 2: rubric[1].weight is 2.5; it must be a nonzero integer from -10 to 10"),
        (2, lambda row: {**row, "rubric": [{"criterion": "x"}] * 4}, "line 2: rubric[0]: missing field 'weight'"),
        (2, lambda row: {**row, "rubric": []}, "line 2: rubric must be a non-empty list"),
        (5, lambda row: {**row, "answer": 42}, "line 5: answer must be a string"),
        (5, lambda row: [row], "line 5: not a JSON object"),
        (6, lambda row: {**row, "id": "bpe/reference"}, "line 6: id 'bpe/reference' is already on line 1"),
        (
            2,
            lambda row: {**row, "rubric": [{**c, "weight": -abs(c["weight"])} for c in row["rubric"]]},
            "line 2: rubric has no positive criterion",
        ),
    ],
)
def test_malformed_labels_stop_with_one_line_naming_file_line_and_field(
    number, change, message, tmp_path, monkeypatch, capsys
):
    no_judge(monkeypatch)
    path = _with_line(tmp_path, number, change)
    code, _, err = run(["--labels", str(path), "--out", str(tmp_path / "r")], capsys)
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith(f"autodata: error: {path} {message}"), err


@pytest.mark.parametrize("text", ["", "\n\n"])
def test_an_empty_labels_file(text, tmp_path, capsys):
    path = tmp_path / "labels.jsonl"
    path.write_text(text)
    code, _, err = run(["--labels", str(path), "--out", str(tmp_path / "r")], capsys)
    assert code == 2 and err == [f"autodata: error: {path}: empty (no labelled answers)"]


def test_missing_labels_file(tmp_path, capsys):
    code, _, err = run(["--labels", str(tmp_path / "nope.jsonl")], capsys)
    assert code == 2 and err == [f"autodata: error: --labels {tmp_path / 'nope.jsonl'}: no such file"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"id": "nope/x", "verdicts": [1]}, "line 2: id 'nope/x' is not in the labels file"),
        ({"id": "bpe/partial", "verdicts": [1, 0]}, "line 2: verdicts has 2 values for 4 criteria"),
        ({"id": "bpe/partial", "verdicts": [1, 0, 2, 0]}, "line 2: verdicts[2] is 2; it must be a number from 0 to 1"),
        ({"id": "bpe/partial", "verdicts": None}, "line 2: verdicts is null without an error"),
        ({"verdicts": [1, 0, 0, 0]}, "line 2: missing field 'id'"),
    ],
)
def test_malformed_verdicts_stop_with_one_line(line, message, tmp_path, capsys):
    path = tmp_path / "verdicts.jsonl"
    path.write_text(json.dumps({"id": "bpe/reference", "verdicts": [1, 1, 1, 0]}) + "\n" + json.dumps(line) + "\n")
    code, _, err = run(["--labels", str(FIXTURE), "--from-verdicts", str(path)], capsys)
    assert code == 2 and err == [f"autodata: error: {path} {message}"]


REPO = Path(__file__).resolve().parents[2]
DEV = REPO / ".." / "shared" / "judgebench" / "dev.jsonl"


@pytest.mark.real_model
@pytest.mark.slow
def test_real_embedded_judge_on_a_slice_of_the_dev_labels(in_tmp, capsys):
    """The quick preset's judge (embedded 0.5B) on a stratified slice of the labelled dev set, read in place."""
    if not DEV.is_file():
        missing(f"the labelled dev set {DEV} is not here")
    code, printed, _ = run(
        ["--labels", str(DEV), "--sample", "8", "--preset", "quick", "--quiet", "--out", str(in_tmp / "r")], capsys
    )
    assert code == 0
    lines = [json.loads(x) for x in (in_tmp / "r" / "verdicts.jsonl").read_text().splitlines()]
    labels = {a.id: a for a in load_labels(DEV)}
    assert len(lines) == 8 and len({labels[x["id"]].source for x in lines}) == 8
    for x in lines:
        assert x["verdicts"] is None or len(x["verdicts"]) == len(labels[x["id"]].rubric)
    record = json.loads((in_tmp / "r" / "judgecheck.json").read_text())
    assert record["judged"]["answers"] + record["judged"]["failed"] == 8 and record["seconds_per_answer"] > 0
    assert "| Cohen's kappa, all items |" in printed
    # The target for the 0.5B judge. The quick preset's likelihood judge gave 0.74 on this slice
    # (0.76 on the whole file); the same model with the probability protocol gave 0.14 (docs/judging.md).
    assert record["figures"]["kappa"]["value"] >= 0.4
    assert (
        run(
            [
                "--labels",
                str(DEV),
                "--from-verdicts",
                str(in_tmp / "r" / "verdicts.jsonl"),
                "--out",
                str(in_tmp / "re"),
            ],
            capsys,
        )[0]
        == 0
    )
    assert (in_tmp / "re" / "judgecheck.json").read_text() == (in_tmp / "r" / "judgecheck.json").read_text()
