"""The rubric as constrained output fields, built from a `RubricStructure`: the rules hold by construction.

`with_rubric_fields(signature, structure)` returns the signature with its rubric written as two output
fields placed before `reference_answer`: `positive_criteria`, an array of `structure.min_positive` to
`max_positive` items with integer weights 1..`weight_cap`, and, only when penalties are allowed,
`penalty_criteria` with `min_penalties` to `max_penalties` items weighted -`penalty_cap`..-1. DSPy's
JSONAdapter sends these bounds as the reply's JSON schema (minItems/maxItems, minimum/maximum), which the
embedded engine and the `llamacpp/` route decode under a grammar and hosted providers receive as
structured output; the adapter also shows the schema in the prompt. Each criterion's schema also has a
`pattern`: it opens with a verb for what an answer does ("Explains ...", "Claims ..."), so a grammar-bound
reply cannot write a criterion that describes the paper ("The paper proposes ..."). The bounds live in the schema only:
parsing accepts any count or weight, so a reply from a provider that ignores the schema still becomes a
candidate and `metrics.rubric_checks` names what it breaks. Signatures are cached per structure, like
the judge's per rubric. `rubric_of(prediction)` joins the two arrays into one rubric list (positives,
then penalties), the shape every record keeps.
"""

from __future__ import annotations

import functools
from typing import Any

import dspy
from pydantic import ConfigDict, Field, RootModel, create_model

from programs.records import Criterion
from programs.structure import RubricStructure

POSITIVE, PENALTY = "positive_criteria", "penalty_criteria"
BEFORE = "reference_answer"
CRITERION_CHARS = Criterion.model_json_schema()["properties"]["criterion"]["maxLength"]
# The openings a criterion may start with: what an answer does, never what the paper does. Penalty
# items name a mistake an answer makes, so they get the verbs of a wrong claim.
POSITIVE_VERBS = (
    "Explains", "States", "Identifies", "Names", "Describes", "Compares", "Contrasts", "Argues", "Predicts",
    "Proposes", "Notes", "Recognizes", "Concludes", "Derives", "Computes", "Distinguishes", "Gives",
    "Justifies", "Shows", "Connects",
)  # fmt: skip
PENALTY_VERBS = (
    "Claims", "States", "Suggests", "Assumes", "Confuses", "Treats", "Attributes", "Overstates", "Concludes",
    "Misidentifies", "Recommends", "Predicts",
)  # fmt: skip
POSITIVE_DESC = (
    "the rubric's positive criteria, from basic to specific; each is one full sentence that opens with what a "
    "correct answer does (e.g. 'Explains that ...') and names a point the answer must make: the first a basic "
    "step of reasoning that a careful answer reaches from the context alone (a consequence of the setup, not a "
    "restatement of it; low weight), the others the paper's specific points (higher weights for more important "
    "points)"
)
PENALTY_DESC = (
    "the rubric's penalty criteria; each is one full sentence that opens with what a wrong answer does (e.g. "
    "'Claims that ...') and names a specific mistake it would make, with a negative weight"
)


def _schema_only(**keywords: Any) -> Any:
    """A pydantic field whose bounds go into the JSON schema but are not enforced when parsing."""
    return Field(json_schema_extra=keywords)


def opening(verbs: tuple[str, ...]) -> str:
    """The JSON-schema pattern of a string that opens with one of `verbs` and a space."""
    return "^(" + "|".join(verbs) + ") "


def criteria_type(
    kind: str, count: tuple[int, int], weights: tuple[int, int], verbs: tuple[str, ...]
) -> type[RootModel[Any]]:
    """`<kind>Criteria`: an array of `count` (min, max) `<kind>Criterion` items weighted in `weights` (low,
    high), each criterion opening with one of `verbs` (schema only, like the bounds)."""
    item = create_model(
        f"{kind}Criterion",
        __config__=ConfigDict(extra="forbid"),
        criterion=(str, Field(max_length=CRITERION_CHARS, json_schema_extra={"pattern": opening(verbs)})),
        weight=(int, _schema_only(minimum=weights[0], maximum=weights[1])),
    )
    array = RootModel[list[item]]  # type: ignore[valid-type]
    config = ConfigDict(json_schema_extra={"minItems": count[0], "maxItems": count[1]})
    return type(f"{kind}Criteria", (array,), {"model_config": config, "__module__": __name__})


def with_rubric_fields(signature: type[dspy.Signature], structure: RubricStructure) -> type[dspy.Signature]:
    """`signature` with the structure's rubric fields inserted before `reference_answer` (cached)."""
    s = structure
    penalties = (s.min_penalties, s.max_penalties, s.penalty_cap) if s.allow_penalties else None
    return _build(signature, (s.min_positive, s.max_positive, s.weight_cap), penalties)


@functools.lru_cache(maxsize=64)
def _build(
    signature: type[dspy.Signature], positives: tuple[int, int, int], penalties: tuple[int, int, int] | None
) -> type[dspy.Signature]:
    min_pos, max_pos, cap = positives
    positive = criteria_type("Positive", (min_pos, max_pos), (1, cap), POSITIVE_VERBS)
    index = list(signature.output_fields).index(BEFORE)
    out = signature.insert(index, POSITIVE, dspy.OutputField(desc=POSITIVE_DESC), type_=positive)
    if penalties is not None:
        min_pen, max_pen, pen_cap = penalties
        penalty = criteria_type("Penalty", (min_pen, max_pen), (-pen_cap, -1), PENALTY_VERBS)
        out = out.insert(index + 1, PENALTY, dspy.OutputField(desc=PENALTY_DESC), type_=penalty)
    return out


def rubric_of(prediction: dspy.Prediction) -> list[Criterion]:
    """One rubric list from a prediction's rubric fields: positive criteria, then penalty criteria."""
    items = [*getattr(prediction, POSITIVE).root]
    if PENALTY in prediction:
        items += getattr(prediction, PENALTY).root
    return [Criterion(criterion=c.criterion, weight=c.weight) for c in items]
