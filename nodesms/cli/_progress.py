"""A progress bar on stderr, drawn only when stderr is a terminal.

Scripts and pipes get no bar and no control characters: their stderr stays free for the one
error line. The bar is redrawn at most ten times a second, so a fast walk is not slowed by
terminal writes.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

__all__ = ["Progress"]

_REDRAW_EVERY = 0.1  # seconds
_BAR_WIDTH = 30


class Progress:
    """``with Progress("export", total=n) as bar: bar.advance(k)``.

    ``total`` may be ``None`` (unknown) or set later; the bar then shows a count only.
    """

    def __init__(self, label: str, total: int | None = None, *, out: TextIO | None = None):
        self.label = label
        self.total = total
        self.done = 0
        self._out = out if out is not None else sys.stderr
        self.enabled = _is_terminal(self._out)
        self._started = time.monotonic()
        self._drawn = 0.0

    def advance(self, count: int = 1) -> None:
        self.done += count
        if self.enabled and time.monotonic() - self._drawn >= _REDRAW_EVERY:
            self._draw()

    def _draw(self) -> None:
        self._drawn = time.monotonic()
        elapsed = self._drawn - self._started
        if self.total:
            share = min(self.done / self.total, 1.0)
            filled = int(share * _BAR_WIDTH)
            bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
            text = f"{self.label} [{bar}] {self.done:,}/{self.total:,} {elapsed:5.1f}s"
        else:
            text = f"{self.label} {self.done:,} {elapsed:5.1f}s"
        self._out.write(f"\r\x1b[2K{text}")
        self._out.flush()

    def __enter__(self) -> Progress:
        if self.enabled:
            self._draw()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.enabled:
            if exc_type is None:
                self._draw()
                self._out.write("\n")
            else:  # leave the line clean for the error message
                self._out.write("\r\x1b[2K")
            self._out.flush()


def _is_terminal(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False
