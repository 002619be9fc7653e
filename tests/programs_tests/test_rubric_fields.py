"""The challenger's reply schema is built from the rubric structure; records keep one rubric list."""

from __future__ import annotations

import json

import dspy
import pytest
from dspy.adapters.json_adapter import _get_structured_outputs_response_format
from dspy.teleprompt import BootstrapFewShot

from metrics import HarnessPolicy, make_gap_metric, thresholds_for
from metrics.rubric_checks import check_rubric
from programs import AgenticSelfInstruct, RubricStructure
from programs.baseline_challengers import CoTChallenger, TopicChallenger, TopicChallengeSignature
from programs.baselines import BASELINES
from programs.challenger import Challenger
from programs.rubric_fields import PENALTY, POSITIVE, with_rubric_fields
from programs.signatures import ChallengeSignature
from testkit.scripted import ScriptedEngine
from testkit.world import World, bind

DEFAULT = RubricStructure(min_positive=3, max_positive=5, min_penalties=1, max_penalties=2)

# (structure, positive items (min, max), positive weights (low, high), penalty items or None, penalty weights)
CASES = [
    (DEFAULT, (3, 5), (1, 10), (1, 2), (-10, -1)),
    (RubricStructure.paper_baseline(), (7, 10), (1, 10), (3, 5), (-10, -1)),
    (RubricStructure.paper_optimized(), (7, 10), (1, 7), None, None),
    (
        RubricStructure(min_positive=4, max_positive=4, min_penalties=0, max_penalties=1, weight_cap=3, penalty_cap=2),
        (4, 4),
        (1, 3),
        (0, 1),
        (-2, -1),
    ),
]


def schema_for(signature) -> dict:
    return _get_structured_outputs_response_format(signature).model_json_schema()


def resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def array_bounds(schema: dict, name: str) -> tuple[tuple[int, int], tuple[int, int]]:
    array = resolve(schema, schema["properties"][name])
    weight = resolve(schema, array["items"])["properties"]["weight"]
    return (array["minItems"], array["maxItems"]), (weight["minimum"], weight["maximum"])


@pytest.mark.parametrize(("structure", "count", "weights", "pen_count", "pen_weights"), CASES)
def test_reply_schema_follows_the_structure(structure, count, weights, pen_count, pen_weights):
    for base in (ChallengeSignature, TopicChallengeSignature):
        schema = schema_for(with_rubric_fields(base, structure))
        assert array_bounds(schema, POSITIVE) == (count, weights)
        if pen_count is None:
            assert PENALTY not in schema["properties"]
        else:
            assert array_bounds(schema, PENALTY) == (pen_count, pen_weights)
        names = list(schema["properties"])
        assert names[-1] == "reference_answer" and "rubric" not in names
        assert names.index(POSITIVE) == names.index("question") + 1, "rubric fields come before the answer"


def test_signatures_are_cached_per_structure():
    one = with_rubric_fields(ChallengeSignature, DEFAULT)
    assert with_rubric_fields(ChallengeSignature, DEFAULT.model_copy()) is one
    assert with_rubric_fields(ChallengeSignature, DEFAULT.model_copy(update={"graded": True})) is one
    assert with_rubric_fields(ChallengeSignature, DEFAULT.model_copy(update={"max_positive": 6})) is not one
    off = RubricStructure(allow_penalties=False, min_positive=3, max_positive=5, min_penalties=1, max_penalties=2)
    assert PENALTY not in with_rubric_fields(ChallengeSignature, off).output_fields


def reply(positive: list[int], penalty: list[int]) -> dict:
    return {
        "question_type": "analysis",
        "skill_tags": ["causal reasoning"],
        "insight": "The mechanism rests on its key words.",
        "context": "A setup.",
        "question": "Why does the method work?",
        POSITIVE: [{"criterion": f"the answer names mechanism M{i}", "weight": w} for i, w in enumerate(positive)],
        PENALTY: [{"criterion": f"the answer wrongly claims E{i}", "weight": w} for i, w in enumerate(penalty)],
        "reference_answer": "Because of M0 and M1.",
    }


