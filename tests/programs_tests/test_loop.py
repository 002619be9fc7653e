"""The per-document loop on scripted roles: control flow, gating, feedback, retries, invalid replies."""

from __future__ import annotations

import re

import dspy
import pytest
from dspy.utils.exceptions import LMAuthError, LMServerError

from metrics import HarnessPolicy, thresholds_for
from metrics.scoring import rubric_score
from programs import AgenticSelfInstruct, FatalLMError, RubricStructure, hooks
from testkit.world import World, bind

NO_PENALTIES = RubricStructure(allow_penalties=False, min_positive=4, max_positive=4, min_penalties=0)


def make(world: World, structure: RubricStructure = NO_PENALTIES, **kw):
    policy = HarnessPolicy(structure, thresholds_for("paper"))
    program = AgenticSelfInstruct(policy, backoff=0, **{"max_rounds": 4, "n_samples": 2, **kw})
    engines = world.engines()
    bind(program, engines)
    dspy.configure(adapter=dspy.JSONAdapter())
    return program, engines


def test_accepts_when_weak_fails_and_strong_passes():
    world = World(plan={1: {"weak": [1], "strong": [1, 2, 3, 4]}})
    program, engines = make(world)
    out = program(document="A paper.", doc_id="d1")
    assert len(out.rounds) == 1 and out.accepted is out.rounds[0]
    r = out.rounds[0]
    assert (r.weak_mean, r.strong_mean, r.gap, r.reason) == (0.25, 1.0, 0.75, "accepted")
    assert [a.verdicts for a in r.weak] == [[1.0, 0.0, 0.0, 0.0]] * 2


def test_too_easy_skips_strong_and_feeds_back_until_accepted():
    world = World(
        plan={
            1: {"weak": [1, 2, 3, 4], "strong": [1, 2, 3, 4]},
            2: {"weak": [1], "strong": [1, 2]},
            3: {"weak": [], "strong": [1, 2, 3]},
        }
    )
    program, engines = make(world)
    out = program(document="A paper.", doc_id="d1")
    reasons = [r.reason for r in out.rounds]
    assert reasons == ["too_easy", "failed_on_strong", "accepted"]
    assert out.rounds[0].strong == [] and out.rounds[0].strong_mean is None  # weak-first gating
    assert engines["strong"].calls == 2 * 2  # rounds 2 and 3 only
    third_feedback = engines["challenger"].prompts[2].inputs["feedback"]
    assert "TOO EASY" in third_feedback and "FAILED ON STRONG" in third_feedback
    assert "weak avg 1.00" in third_feedback and "gap +0.25" in third_feedback


def test_budget_ends_without_acceptance_and_at_most_one_accepted():
    world = World(plan={n: {"weak": [1, 2, 3, 4]} for n in range(1, 9)})
    program, _ = make(world, max_rounds=3)
    out = program(document="A paper.", doc_id="d1")
    assert len(out.rounds) == 3 and out.accepted is None
    assert sum(r.accepted for r in out.rounds) == 0


def test_verifier_rejection_is_quality_failure_and_skips_solvers():
    world = World(verifier_ok=False)
    program, engines = make(world, max_rounds=2)
    out = program(document="A paper.")
    assert [r.reason for r in out.rounds] == ["failed_quality"] * 2
    assert engines["weak"].calls == 0
    assert "FAILED QUALITY CHECK" in engines["challenger"].prompts[1].inputs["feedback"]


