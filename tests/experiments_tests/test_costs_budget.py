"""Cost accounting (price table, user prices, unknown never zero), budgets that stop cleanly, dry runs."""

from __future__ import annotations

import json

import pytest

from experiments import compile as compile_cmd
from experiments.compile import compile_run
from experiments.config import RunConfig
from experiments.lms.factory import build_lms
from experiments.records.files import read_jsonl
from experiments.records.progress import Progress
from experiments.report.costs import cost, prices, role_price, usd_text
from experiments.run.dryrun import per_document_run
from experiments.run.overrides import build_config
from testkit.fake_openai import FakeOpenAI, world_reply
from testkit.world import World
from tests.experiments_tests.test_secrets import base_sets, role_sets


def test_prices_from_the_table_from_the_user_and_unknown():
    cfg = build_config(
        {},
        [
            "models.strong.model=openai/gpt-4o-mini",
            "models.judge.model=openai/my-served-model",
            "models.weak.usd_per_mtok_in=0.5",
            "models.weak.usd_per_mtok_out=1.5",
        ],
    )
    cin, cout = role_price(cfg, "strong")
    assert cin > 0 and cout > cin  # DSPy's bundled price table knows gpt-4o-mini
    assert role_price(cfg, "judge") is None  # a served model with no known price
    assert role_price(cfg, "challenger") == (0.0, 0.0)  # embedded: runs in this process
    assert role_price(cfg, "weak") == (0.5e-6, 1.5e-6)


def test_embedded_models_cost_nothing_and_say_local():
    cfg = build_config({}, ["models.strong.model=openai/gpt-4o-mini"])  # every other role embedded
    usage = {"challenger": {"prompt_tokens": 1000, "completion_tokens": 500}, "strong": {"prompt_tokens": 10**6}}
    out = cost(usage, prices(cfg))
    assert out["by_role"]["challenger"] == 0.0 and out["local"] == ["challenger"] and out["unknown"] == []
    assert out["usd"] == pytest.approx(out["by_role"]["strong"]) and out["usd"] > 0
    assert usd_text(out).startswith("$") and "local" in usd_text(out) and "unknown" not in usd_text(out)
    local_only = cost({"challenger": usage["challenger"]}, prices(build_config({}, [])))
    assert local_only["usd"] == 0.0 and usd_text(local_only).startswith("local")


def test_unknown_price_is_never_zero():
    usage = {"weak": {"prompt_tokens": 1_000_000, "completion_tokens": 0}, "judge": {"prompt_tokens": 10}}
    out = cost(usage, {"weak": (1e-6, 2e-6), "judge": None})
    assert out["by_role"] == {"weak": 1.0, "judge": None} and out["usd"] is None and out["unknown"] == ["judge"]
    assert cost({"weak": usage["weak"]}, {"weak": (1e-6, 2e-6)})["usd"] == 1.0


@pytest.fixture
def docs(in_tmp):
    folder = in_tmp / "docs"
    folder.mkdir()
    for i in range(4):
        (folder / f"p{i}.txt").write_text(f"Paper {i} about mechanism {i}.")
    return folder


def priced(role_settings: list[str]) -> list[str]:
    roles = {item.split(".")[1] for item in role_settings}
    return role_settings + [f"models.{r}.usd_per_mtok_{d}=2" for r in roles for d in ("in", "out")]


def test_usage_and_cost_match_what_the_server_billed(in_tmp, docs, monkeypatch):
    """The summary's tokens and dollars against the fake server's own tally of the usage it reported,
    role by role (each role is its own served model), the optimizer's reflection calls included."""
    monkeypatch.setenv("CANARY_KEY", "k")
    world = World(n_penalty=None, plan={1: {"weak": [1], "strong": [1, 2, 3, 4]}})
    with FakeOpenAI(world_reply(world)) as server:
        cfg = build_config({}, base_sets(docs) + priced(role_sets(server.base_url)))
        summary = compile_run(
            cfg, in_tmp / "run", lms=build_lms(cfg.models), use_cache=False, progress=Progress(quiet=True)
        )
    billed = {role: dict(tally) for role, tally in server.usage.items()}
    assert server.counts["ok"] == server.requests and "reflection" in billed  # GEPA reflected at least once
    keys = ("prompt_tokens", "completion_tokens")
    recorded = {role: {k: u.get(k, 0) for k in keys} for role, u in summary["usage_by_role"].items() if u.get("calls")}
    assert recorded == billed
    tokens = sum(sum(tally.values()) for tally in billed.values())
    assert summary["cost"]["usd"] == pytest.approx(tokens * 2e-6, rel=1e-9)  # every role at $2 per million


@pytest.mark.parametrize("limit", ["budget.max_tokens=400", "budget.max_usd=0.0008"])
def test_budget_stops_cleanly_with_outputs_written(in_tmp, docs, monkeypatch, limit, capsys):
    monkeypatch.setenv("CANARY_KEY", "k")
    world = World(n_penalty=None, plan={1: {"weak": [1, 2, 3, 4]}, 2: {"weak": [1, 2, 3, 4]}})
    with FakeOpenAI(world_reply(world)) as server:
        argv = ["--out", str(in_tmp / "run"), "--no-cache", "--set", limit]
        for item in base_sets(docs) + priced(role_sets(server.base_url)):
            argv += ["--set", item]
        code = compile_cmd.main(argv)
        calls = sum(server.counts.values())
    summary = json.loads((in_tmp / "run" / "summary.json").read_text())
    assert code == 0 and "budget reached" in summary["stopped_by"]
    assert "STOPPED EARLY" in capsys.readouterr().out
    rows = read_jsonl(in_tmp / "run" / "rounds.jsonl")
    assert 1 <= len(rows) <= 3 and calls <= 3 * 8  # stopped within a round or two of the limit
    assert summary["baseline"] is not None and (in_tmp / "run" / "config.json").exists()


