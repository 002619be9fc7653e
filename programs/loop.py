"""The per-document Agentic Self-Instruct loop as one DSPy module.

Per round: the challenger proposes; the rubric checks, the verifier and the judge sanity checks gate it;
the weak solver answers N times and the judge scores each answer; only if the weak solver failed does the
strong solver answer; the injected policy decides. Every failed round feeds the next attempt, until one
is accepted or the round budget ends. Infrastructure errors are retried and not counted as candidates;
a reply that does not parse becomes an "invalid" round; permanent LM errors raise `FatalLMError`.

Only the challenger and verifier are trainable. Solvers and judge are frozen modules, and the policy is
plain code, so no optimizer can change how candidates are measured or accepted.
"""

from __future__ import annotations

import time
from fractions import Fraction

import dspy

from programs.challenger import Challenger
from programs.feedback import render_feedback
from programs.hooks import current as current_hooks
from programs.judge import Judge
from programs.parallel import map_parallel
from programs.policy import Policy
from programs.records import Attempt, Candidate, Decision, RoundRecord, VerifierReport
from programs.retry import RoleCaller, RoundFailure
from programs.solver import Solver
from programs.usage import UsageMeter
from programs.verifier import CHECKS, QualityVerifier

# The loop's role modules (attributes of AgenticSelfInstruct), each bound to its own LM.
LOOP_ROLES = ("challenger", "verifier", "weak", "strong", "judge")
OFFTOPIC_ANSWER = (
    "It depends on many factors. In general, more data and better models help, and further research "
    "is needed to say more."
)


