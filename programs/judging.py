"""How the judge reaches its verdicts: the protocol settings and the one factory every command uses.

Protocols (all return one verdict per rubric criterion, in rubric order, and never see the reference
answer in a prompt):
- `joint`: all criteria in one call, one structured field per criterion (`programs.judge.Judge`);
- `per_criterion`: one call per criterion with a yes/no verdict, so verdicts cannot copy each other and
  criteria cannot be skipped by position (`programs.judge_criterion`);
- `probability`: the same one-criterion prompt, but the verdict is read from the model's next-token
  probabilities P(yes) / (P(yes) + P(no)) instead of sampled, then calibrated
  (`programs.judge_probability`);
- `likelihood`: per criterion, the log-likelihood of the criterion's own text as the model's restatement
  of the answer, read from token log-probabilities (nothing is generated) and anchored per rubric like
  the probability protocol (`programs.judge_likelihood`); needs a provider that scores given replies
  (the embedded engine), otherwise the probability protocol is used with one warning;
- `evidence`: one call per criterion that must quote the sentence of the answer making the point; a
  quote that does not occur in the answer means "not met" (`programs.judge_evidence`).

Calibration (probability protocol; the likelihood protocol is always anchored): `fixed` compares P(yes)
with `threshold`; `anchored` places each criterion's threshold between two answers whose verdicts are
known by construction, the candidate's reference answer (meets every positive criterion, makes no listed
mistake) and its context restated as an answer (the problem setup only: on topic, but it makes none of
the points). See docs/judging.md.
This file holds settings and wiring only; it does not call an LM.
"""

from __future__ import annotations

from typing import Literal

import dspy
from pydantic import BaseModel, ConfigDict, Field

PROTOCOLS = ("joint", "per_criterion", "probability", "likelihood", "evidence")


class JudgeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    protocol: Literal["joint", "per_criterion", "probability", "likelihood", "evidence"] = "probability"
    calibration: Literal["anchored", "fixed"] = "anchored"
    # P(yes) threshold of the `fixed` calibration.
    threshold: float = Field(default=0.5, gt=0.0, lt=1.0)
    # How many alternatives of the first reply token to read for P(yes) and P(no).
    top_logprobs: int = Field(default=20, ge=2, le=20)


def make_judge(settings: JudgeSettings, graded: bool = False) -> dspy.Module:
    """The judge module for these settings (frozen: no optimizer edits it)."""
    if settings.protocol == "joint":
        from programs.judge import Judge

        return Judge(graded=graded)
    if settings.protocol == "per_criterion":
        from programs.judge_criterion import CriterionJudge

        return CriterionJudge(graded=graded)
    if settings.protocol == "evidence":
        from programs.judge_evidence import EvidenceJudge

        return EvidenceJudge(graded=graded)
    if settings.protocol == "likelihood":
        from programs.judge_likelihood import LikelihoodJudge

        return LikelihoodJudge(graded=graded, top_logprobs=settings.top_logprobs)
    from programs.judge_probability import ProbabilityJudge

    return ProbabilityJudge(
        graded=graded,
        calibration=settings.calibration,
        threshold=settings.threshold,
        top_logprobs=settings.top_logprobs,
    )
