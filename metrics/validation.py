"""The rubric validation metric: how well-formed and judge-consistent one document's candidates are.

Per round the loop records `verifier.validation` (see `metrics.policy.validation_score`: rubric checks,
verifier checks, reference and off-topic scores). For one document the metric is the mean over its
rounds (a round with no candidate counts 0). The DSPy metric built on it (alone or combined with the gap
metric) is `metrics.metric.make_metric`.

`valid_candidate` is the validity the compile report counts: a candidate that passed the programmatic
rubric checks and every check of the LM verifier (the judge sanity checks are not part of it).
"""

from __future__ import annotations

from collections.abc import Sequence

from programs.records import RoundRecord, VerifierReport


def round_validation(record: RoundRecord) -> float:
    if record.verifier is None or record.verifier.validation is None:
        return 0.0
    return record.verifier.validation


def mean_validation(rounds: Sequence[RoundRecord]) -> float:
    """Mean rubric validation over the rounds (0 with no rounds), rounded to six decimals."""
    return round(sum(round_validation(r) for r in rounds) / len(rounds), 6) if rounds else 0.0


def valid_candidate(report: VerifierReport | None) -> bool:
    """True when the rubric checks found no problem and the verifier ran with every check of its gate true
    (every check, on records written before the gate existed); checks outside the gate are advice."""
    if report is None or report.rubric_problems or not report.checks:
        return False
    return all(report.gated().values())
