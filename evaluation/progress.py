"""Progress of long work, shown the same way whoever started it.

Work functions take a ``progress(message, fraction)`` callback. The CLI passes a
``ConsoleProgress`` (a bar on a terminal, one line per step otherwise); the dashboard passes a
function that updates ``st.progress``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

from babel.numbers import format_decimal

from evaluation.vocabulary import language, numbers

Progress = Callable[[str, float], None]
"""``progress(message, fraction)``: what the work is doing now, and how far it is (0–1)."""


def no_progress(message: str, fraction: float) -> None:
    """A ``Progress`` that shows nothing, for callers that did not ask to follow the work."""
    return None


def scaled(progress: Progress, lo: float, hi: float) -> Progress:
    """``progress`` for one step of a larger piece of work that runs from ``lo`` to ``hi``."""
    return lambda message, fraction: progress(message, lo + (hi - lo) * fraction)


class ConsoleProgress:
    """A progress bar on stderr; plain lines when stderr is not a terminal."""

    def __init__(self, stream: TextIO | None = None, width: int = 28) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = self.stream.isatty()
        self.last_message = ""
        self.last_draw = 0.0
        self.started = time.monotonic()

    def __call__(self, message: str, fraction: float) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        if self.tty:
            now = time.monotonic()
            if message == self.last_message and now - self.last_draw < 0.1 and fraction < 1:
                return
            self.last_draw = now
            done = int(self.width * fraction)
            bar = "█" * done + "░" * (self.width - done)
            line = f"\r{bar} {_percent(fraction):>5} {message[:60]:<60}"
            self.stream.write(line)
            if fraction >= 1.0:
                self.stream.write("\n")
        elif message != self.last_message:
            elapsed = time.monotonic() - self.started
            self.stream.write(f"[{_percent(fraction):>5} {_seconds(elapsed):>7}] {message}\n")
        self.last_message = message
        self.stream.flush()

    def done(self) -> None:
        """End the bar's line (a terminal only)."""
        if self.tty and self.last_message:
            self.stream.write("\n")
            self.stream.flush()


def _percent(fraction: float) -> str:
    """How far the work is, in the language of the moment: ``48 %``."""
    return numbers.percent(fraction, language.current())


def _seconds(elapsed: float) -> str:
    """The time the work has taken so far: ``12.5s`` / ``12,5s``."""
    return format_decimal(elapsed, format="#,##0.0", locale=language.current()) + "s"