def test_a_check_outside_the_verifier_gate_is_recorded_but_cannot_reject():
    world = World(verifier_ok=False, plan={1: {"weak": [1], "strong": [1, 2, 3, 4]}})  # no_leakage: false
    gated, _ = make(world, max_rounds=1)
    assert gated(document="A paper.").rounds[0].detail.startswith("verifier rejected (no_leakage)")
    program, engines = make(world, max_rounds=1, verifier_gate=("not_recall", "rubric_well_formed"))
    r = program(document="A paper.").rounds[0]
    assert r.reason == "accepted" and engines["weak"].calls == 2
    assert r.verifier.checks["no_leakage"] is False and r.verifier.gate == ["not_recall", "rubric_well_formed"]
    world.verifier = lambda p: {**World.verifier(world, p), "not_recall": False}
    program, _ = make(world, max_rounds=1, verifier_gate=("not_recall", "rubric_well_formed"))
    r = program(document="A paper.").rounds[0]
    assert r.reason == "failed_quality" and r.detail.startswith("verifier rejected (not_recall):")
    with pytest.raises(ValueError, match="unknown verifier checks"):
        make(world, verifier_gate=("leakage",))


def test_rubric_checks_reject_penalties_when_not_allowed_without_asking_the_verifier():
    world = World(n_penalty=2)
    program, engines = make(world, max_rounds=1)
    r = program(document="A paper.").rounds[0]
    assert r.reason == "failed_quality" and "penalty" in r.detail
    assert engines["verifier"].calls == 0 and r.verifier.validation < 0.5


def test_unparseable_challenger_reply_is_an_invalid_round_and_the_loop_goes_on():
    replies = iter(["this is not json at all"] * 2)
    world = World(plan={2: {"weak": [], "strong": [1, 2, 3, 4]}})
    default = world.challenger
    world.challenger_reply = lambda p: next(replies, None) or default.__func__(World(plan=world.plan), p)
    program, _ = make(world, max_rounds=3)
    out = program(document="A paper.")
    assert out.rounds[0].reason == "invalid" and out.rounds[0].candidate is None
    assert any("parse" in e for e in out.rounds[0].errors)


def test_transient_errors_are_retried_not_counted_as_candidates():
    world = World(plan={1: {"weak": [], "strong": [1, 2, 3, 4]}})
    program, engines = make(world, max_rounds=2)
    failures = iter([LMServerError("503 upstream", status=503)] * 2)
    original = engines["weak"].reply

    def flaky(p):
        err = next(failures, None)
        if err:
            raise err
        return original(p)

    engines["weak"].reply = flaky
    out = program(document="A paper.")
    assert len(out.rounds) == 1 and out.rounds[0].accepted
    assert sum("transient" in e for e in out.rounds[0].errors) == 2


def test_permanent_errors_stop_the_run_with_role_and_model():
    world = World()
    program, engines = make(world)

    def denied(p):
        raise LMAuthError("401 invalid api key", status=401)

    engines["verifier"].reply = denied
    with pytest.raises(FatalLMError, match=r"verifier model 'scripted/verifier'"):
        program(document="A paper.")


def test_sanity_check_rejects_a_rubric_the_reference_answer_fails():
    world = World()
    world.challenger_reply = lambda p: {**World().challenger(p), "reference_answer": "Something unrelated."}
    program, engines = make(world, max_rounds=1)
    r = program(document="A paper.").rounds[0]
    assert r.reason == "failed_quality" and "reference answer scores only 0.00" in r.detail
    assert r.verifier.reference_score == 0.0 and engines["weak"].calls == 0
    # The reference's verdicts are kept (its score recomputes from them), and the detail names every
    # criterion it fails, so the next attempt knows which to rewrite.
    assert r.verifier.reference_verdicts == [0.0] * len(r.candidate.rubric)
    assert rubric_score(r.candidate.weights, r.verifier.reference_verdicts) == r.verifier.reference_score
    assert all(f"'{c.criterion}'" in r.detail for c in r.candidate.rubric)


