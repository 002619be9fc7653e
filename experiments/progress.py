"""Live progress for long runs: phase, documents done, rounds, accepted, tokens, elapsed and ETA.

On a terminal it redraws one status line; elsewhere (CI, files) it prints a plain line per round. Quiet
mode prints nothing but the final summary (which the caller prints). Thread-safe.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class Progress:
    def __init__(self, quiet: bool = False, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._lock = threading.Lock()
        self.phase, self.total, self.done = "", 0, 0
        self.rounds = self.accepted = self.tokens = 0
        self.started = self.phase_started = time.monotonic()

    def start_phase(self, phase: str, total_docs: int) -> None:
        with self._lock:
            self.phase, self.total, self.done = phase, total_docs, 0
            self.phase_started = time.monotonic()
        self.note(f"== {phase}: {total_docs} document(s)")

    def note(self, text: str) -> None:
        if self.quiet:
            return
        with self._lock:
            if self.tty:
                self.stream.write("\r\033[K")
            self.stream.write(text + "\n")
            self.stream.flush()

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
        elapsed = time.monotonic() - self.started
        phase_elapsed = time.monotonic() - self.phase_started
        eta = ""
        if 0 < self.done < self.total:
            eta = f", ETA {(phase_elapsed / self.done) * (self.total - self.done):.0f}s"
        return (
            f"[{self.phase}] docs {self.done}/{self.total}, rounds {self.rounds}, accepted {self.accepted}, "
            f"tokens {self.tokens:,}, {elapsed:.0f}s elapsed{eta}"
        )

    def _redraw(self) -> None:
        if self.quiet or not self.tty:
            return
        with self._lock:
            self.stream.write("\r\033[K" + self.status())
            self.stream.flush()