def test_dry_run_makes_no_calls_and_prints_a_plan(in_tmp, docs, capsys):
    code = compile_cmd.main(
        [
            "--dry-run",
            "--set",
            f"corpus.source={docs}",
            "--set",
            "corpus.n_train=1",
            "--set",
            "corpus.n_val=1",
            "--set",
            "corpus.n_test=1",
            "--set",
            "search.n_trials=2",
            "--set",
            "models.strong.model=openai/gpt-4o-mini",
            "--out",
            str(in_tmp / "run"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "Dry run (an estimate, not a bound" in out and "upper bound" not in out
    assert "strong" in out and "local" in out and "unknown" not in out  # embedded roles are local, $0
    assert not (in_tmp / "run").exists()


def test_dry_run_calls_match_a_worst_case_run_on_the_fake_server(in_tmp, docs, monkeypatch):
    """Every round of every document reaches the strong solver and nothing is accepted: the worst case
    the estimate assumes. Its calls per role and document runs per phase are then what the run made;
    tokens are only an estimate (the fake server counts the user message, and replies are short)."""
    from collections import Counter

    from experiments.corpus import load_splits
    from experiments.run.dryrun import compile_plan

    monkeypatch.setenv("CANARY_KEY", "k")
    world = World(n_penalty=None, plan={n: {"weak": [1]} for n in (1, 2)})  # strong answers nothing
    with FakeOpenAI(world_reply(world)) as server:
        sets = [*base_sets(docs), *role_sets(server.base_url), "loop.n_samples=2", "optimizer.max_metric_calls=4"]
        # min = max penalties: every rubric has the most criteria, the worst case the estimate assumes.
        worst = [*sets, "rubric.min_penalties=2", "loop.sanity_checks=true", "tracking.enabled=false"]
        cfg = build_config({}, worst)
        plan = compile_plan(cfg, load_splits(cfg.corpus)[0])
        compile_run(cfg, in_tmp / "run", lms=build_lms(cfg.models), use_cache=False, progress=Progress(quiet=True))
    rows = read_jsonl(in_tmp / "run" / "rounds.jsonl") + read_jsonl(in_tmp / "run" / "repeats.jsonl")
    assert {r["reason"] for r in rows} == {"failed_on_strong"}
    runs = Counter(r["phase"] for r in rows if r["round"] == 1)
    assert dict(runs) == plan["document_runs"]
    made = Counter({model: sum(by.values()) for model, by in server.stats()["by_model"].items()})
    for role in ("challenger", "verifier", "weak", "strong"):
        assert plan["usage_by_role"][role]["calls"] == made[role], role
    # The judge reads a rubric's two anchors once per process: a round an optimizer runs again on the
    # same candidate reuses them (6 criteria x 2 anchors + 2 penalty texts), which the estimate does not subtract.
    repeated = len(read_jsonl(in_tmp / "run" / "repeats.jsonl"))
    assert (
        plan["usage_by_role"]["judge"]["calls"] - 14 * repeated
        <= made["judge"]
        <= plan["usage_by_role"]["judge"]["calls"]
    )
    # GEPA's reflection is estimated at one call per metric call; here a reply it cannot parse makes it ask
    # again per task (6 calls for 4 metric calls): one of the things the estimate does not bound.
    assert plan["usage_by_role"]["reflection"]["calls"] > 0 and made["reflection"] > 0


def test_dry_run_counts_the_paper_in_the_strong_prompt_when_it_is_open():
    plain = RunConfig.model_validate({"loop": {"max_rounds": 3, "n_samples": 2}})
    open_ = RunConfig.model_validate({"loop": {"max_rounds": 3, "n_samples": 2, "strong_sees_document": True}})
    closed, seen = per_document_run(plain, 500.0), per_document_run(open_, 500.0)
    assert seen["strong"]["prompt_tokens"] - closed["strong"]["prompt_tokens"] == 3 * 2 * 500
    assert seen["weak"] == closed["weak"]


def test_dry_run_counts_the_likelihood_judges_anchors_and_no_reply_tokens():
    loop = {"max_rounds": 1, "n_samples": 2, "sanity_checks": False}
    rubric = {"max_positive": 4, "min_penalties": 1, "max_penalties": 2}
    runs = {
        protocol: per_document_run(
            RunConfig.model_validate({"loop": loop, "rubric": rubric, "judge": {"protocol": protocol}}), 500.0
        )["judge"]
        for protocol in ("likelihood", "probability", "per_criterion")
    }
    # Four answers (two samples per solver) plus two anchors, one call per criterion (6); the probability
    # judge also reads each penalty item's own text (2).
    assert runs["likelihood"]["calls"] == (4 + 2) * 6
    assert runs["probability"]["calls"] == (4 + 2) * 6 + 2
    assert runs["per_criterion"]["calls"] == 4 * 6
    assert runs["likelihood"]["completion_tokens"] == 0
