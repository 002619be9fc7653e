"""The `results` preset's compile on scripted roles records baseline vs compiled on the test papers:
summary.json, comparison.md, the printed table and the MLflow parent run. A second compile makes the
two harnesses differ on purpose, and its figures are checked against values worked out by hand."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pytest
from mlflow.tracking import MlflowClient

from experiments.compile import compile_run
from experiments.corpus import load_splits
from experiments.presets import preset
from experiments.records.files import read_jsonl
from experiments.records.progress import Progress
from experiments.report.compile_print import print_summary
from experiments.run.overrides import build_config
from metrics.intervals import estimate
from testkit.world import World
from tests.experiments_tests.test_compile_scripted import scripted_lms
from tests.support.workers import write_docs

# Small sizes over the results preset; everything else (models, judge, loop, metric, GEPA) as it is.
SMALL = ["corpus.n_train=1", "corpus.n_val=2", "corpus.n_test=3", "optimizer.max_metric_calls=6", "search.n_trials=2"]
# Round 1 too easy, round 2 accepted under the paper, deployed and blog criteria (weak 0.25, strong 0.75).
PLAN = {1: {"weak": [1, 2, 3, 4]}, 2: {"weak": [1], "strong": [1, 2, 3]}}
GAIN = [
    f"test_{figure}_{part}"
    for figure in ("pass_rate", "validity")
    for part in ("baseline", "compiled", "diff", "diff_lo", "diff_hi")
]


# A world whose outcomes depend on the paper and the harness: the challenger marks its question with
# the paper and with whether its rubric structure allows penalties (the baseline's does; the study's
# second trial's does not), and each solver answers by the outcome planned for both, or else by the
# World's plan by round.
TOO_EASY = {"weak": [1, 2, 3, 4]}
BAD_RUBRIC = "bad rubric"  # one positive criterion: breaks the rubric rule "3 to 5 positive criteria"


@dataclass
class PaperWorld(World):
    outcomes: dict[tuple[str, int], object] = field(default_factory=dict)

    def challenger(self, p):
        reply = super().challenger(p)
        paper = int(re.search(r"Paper (\d+)\.", p.inputs["document"]).group(1))
        tag = "P" if "penalty_criteria" in p.outputs else "NP"
        reply["question"] = reply["question"].replace("explain", f"on paper {paper} ({tag}) explain")
        if self.outcomes.get((tag, paper)) == BAD_RUBRIC:
            reply["positive_criteria"] = reply["positive_criteria"][:1]
        return reply

    def solver(self, role: str):
        by_round = super().solver(role)  # papers without an outcome follow the World's plan by round

        def reply(p):
            paper, tag = re.search(r"on paper (\d+) \((N?P)\)", p.inputs["question"]).groups()
            if (tag, int(paper)) not in self.outcomes:
                return by_round(p)
            keys = self.outcomes[(tag, int(paper))].get(role, [])
            return {"answer": "I think " + " ".join(f"KW{k}" for k in keys) if keys else "I do not know."}

        return reply


def paper_of(doc) -> int:
    return int(re.match(r"Paper (\d+)\.", doc.text).group(1))


def run_results(tmp, world: World, *sets: str) -> tuple[dict, object, dict]:
    docs = write_docs(tmp / "docs", n=8)
    cfg = build_config(preset("results"), [f"corpus.source={docs}", "loop.backoff=0", *sets])
    lms = scripted_lms(world)
    summary = compile_run(cfg, tmp / "run", lms=lms, use_cache=False, progress=Progress(quiet=True))
    return summary, cfg, lms


def splits_of(tmp, *sets: str) -> dict[str, list]:
    docs = write_docs(tmp / "docs", n=8)
    return load_splits(build_config(preset("results"), [f"corpus.source={docs}", *sets]).corpus)[0]


def test_results_preset_records_the_comparison_everywhere(in_tmp, capsys):
    # Every round on the training paper is too easy, so GEPA's minibatch is never perfect and it reflects.
    train = paper_of(splits_of(in_tmp, *SMALL)["train"][0])
    world = PaperWorld(n_penalty=None, plan=PLAN, outcomes={("P", train): TOO_EASY, ("NP", train): TOO_EASY})
    summary, cfg, lms = run_results(in_tmp, world, *SMALL)
    out = in_tmp / "run"
    assert cfg.optimizer.metric == "combined" and cfg.optimizer.name == "gepa" and cfg.search.n_trials == 2
    assert summary == json.loads((out / "summary.json").read_text())
    assert summary["optimizer"] == {
        "name": "gepa",
        "metric": "combined",
        "weights": {"gap": 0.7, "validation": 0.3},
        "max_metric_calls": 6,
    }
    c = summary["comparison"]
    test_ids = summary["corpus"]["splits"]["test"]
    assert c["documents"] == test_ids and c["excluded_documents"] == []
    rows = read_jsonl(out / "rounds.jsonl")
    for name, phase in (("baseline", "baseline"), ("compiled", "final")):
        mine = [r for r in rows if r["phase"] == phase and r["doc_id"] in test_ids]
        accepted = [r for r in mine if r["accepted"]]
        f = c[name]
        assert (f["documents"], f["accepted"], f["candidates"], f["valid"]) == (3, len(accepted), len(mine), len(mine))
        assert f["pass_rate"] == round(len(accepted) / 3, 6) and len(f["pass_rate_ci95"]) == 2
        assert f["weak_mean"]["mean"] == pytest.approx(sum(r["weak_mean"] for r in accepted) / len(accepted))
        assert f["per_accepted"]["rounds"] == pytest.approx(len(mine) / len(accepted), abs=1e-3)
        assert f["per_accepted"]["tokens"] > 0 and f["per_accepted"]["seconds"] >= 0
    assert set(c["difference"]) == {"pass_rate", "validity"}
    assert c["difference"]["pass_rate"]["reading"] in ("better", "worse", "indistinguishable")

    # the study (structure -> validation score) and the instructions, beside the baseline's
    assert [t["params"]["allow_penalties"] for t in summary["trials"]] == [True, False]
    for t in summary["trials"]:
        assert t["val"]["documents"] == 2 and t["value"] == t["val"]["pass_rate"]
        assert set(t["instructions"]) == {"challenger.generate", "verifier.review"}
    assert set(summary["instructions"]["baseline"]) == set(summary["instructions"]["compiled"])

    md = (out / "comparison.md").read_text()
    assert f"| acceptance (documents) [Wilson 95%] | {c['baseline']['accepted']}/3 = " in md
    assert "| validity (candidates) [Wilson 95%] | " in md and "metric (weights: gap 0.7, validation 0.3)" in md
    assert "## Study: rubric structure -> validation score" in md
    assert len(re.findall(r"^\| [01]( \(compiled\))? \| complete \| allow_penalties=", md, re.M)) == 2
    assert "### `challenger.generate`" in md and summary["instructions"]["baseline"]["challenger.generate"] in md

    harness = json.loads((out / "harness.json").read_text())
    assert harness["source"]["optimizer"] == {k: summary["optimizer"][k] for k in ("name", "metric", "weights")}

    client = MlflowClient(tracking_uri=summary["mlflow"]["tracking_uri"])
    parent = client.get_run(summary["mlflow"]["parent_run_id"])
    assert parent.data.params["optimizer.metric"] == "combined"
    assert parent.data.params["optimizer.metric_weights.gap"] == "0.7"
    logged = parent.data.metrics
    assert set(GAIN) <= set(logged)
    assert logged["test_pass_rate_compiled"] == c["compiled"]["pass_rate"]
    assert logged["test_pass_rate_diff_lo"] == c["difference"]["pass_rate"]["lo"]
    assert logged["test_validity_diff_hi"] == c["difference"]["validity"]["hi"]
    assert "run/comparison.md" in {a.path for a in client.list_artifacts(parent.info.run_id, "run")}
    trial = client.search_runs([parent.info.experiment_id], "attributes.run_name = 'trial-0'")[0]
    assert trial.data.params["optimizer.metric_weight.validation"] == "0.3"

    # GEPA read the combined metric's feedback, naming the failure, the scores and the missed threshold.
    reflected = "\n".join(p.user for p in lms["reflection"].engine.prompts)
    assert re.search(r"Score [\d.]+ = 0\.7 x gap credit [\d.]+ \+ 0\.3 x rubric validation [\d.]+", reflected)
    assert "TOO EASY: weak attempts [1], mean 1; strong solver not run" in reflected
    assert "missed: weak mean 1 (needs <= 0.65)" in reflected

    capsys.readouterr()
    print_summary(summary)
    printed = capsys.readouterr().out
    assert "baseline vs compiled on the test papers" in printed
    assert re.search(r"^acceptance \(documents\) \[Wilson 95%\] +\d/3 = ", printed, re.M)
    assert re.search(r"^validity \(candidates\) \[Wilson 95%\] +\d+/\d+ = 1\.00", printed, re.M)


def test_a_compiled_harness_that_passes_more_papers_gives_the_hand_computed_difference(in_tmp):
    # The study uses no optimizer: trial 1 differs from the baseline by its rubric structure alone (no
    # penalties) and wins on the validation paper.
    sets = [
        "corpus.n_train=1",
        "corpus.n_val=1",
        "corpus.n_test=6",
        "loop.max_rounds=1",
        "loop.n_samples=1",
        "acceptance.preset=deployed",
        "optimizer.name=none",
        "search.n_trials=2",
        'search.space=["allow_penalties", "weight_cap"]',
    ]
    splits = splits_of(in_tmp, *sets)
    t = [paper_of(d) for d in splits["test"]]
    val = paper_of(splits["val"][0])
    # 4 positive criteria of weight 5: naming k keywords scores k/4. Deployed: weak mean <= 0.65, no
    # attempt at 0, strong mean in [0.6, 0.95), gap >= 0.2.
    w1, w2 = {"weak": [1], "strong": [1, 2, 3]}, {"weak": [1, 2], "strong": [1, 2, 3]}
    outcomes = {("P", t[0]): w1, ("P", t[5]): BAD_RUBRIC, ("NP", val): w1}
    outcomes |= {("NP", t[0]): w1, ("NP", t[1]): w2, ("NP", t[2]): w1, ("NP", t[3]): w2, ("NP", t[4]): w1}
    summary, _, _ = run_results(in_tmp, PaperWorld(n_penalty=None, plan={1: TOO_EASY}, outcomes=outcomes), *sets)
    assert summary["compiled"]["trial"] == 1 and summary["compiled"]["params"]["allow_penalties"] is False
    c = summary["comparison"]
    assert c["documents"] == [d.id for d in splits["test"]] and c["same_harness"] is False
    base, comp, diff = c["baseline"], c["compiled"], c["difference"]

    # baseline: t0 accepted, t1-t4 too easy, t5 fails the rubric checks (an invalid candidate)
    assert (base["accepted"], base["pass_rate"], base["valid"], base["candidates"]) == (1, 0.166667, 5, 6)
    assert base["pass_rate_ci95"] == pytest.approx([0.0301, 0.5635], abs=1e-4)  # Wilson 1/6
    assert base["validity_ci95"] == pytest.approx([0.4365, 0.9699], abs=1e-4)  # Wilson 5/6
    # compiled: t0-t4 accepted, t5 too easy; every candidate valid
    assert (comp["accepted"], comp["pass_rate"], comp["valid"], comp["candidates"]) == (5, 0.833333, 6, 6)
    assert comp["pass_rate_ci95"] == pytest.approx([0.4365, 0.9699], abs=1e-4)
    assert comp["validity_ci95"] == pytest.approx([0.6097, 1.0], abs=1e-4)  # Wilson 6/6

    # Acceptance, compiled - baseline per paper: [0, 1, 1, 1, 1, 0], mean 2/3. A bootstrap resample of
    # the 6 papers has mean X/6 with X ~ Binomial(6, 2/3): P(X <= 1) = 13/729 = 1.8% and P(X <= 2) =
    # 73/729 = 10% put the 2.5% point at 2/6; P(X = 6) = 64/729 = 8.8% > 2.5% puts the 97.5% point at 1.
    assert {k: diff["pass_rate"][k] for k in ("n", "mean", "lo", "hi", "reading")} == {
        "n": 6, "mean": 0.666667, "lo": 0.333333, "hi": 1.0, "reading": "better",
    }  # fmt: skip
    # Validity (pooled), compiled - baseline: 6/6 - 5/6 = 1/6; a resample's difference is (copies of
    # t5)/6 with X ~ Binomial(6, 1/6): P(X = 0) = 33% puts the 2.5% point at 0, P(X <= 2) = 94% and
    # P(X <= 3) = 99.1% put the 97.5% point at 3/6.
    assert {k: diff["validity"][k] for k in ("n", "mean", "lo", "hi", "reading")} == {
        "n": 6, "mean": 0.166667, "lo": 0.0, "hi": 0.5, "reading": "indistinguishable",
    }  # fmt: skip
    # Accepted examples: baseline one (weak 0.25, strong 0.75, gap 0.5); compiled five.
    assert (base["weak_mean"]["n"], base["weak_mean"]["mean"], base["gap"]["mean"]) == (1, 0.25, 0.5)
    weak = [0.25, 0.5, 0.25, 0.5, 0.25]
    assert comp["weak_mean"] == estimate(weak).to_dict() and comp["weak_mean"]["mean"] == 0.35
    assert comp["gap"] == estimate([0.75 - w for w in weak]).to_dict() and comp["gap"]["mean"] == 0.4
    assert comp["strong_mean"] == {"n": 5, "mean": 0.75, "lo": 0.75, "hi": 0.75}
    assert comp["per_accepted"]["rounds"] == 1.2 and base["per_accepted"]["rounds"] == 6.0

    client = MlflowClient(tracking_uri=summary["mlflow"]["tracking_uri"])
    logged = client.get_run(summary["mlflow"]["parent_run_id"]).data.metrics
    assert {k: logged[k] for k in GAIN} == {
        "test_pass_rate_baseline": 0.166667, "test_pass_rate_compiled": 0.833333, "test_pass_rate_diff": 0.666667,
        "test_pass_rate_diff_lo": 0.333333, "test_pass_rate_diff_hi": 1.0,
        "test_validity_baseline": 0.833333, "test_validity_compiled": 1.0, "test_validity_diff": 0.166667,
        "test_validity_diff_lo": 0.0, "test_validity_diff_hi": 0.5,
    }  # fmt: skip
    md = (in_tmp / "run" / "comparison.md").read_text()
    assert "| +0.67 [+0.33, +1.00] (n=6): better |" in md and "| +0.17 [+0.00, +0.50] (n=6): indistinguishable |" in md
