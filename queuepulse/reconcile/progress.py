"""A small terminal progress bar for backfills: periods done / total, CDR rows, corrections."""

from __future__ import annotations

import sys
from typing import TextIO

__all__ = ["NullProgress", "Progress", "TextProgress"]


class Progress:
    """What the backfill reports; the base class reports nothing."""

    def start(self, total: int, done: int) -> None:
        """``total`` periods in range, ``done`` of them already reconciled (skipped)."""

    def advance(self, label: str, cdr_rows: int, corrected: int, inserted: int,
                ok: bool) -> None:
        """One more period finished (``ok`` False: it failed)."""

    def finish(self) -> None:
        """The backfill ended (completed, stopped or failed)."""


NullProgress = Progress


class TextProgress(Progress):
    """``[#####.....] 12/40 periods  8,312 CDR rows  57 corrected  9 inserted  0 failed``.

    On a terminal the line is redrawn in place; elsewhere one line per period is printed.
    """

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self._stream = stream or sys.stderr
        self._width = width
        self._tty = bool(getattr(self._stream, "isatty", lambda: False)())
        self.total = self.done = self.rows = self.corrected = self.inserted = self.failed = 0

    def start(self, total: int, done: int) -> None:
        """Show the starting point (periods already done count as done)."""
        self.total, self.done = total, done
        self._draw("resuming" if done else "starting")

    def advance(self, label: str, cdr_rows: int, corrected: int, inserted: int,
                ok: bool) -> None:
        """Count one period and redraw."""
        self.done += 1
        self.rows += cdr_rows
        self.corrected += corrected
        self.inserted += inserted
        self.failed += 0 if ok else 1
        self._draw(label)

    def finish(self) -> None:
        """End the line."""
        if self._tty:
            self._stream.write("\n")
        self._stream.flush()

    def line(self, label: str = "") -> str:
        """The current progress line."""
        filled = self._width * self.done // self.total if self.total else self._width
        bar = "#" * filled + "." * (self._width - filled)
        text = (f"[{bar}] {self.done}/{self.total} periods  {self.rows:,} CDR rows  "
                f"{self.corrected:,} corrected  {self.inserted:,} inserted  "
                f"{self.failed} failed")
        return f"{text}  {label}" if label else text

    def _draw(self, label: str) -> None:
        if self._tty:
            self._stream.write("\r" + self.line(label) + "\x1b[K")
        else:
            self._stream.write(self.line(label) + "\n")
        self._stream.flush()