def test_a_sanity_failure_names_only_the_criteria_the_reference_fails_and_feeds_them_back():
    structure = RubricStructure(min_positive=4, max_positive=4, min_penalties=1, max_penalties=1)
    world = World(n_penalty=1)
    # The reference makes points KW1 and KW2, misses KW3 and KW4, and makes the penalised mistake ERR1.
    reference = "KW1 and KW2, since ERR1."
    world.challenger_reply = lambda p: {**World(n_penalty=1).challenger(p), "reference_answer": reference}
    program, engines = make(world, structure, max_rounds=2)
    first, second = program(document="A paper.").rounds
    assert first.verifier.reference_verdicts == [1.0, 1.0, 0.0, 0.0, 1.0]
    named = [c.criterion for c in first.candidate.rubric if f"'{c.criterion}'" in first.detail]
    assert named == [c.criterion for c in first.candidate.rubric if re.search(r"KW[34]|ERR1", c.criterion)]
    assert "the context does not state" in first.detail and second.reason == "failed_quality"
    feedback = engines["challenger"].prompts[1].inputs["feedback"]
    assert "'the answer names KW3 as the key mechanism'" in feedback and "KW1 as" not in feedback


def test_every_round_recomputes_from_raw_verdicts_and_reaches_the_observer():
    world = World(plan={1: {"weak": [1, 2, 3], "strong": [1, 2, 3, 4]}, 2: {"weak": [1], "strong": [1, 2, 3]}})
    program, _ = make(world)
    seen = []
    with hooks.installed(observer=lambda record, program: seen.append(record)):
        out = program(document="A paper.")
    assert seen == out.rounds
    for r in out.rounds:
        weights = [c.weight for c in r.candidate.rubric]
        for a in r.weak + r.strong:
            assert a.score == rubric_score(weights, a.verdicts)
        assert r.usage["challenger"]["calls"] == 1 and r.usage["weak"]["calls"] == 2


def test_samples_are_distinct_calls_not_cache_hits():
    world = World(plan={1: {"weak": [], "strong": [1, 2, 3, 4]}})
    program, engines = make(world, n_samples=3)
    program(document="A paper.")
    assert engines["weak"].calls == 3 and engines["strong"].calls == 3


def test_mixed_samples_on_a_threshold_are_decided_exactly_and_recompute():
    """Weak scores 0.1, 0.6, 0.6, 0.7 average exactly 0.50, which the paper preset rejects (< 0.50);
    their float sum averages to 0.49999999999999994. Strong 0.6, 0.7 average exactly 0.65 (>= 0.65)."""
    from experiments.records.rows import recompute, round_row
    from metrics.acceptance import thresholds_for

    ten = RubricStructure(allow_penalties=False, min_positive=10, max_positive=10, min_penalties=0)
    world = World(n_positive=10, weight=1)
    program, engines = make(world, ten, max_rounds=1, n_samples=4)
    weak_keys = iter([[1], [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6, 7]])
    engines["weak"].reply = lambda p: {"answer": "I think " + " ".join(f"KW{k}" for k in next(weak_keys))}
    r = program(document="A paper.").rounds[0]
    assert [a.score for a in r.weak] == [0.1, 0.6, 0.6, 0.7]
    assert (r.reason, r.weak_mean, r.strong_mean) == ("too_easy", 0.5, None), r.detail
    assert "weak mean 0.5 must be < 0.5" in r.detail

    program, engines = make(world, ten, max_rounds=1, n_samples=2)
    strong_keys = iter([list(range(1, 7)), list(range(1, 8))])
    engines["weak"].reply = lambda p: {"answer": "I think KW1 KW2 KW3"}
    engines["strong"].reply = lambda p: {"answer": "I think " + " ".join(f"KW{k}" for k in next(strong_keys))}
    r = program(document="A paper.").rounds[0]
    assert [a.score for a in r.strong] == [0.6, 0.7]
    assert (r.reason, r.weak_mean, r.strong_mean, r.gap) == ("accepted", 0.3, 0.65, 0.35), r.detail
    row = round_row(
        r, phase="t", split="s", candidate="c", preset="paper", thresholds=thresholds_for("paper"), structure=ten
    )
    assert recompute(row) == (True, "accepted")
    assert recompute({**row, "strong_mean": 0.649999}) == (False, "strong_mean mismatch: 0.649999 vs 0.65")


