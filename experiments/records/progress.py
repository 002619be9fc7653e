"""One progress display for a whole run: phase or trial, documents, rounds, accepted, tokens, ETA.

On a terminal it keeps one status line at the bottom and prints notes and log records above it;
elsewhere (CI, files) it prints a plain line per note and per round, and no status line. Quiet mode
prints nothing but the final summary (which the caller prints). Thread-safe.

`with progress.display():` around a run also silences the libraries' own progress bars (GEPA's and
DSPy's tqdm bars, which they draw unconditionally and which would interleave with this display, as
would `datasets`' bars) and sends log records through the display. tqdm has no switch for bars a
library creates with `disable=False`, so the block makes every tqdm bar created inside it a disabled
one and restores tqdm on exit.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from collections.abc import Iterator
from typing import TextIO

import tqdm.std  # a dependency of dspy


@contextlib.contextmanager
def library_bars_off() -> Iterator[None]:
    """Every tqdm bar created inside the block is disabled (iterating and updating it still work)."""
    cls = tqdm.std.tqdm
    original = cls.__init__

    def disabled(self, *args, **kwargs):
        kwargs["disable"] = True
        original(self, *args, **kwargs)

    cls.__init__ = disabled
    try:
        yield
    finally:
        cls.__init__ = original


class _ThroughDisplay(logging.Handler):
    """Log records printed above the status line instead of through it."""

    def __init__(self, progress: Progress, like: logging.Handler):
        super().__init__(like.level)
        self.progress = progress
        self.setFormatter(like.formatter)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.progress.note(self.format(record), always=True)
        except Exception:  # pragma: no cover - logging must never raise
            self.handleError(record)


class Progress:
    def __init__(self, quiet: bool = False, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._lock = threading.RLock()
        self.phase, self.total, self.done = "", 0, 0
        self.rounds = self.accepted = self.tokens = 0
        self.started = self.phase_started = time.monotonic()
        self._drawn = False

    # --- the run -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def display(self) -> Iterator[Progress]:
        """The run's display: library bars off, log records above the status line, line cleared at the end."""
        swaps = self._log_handlers() if self.tty else []
        for logger, old, new in swaps:
            logger.removeHandler(old)
            logger.addHandler(new)
        try:
            with library_bars_off():
                yield self
        finally:
            for logger, old, new in swaps:
                logger.removeHandler(new)
                logger.addHandler(old)
            self._clear()

    def _log_handlers(self) -> list[tuple[logging.Logger, logging.Handler, logging.Handler]]:
        """Handlers writing to this display's stream: the root's and those of libraries that log on their
        own (MLflow, DSPy), each paired with its replacement that prints above the status line."""
        loggers = [logging.getLogger()] + [
            lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger) and lg.handlers
        ]
        return [
            (lg, h, _ThroughDisplay(self, h))
            for lg in loggers
            for h in list(lg.handlers)
            if isinstance(h, logging.StreamHandler) and getattr(h, "stream", None) is self.stream
        ]

    def start_phase(self, phase: str, total_docs: int) -> None:
        with self._lock:
            self.phase, self.total, self.done = phase, total_docs, 0
            self.phase_started = time.monotonic()
        self.note(f"== {phase}: {total_docs} document(s)")

    def note(self, text: str, always: bool = False) -> None:
        """A line above the status line (or a plain line). `always`: also in quiet mode (warnings)."""
        if self.quiet and not always:
            return
        with self._lock:
            if self.tty and self._drawn:
                self.stream.write("\r\033[K")
            self.stream.write(text + "\n")
            self.stream.flush()
            self._drawn = False
        self._redraw()

    def round_done(self, doc_id: str, line: str, accepted: bool, tokens: int) -> None:
        with self._lock:
            self.rounds += 1
            self.accepted += int(accepted)
            self.tokens += tokens
        if not self.tty:
            self.note(f"[{self.phase}] {doc_id} {line}")
        self._redraw()

    def doc_done(self) -> None:
        with self._lock:
            self.done += 1
        self._redraw()

    def status(self) -> str:
        now = time.monotonic()
        with self._lock:
            elapsed, phase_elapsed = now - self.started, now - self.phase_started
            # Optimizers run documents more often than a phase has documents: then a count, no ETA.
            docs = f"docs {self.done}/{self.total}" if self.done <= self.total else f"document runs {self.done}"
            eta = ""
            if 0 < self.done < self.total:
                eta = f", ETA {(phase_elapsed / self.done) * (self.total - self.done):.0f}s"
            return (
                f"[{self.phase}] {docs}, rounds {self.rounds}, accepted {self.accepted}, "
                f"tokens {self.tokens:,}, {elapsed:.0f}s elapsed{eta}"
            )

    def _redraw(self) -> None:
        if self.quiet or not self.tty:
            return
        with self._lock:
            self.stream.write("\r\033[K" + self.status())
            self.stream.flush()
            self._drawn = True

    def _clear(self) -> None:
        with self._lock:
            if self.tty and self._drawn:
                self.stream.write("\r\033[K")
                self.stream.flush()
                self._drawn = False