class AgenticSelfInstruct(dspy.Module):
    def __init__(
        self,
        policy: Policy,
        max_rounds: int = 4,
        n_samples: int = 3,
        sample_temperature: float = 1.0,
        weak_first: bool = True,
        sanity_checks: bool = True,
        strong_reasoning: bool = False,
        strong_sees_document: bool = False,
        infra_retries: int = 2,
        sample_workers: int = 1,
        backoff: float = 1.0,
        judge: dspy.Module | None = None,
        verifier_gate: tuple[str, ...] = CHECKS,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # dspy.Module.__init__ is unannotated
        # Any module whose forward(document, rubric_rules, feedback) returns a Candidate (baselines swap it).
        self.challenger: dspy.Module = Challenger(policy.structure)
        self.verifier = QualityVerifier(gate=verifier_gate)
        self.weak = Solver()
        self.strong = Solver(reasoning=strong_reasoning, sees_document=strong_sees_document)
        # Any protocol of programs.judging; the joint judge when none is given.
        self.judge = judge if judge is not None else Judge(graded=policy.structure.graded)
        self.policy = policy
        self.max_rounds, self.n_samples = max_rounds, n_samples
        self.sample_temperature, self.weak_first = sample_temperature, weak_first
        self.sanity_checks, self.infra_retries = sanity_checks, infra_retries
        self.sample_workers, self.backoff = sample_workers, backoff

    def forward(self, document: str, doc_id: str = "", prior: list[RoundRecord] | None = None) -> dspy.Prediction:
        """Run the rounds for one document. `prior` holds rounds recorded before an interruption: the
        loop continues after them with the same feedback, instead of starting the document over."""
        hooks = current_hooks()
        if prior is None and hooks.resume is not None:
            prior = hooks.resume(self, doc_id)
        rounds: list[RoundRecord] = list(prior or [])
        if any(r.accepted for r in rounds):
            return dspy.Prediction(doc_id=doc_id, rounds=rounds, accepted=next(r for r in rounds if r.accepted))
        for number in range(len(rounds) + 1, self.max_rounds + 1):
            record = self.run_round(document, doc_id, number, [r for r in rounds if not r.accepted])
            rounds.append(record)
            if hooks.observer is not None:
                hooks.observer(record, self)
            if record.accepted:
                break
        accepted = next((r for r in rounds if r.accepted), None)
        return dspy.Prediction(doc_id=doc_id, rounds=rounds, accepted=accepted)

    def run_round(self, document: str, doc_id: str, number: int, failed: list[RoundRecord]) -> RoundRecord:
        meter, started = UsageMeter(), time.monotonic()
        caller = RoleCaller(self, meter, retries=self.infra_retries, backoff=self.backoff)
        record = RoundRecord(doc_id=doc_id, round=number)
        try:
            self._fill(record, caller, document, render_feedback(failed))
        except RoundFailure as failure:
            record.reason, record.detail = failure.reason, failure.detail
        record.errors = caller.errors
        record.usage = meter.snapshot()
        record.seconds = round(time.monotonic() - started, 3)
        return record

    def _fill(self, record: RoundRecord, caller: RoleCaller, document: str, feedback: str) -> None:
        rules = self.policy.structure.render()
        candidate = caller.call("challenger", lambda: self.challenger(document, rules, feedback))
        record.candidate = candidate
        record.verifier = report = self._verify(caller, document, rules, candidate)
        if not report.passed:
            raise RoundFailure("failed_quality", _quality_detail(report))
        record.weak = self._attempts(caller, "weak", self.weak, candidate, document)
        weak_scores = self._exact(candidate, record.weak)
        record.weak_mean = _mean(weak_scores)
        gate = self.policy.weak_gate(weak_scores) if self.weak_first else None
        if gate is not None:
            return _finish(record, gate)
        record.strong = self._attempts(caller, "strong", self.strong, candidate, document)
        _finish(record, self.policy.decide(weak_scores, self._exact(candidate, record.strong)))

    def _exact(self, candidate: Candidate, attempts: list[Attempt]) -> list[Fraction]:
        # Decisions compare exact scores with the thresholds; the stored scores are rounded.
        return [self.policy.exact_score(candidate.rubric, a.verdicts) for a in attempts if a.score is not None]

    def _verify(self, caller: RoleCaller, document: str, rules: str, candidate: Candidate) -> VerifierReport:
        problems = self.policy.check_rubric(candidate)
        if problems:
            rejected = VerifierReport(passed=False, feedback="; ".join(problems), rubric_problems=problems)
            rejected.validation = self.policy.validation(rejected)
            return rejected
        report: VerifierReport = caller.call("verifier", lambda: self.verifier(document, rules, candidate))
        if report.passed and self.sanity_checks:
            report.reference_verdicts = self._verdicts(caller, candidate, candidate.reference_answer)
            report.reference_score = self.policy.score(candidate.rubric, report.reference_verdicts)
            report.offtopic_score = self._judged_score(caller, candidate, OFFTOPIC_ANSWER)
            misses = _misses(candidate, report.reference_verdicts)
            problem = self.policy.sanity_problem(report.reference_score, report.offtopic_score, misses)
            if problem:
                report.passed, report.feedback = False, problem
        report.validation = self.policy.validation(report)
        return report

    def _judged_score(self, caller: RoleCaller, candidate: Candidate, answer: str) -> float:
        return self.policy.score(candidate.rubric, self._verdicts(caller, candidate, answer))

    def _verdicts(self, caller: RoleCaller, candidate: Candidate, answer: str) -> list[float]:
        # The candidate's context and reference answer reach the judge for calibration only (the
        # probability protocol's anchors); no judge prompt ever shows the reference answer.
        return caller.call(
            "judge",
            lambda: self.judge(
                candidate.question,
                candidate.rubric,
                answer,
                context=candidate.context,
                reference=candidate.reference_answer,
            ),
        )

    def _attempts(
        self, caller: RoleCaller, role: str, solver: Solver, candidate: Candidate, document: str
    ) -> list[Attempt]:
        def one(sample: int) -> Attempt:
            try:
                answer = caller.call(
                    role,
                    lambda: solver(
                        candidate.context, candidate.question, sample, self.sample_temperature, document=document
                    ),
                )
            except RoundFailure as failure:
                return Attempt(answer="", error=f"{role}: {failure.detail}")
            try:
                verdicts = self._verdicts(caller, candidate, answer)
            except RoundFailure as failure:
                return Attempt(answer=answer, error=f"judge: {failure.detail}")
            return Attempt(answer=answer, verdicts=verdicts, score=self.policy.score(candidate.rubric, verdicts))

        attempts = map_parallel(one, list(range(self.n_samples)), self.sample_workers)
        if not _scores(attempts):
            raise RoundFailure("error", f"no {role} attempt could be scored: {attempts[0].error}")
        return attempts


def _scores(attempts: list[Attempt]) -> list[float]:
    return [a.score for a in attempts if a.score is not None]


def _mean(values: list[Fraction]) -> float:
    return round(float(sum(values, Fraction(0)) / len(values)), 6)


def _finish(record: RoundRecord, decision: Decision) -> None:
    record.accepted, record.reason, record.detail = decision.accepted, decision.reason, decision.detail
    record.direction = decision.direction
    for key in ("weak_mean", "strong_mean", "gap"):  # the means the decision was taken on
        if getattr(decision, key) is not None:
            setattr(record, key, getattr(decision, key))


def _misses(candidate: Candidate, verdicts: list[float]) -> list[str]:
    """The criteria an answer fails by its verdicts: points it does not fully make, mistakes it makes."""
    return [c.criterion for c, v in zip(candidate.rubric, verdicts, strict=True) if (v < 1 if c.weight > 0 else v > 0)]


def _quality_detail(report: VerifierReport) -> str:
    if report.rubric_problems:
        return "rubric: " + "; ".join(report.rubric_problems)
    failed = [name for name, ok in report.gated().items() if not ok]
    prefix = f"verifier rejected ({', '.join(failed)})" if failed else "sanity check failed"
    return f"{prefix}: {report.feedback}" if report.feedback else prefix


__all__ = ["LOOP_ROLES", "OFFTOPIC_ANSWER", "AgenticSelfInstruct"]
