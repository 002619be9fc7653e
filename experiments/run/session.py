"""One run session: the setup every command's LM work goes through, in one order, for all seven commands.

`with Session(cfg, out, "compile", ...) as s:` sets up, in this order:
1. the embedded models the session's roles use are checked (`ensure_embedded`): missing model packages
   fail here, with one line, before anything is written (skipped when the caller gives `lms`, as tests do);
2. one LM per role is built (`s.lms`); `s.bind(program)` gives a harness its role LMs;
3. DSPy is configured once, from this thread: JSON adapter, usage tracking, and the LM cache unless
   `use_cache=False` (`--no-cache`);
4. `config.json` (the resolved config, key names only) is written to `out` (unless `write_config=False`:
   re-judging a recorded run leaves its config as it was);
5. the progress display is shown (`s.progress`), tracking is opened (`s.tracker`: one MLflow run named
   `<command>-<out>` unless `run_name` says otherwise, tagged with the command and preset, the config as
   its params; `attach_to` logs into an existing run instead; a command resumed in the same `out` links
   its run to the earlier one named in `mlflow_run.json` and ends it as KILLED if no process ended it),
   and the round sink writes to `out`
   (`s.sink`; none with `sink=False`, for work that runs no loop: the judge alone).
`with s.running():` installs the run's hooks for the LM work inside the block: the budget (`budget.*`,
`s.budget`) and the per-role limits (`models.<role>.{max_concurrent,rpm,tpm}`). A budget stop ends the
block cleanly: it is noted, kept in `s.stopped_by` (and as the run's `autodata.stopped_by` tag), and
the command writes its outputs after the block, outside the hooks. `s.phase(...)` makes a phase's
context with the run's preset and thresholds, and `s.run_phase(...)` runs it with the run's `workers`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TypedDict

import dspy

from experiments.config import ROLES, RunConfig
from experiments.corpus import CorpusLoad
from experiments.lms.factory import build_lms, ensure_embedded
from experiments.records.files import atomic_write_json
from experiments.records.progress import Progress
from experiments.records.sink import PhaseContext, RoundSink
from experiments.report.costs import prices
from experiments.run.budget import BudgetGuard
from experiments.run.build import bind_lms, configure_dspy, role_limits, thresholds
from experiments.run.phase import DocOutcome, run_phase
from experiments.tracking import Tracker
from programs import hooks
from programs.budget import BudgetExceeded
from programs.loop import AgenticSelfInstruct
from programs.structure import RubricStructure

MLFLOW_RUN_FILE = "mlflow_run.json"


class RunOptions(TypedDict, total=False):
    """How a command runs, apart from its config (every command function takes these as keywords)."""

    lms: dict[str, dspy.LM] | None  # one LM per role instead of the configured models (tests)
    use_cache: bool  # DSPy's LM cache (--no-cache: False)
    quiet: bool  # only warnings and the final summary (--quiet)
    progress: Progress | None  # a progress display of the caller's


class Session:
    def __init__(
        self,
        cfg: RunConfig,
        out: Path,
        command: str,
        *,
        lms: dict[str, dspy.LM] | None = None,
        roles: Iterable[str] = ROLES,
        use_cache: bool = True,
        quiet: bool = False,
        progress: Progress | None = None,
        run_name: str | None = None,
        tags: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        attach_to: str | None = None,
        sink: bool = True,
        write_config: bool = True,
    ):
        self.cfg, self.out, self.command, self.roles = cfg, out, command, tuple(roles)
        self.use_cache, self.params = use_cache, params or {}
        self._make_sink, self._write_config = sink, write_config
        self.progress = progress or Progress(quiet=quiet)
        tags = {"autodata.command": command, "autodata.preset": cfg.preset, **(tags or {})}
        self.tracker = Tracker(cfg.tracking, run_name or f"{command}-{out.name}", tags, attach_to=attach_to)
        self.budget = BudgetGuard(cfg.budget, prices(cfg))
        self.limits = role_limits(cfg)
        self.thresholds = thresholds(cfg)
        self.lms: dict[str, dspy.LM] = dict(lms) if lms is not None else {}
        self._given_lms = lms is not None
        self._sink: RoundSink | None = None
        self._stack = contextlib.ExitStack()
        self.stopped_by: str | None = None

    def __enter__(self) -> Session:
        if not self._given_lms:
            ensure_embedded(self.cfg.models, self.roles)
            self.lms = build_lms(self.cfg.models, self.roles)
        configure_dspy(self.cfg, use_cache=self.use_cache)
        self.out.mkdir(parents=True, exist_ok=True)
        if self._write_config:
            atomic_write_json(self.out / "config.json", self.cfg.public_dict())
        with contextlib.ExitStack() as stack:
            stack.enter_context(self.progress.display())
            stack.enter_context(self.tracker)
            if self.tracker.owned:
                self.tracker.log_params(self.tracker.parent_id, {**self.cfg.flat(), **self.params})
                self._link_earlier_run()
            if self._make_sink:
                self._sink = RoundSink(self.out, self.tracker, self.progress)
            self._stack = stack.pop_all()
        return self

    def _link_earlier_run(self) -> None:
        # MLFLOW_RUN_FILE names the parent run of the last process in this directory: a resumed command
        # links to it, and ends it as KILLED when the process that made it died without ending it.
        path = self.out / MLFLOW_RUN_FILE
        try:
            earlier = json.loads(path.read_text("utf-8")) if path.exists() else None
        except ValueError:  # an unreadable file only loses the link to the earlier run
            earlier = None
        if isinstance(earlier, dict) and earlier.get("tracking_uri") == self.tracker.uri and earlier.get("run_id"):
            self.tracker.supersede(str(earlier["run_id"]))
        if self.tracker.parent_id:
            atomic_write_json(path, {"tracking_uri": self.tracker.uri, "run_id": self.tracker.parent_id})

    def __exit__(self, *exc: Any) -> bool | None:
        return self._stack.__exit__(*exc)

    @property
    def sink(self) -> RoundSink:
        if self._sink is None:
            raise RuntimeError("this session has no round sink (it is not open, or was made with sink=False)")
        return self._sink

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """The run's budget and limits for the block; a budget stop ends the block, not the command."""
        with hooks.installed(budget=self.budget, limits=self.limits):
            try:
                yield
            except BudgetExceeded as stop:
                self.stopped_by = str(stop)
                self.progress.note(f"stopped: {stop}; every output so far is written")
                if self.tracker.owned:
                    self.tracker.set_tags(self.tracker.parent_id, {"autodata.stopped_by": self.stopped_by})

    def bind(self, program: AgenticSelfInstruct) -> AgenticSelfInstruct:
        return bind_lms(program, self.lms)

    def note(self, text: str) -> None:
        self.progress.note(text)

    def note_corpus(self, corpus: CorpusLoad, also: str = "") -> None:
        """The corpus summary (and `also`), then every source the loader skipped, as progress notes."""
        self.note(f"corpus: {corpus.summary()}{also}")
        for source, reason in corpus.skipped:
            self.note(f"skipped {source}: {reason}")

    def phase(
        self,
        name: str,
        structure: RubricStructure,
        splits: dict[str, str],
        *,
        run_id: str | None = None,
        trial: int | None = None,
    ) -> PhaseContext:
        """A phase's context: its rows are stamped with the run's preset and thresholds; its round metrics
        go to `run_id` (default: the command's run)."""
        run = run_id if run_id is not None else self.tracker.parent_id
        return PhaseContext(name, run, splits, self.cfg.acceptance.preset, self.thresholds, structure, trial=trial)

    def run_phase(self, program: AgenticSelfInstruct, docs: list[Any], ctx: PhaseContext) -> list[DocOutcome]:
        return run_phase(program, docs, self.sink, ctx, workers=self.cfg.workers)