@pytest.mark.parametrize("privileged", [False, True])
def test_only_a_privileged_strong_solver_sees_the_document(privileged):
    world = World(plan={1: {"weak": [1], "strong": [1, 2, 3, 4]}})
    program, engines = make(world, max_rounds=1, n_samples=1, strong_sees_document=privileged)
    assert program(document="The paper's full text.", doc_id="d1").accepted is not None
    assert "document" not in engines["weak"].prompts[0].inputs
    strong = engines["strong"].prompts[0].inputs
    assert (strong.get("document") == "The paper's full text.") is privileged


def test_feedback_direction_follows_the_last_failure():
    from programs.feedback import render_feedback
    from programs.records import RoundRecord

    easy = RoundRecord(doc_id="d", round=1, reason="too_easy", weak_mean=0.9)
    hard = RoundRecord(doc_id="d", round=2, reason="failed_on_strong", weak_mean=0.1, strong_mean=0.2, gap=0.1)
    quality = RoundRecord(doc_id="d", round=3, reason="failed_quality", detail="leak")
    assert "make the next one easier" in render_feedback([easy, hard])
    assert "make the next one harder" in render_feedback([hard, easy])
    assert "Direction" not in render_feedback([easy, quality]) and "Direction" not in render_feedback([])
    # A weak attempt at 0 asks for a first point within the weak solver's reach, not an easier question
    # (recorded rows without a direction read the same way).
    zero = RoundRecord(doc_id="d", round=4, reason="failed_quality", weak_mean=0.0, detail="a weak attempt scored 0")
    for row in (zero, zero.model_copy(update={"direction": "reachable"})):
        direction = render_feedback([easy, row]).split("Direction: ")[1]
        assert direction.startswith("the weak solver made none of the points") and "easier" not in direction
    # The easier direction no longer asks for a context holding every fact (it led to contexts stating the points).
    assert "a point the context already states earns an answer nothing" in render_feedback([easy, hard])
    # A strong solver that met nearly every criterion is not answered with an easier question.
    aced = RoundRecord(
        doc_id="d",
        round=5,
        reason="failed_on_strong",
        weak_mean=0.3,
        strong_mean=1.0,
        gap=0.7,
        direction="stricter_rubric",
    )
    text = render_feedback([hard, aced])
    direction = text.split("Direction: ")[1]
    assert direction.startswith("the strong solver met nearly every criterion") and "easier" not in direction
    close = RoundRecord(
        doc_id="d", round=6, reason="failed_on_strong", weak_mean=0.5, strong_mean=0.6, gap=0.1, direction="harder"
    )
    assert "make the next one harder" in render_feedback([hard, close])


def test_a_strong_solver_that_aces_the_rubric_asks_for_a_stricter_one_not_an_easier_question():
    # deployed: strong mean must be < 0.95. Round 1: weak meets 1 of 4 criteria, strong all 4.
    world = World(plan={1: {"weak": [1], "strong": [1, 2, 3, 4]}, 2: {"weak": [1], "strong": [1, 2, 3]}})
    program = AgenticSelfInstruct(
        HarnessPolicy(NO_PENALTIES, thresholds_for("deployed")), backoff=0, max_rounds=2, n_samples=1
    )
    engines = world.engines()
    bind(program, engines)
    dspy.configure(adapter=dspy.JSONAdapter())
    out = program(document="A paper.", doc_id="d1")
    first, second = out.rounds
    assert (first.reason, first.strong_mean, first.direction) == ("failed_on_strong", 1.0, "stricter_rubric")
    assert (second.reason, second.direction) == ("accepted", None)
    feedback = engines["challenger"].prompts[1].inputs["feedback"]
    assert "the rubric asks too little" in feedback and "make the next one easier" not in feedback