def run(challenger: dspy.Module, answer: dict) -> tuple:
    engine = ScriptedEngine(lambda p: answer)
    challenger.set_lm(dspy.LM("scripted/challenger", engine=engine, cache=False, num_retries=0))
    with dspy.context(adapter=dspy.JSONAdapter()):
        return challenger("A paper.", DEFAULT.render()), engine


@pytest.mark.parametrize("make", [Challenger, CoTChallenger, TopicChallenger])
def test_every_challenger_keeps_one_rubric_list_positives_then_penalties(make):
    candidate, engine = run(make(DEFAULT), {"reasoning": "plan", **reply([5, 3, 2], [-4])})
    assert [c.weight for c in candidate.rubric] == [5, 3, 2, -4]
    assert check_rubric(candidate, DEFAULT) == []
    fmt = engine.prompts[0].config.response_format
    assert fmt["type"] == "json_schema" and POSITIVE in fmt["schema"]["properties"], "the schema reaches the LM"


def test_a_reply_breaking_the_schema_still_parses_and_the_checks_name_the_problems():
    # Providers that ignore the schema: parsing accepts any count or weight; the rubric checks report them.
    candidate, _ = run(Challenger(DEFAULT), reply([5, 10, 2, 7, 7, 7], [-4, -3, -2]))
    assert len(candidate.rubric) == 9
    assert check_rubric(candidate, DEFAULT.model_copy(update={"weight_cap": 7})) == [
        "6 positive criteria, need 3-5",
        "3 penalty criteria, need 1-2",
        "positive weights [10] exceed the cap 7",
    ]


def test_baselines_and_loop_build_their_challengers_for_the_policy_structure():
    policy = HarnessPolicy(RubricStructure.paper_optimized(), thresholds_for("paper"))
    programs = [AgenticSelfInstruct(policy), *(cls(policy) for cls in BASELINES.values())]
    for program in programs:
        [(_, predictor)] = program.challenger.named_predictors()
        fields = predictor.signature.output_fields
        assert POSITIVE in fields and PENALTY not in fields


def test_optimizers_edit_instructions_and_saved_state_loads_into_a_fresh_program(tmp_path):
    structure = RubricStructure(allow_penalties=False, min_positive=4, max_positive=4, min_penalties=0)
    policy = HarnessPolicy(structure, thresholds_for("paper"))
    program = AgenticSelfInstruct(policy, max_rounds=1, n_samples=1, backoff=0)
    lms = bind(program, World(plan={1: {"weak": [], "strong": [1, 2, 3, 4]}}).engines())
    dspy.configure(lm=lms["challenger"], adapter=dspy.JSONAdapter())
    trainset = [dspy.Example(document=f"Paper {i}.", doc_id=f"d{i}").with_inputs("document", "doc_id") for i in (1, 2)]
    compiled = BootstrapFewShot(
        metric=make_gap_metric(thresholds_for("paper")), max_bootstrapped_demos=1, max_labeled_demos=0
    ).compile(program, trainset=trainset)
    predictor = compiled.challenger.generate
    predictor.signature = predictor.signature.with_instructions("Write one question. NEW INSTRUCTIONS.")
    assert len(predictor.demos) == 1
    path = tmp_path / "program.json"
    for _, p in compiled.named_predictors():
        p.lm = None
    path.write_text(json.dumps(compiled.dump_state(), default=str))
    fresh = AgenticSelfInstruct(policy, max_rounds=1, n_samples=1, backoff=0)
    fresh.load_state(json.loads(path.read_text()))
    loaded = fresh.challenger.generate
    assert loaded.signature.instructions == "Write one question. NEW INSTRUCTIONS."
    assert schema_for(loaded.signature) == schema_for(program.challenger.generate.signature), "still constrained"
    bind(fresh, World(plan={1: {"weak": [], "strong": [1, 2, 3, 4]}}).engines())
    out = fresh(document="Paper 3.", doc_id="d3")
    assert out.accepted is not None and len(out.accepted.candidate.rubric) == 4
