"""A local-disk queue of rows waiting for the database: the overflow of a write buffer.

While the database is away the live flow keeps polling; its write buffer holds rows in memory
up to a bound and appends the rest here (:class:`DiskSpool`). Rows come back out in the order
they went in: one segment file per append, read oldest first, deleted only once its rows are
committed (so a crash re-reads it and the idempotent upserts absorb the repeat). A spool found
at start (left by a killed or stopped process) is drained first.

Segments are pickles of ``(table, row)`` lists named ``<seq>-<rows>.seg``, written to a
temporary name and renamed, so a half-written segment is never read. The spool is bounded by
``max_bytes``; when it is full or the disk is, :meth:`DiskSpool.append` raises
:class:`SpoolFullError` with a clear message (the buffer then holds the rows in memory and asks
the pollers to hold). Only this process writes its spool directory.
"""

from __future__ import annotations

import os
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

from queuepulse.errors import QueuepulseError
from queuepulse.store.tables import TableRow

__all__ = ["DiskSpool", "SpoolFullError", "SpoolSegment"]

_SEGMENT = re.compile(r"^(\d{12})-(\d+)\.seg$")


class SpoolFullError(QueuepulseError):
    """The spool cannot take more rows: its size bound is reached or the disk is full."""


@dataclass(frozen=True)
class SpoolSegment:
    """One segment file: its path, sequence number, rows and size."""

    path: Path
    seq: int
    rows: int
    size: int


class DiskSpool:
    """Ordered segments of rows in ``directory`` (created on first use), at most ``max_bytes``."""

    def __init__(self, directory: Path, *, max_bytes: int = 1 << 30) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self._segments: list[SpoolSegment] = []
        if self.directory.is_dir():
            for path in sorted(self.directory.iterdir()):
                m = _SEGMENT.match(path.name)
                if m is None:
                    if path.name.endswith(".tmp"):  # a write cut short by a crash: never read
                        path.unlink(missing_ok=True)
                    continue
                self._segments.append(SpoolSegment(path, int(m.group(1)), int(m.group(2)),
                                                   path.stat().st_size))
        self._next_seq = self._segments[-1].seq + 1 if self._segments else 1

    # --- sizes -----------------------------------------------------------------------------

    @property
    def rows(self) -> int:
        """Rows in the spool."""
        return sum(s.rows for s in self._segments)

    @property
    def bytes(self) -> int:
        """Bytes of the spool's segment files."""
        return sum(s.size for s in self._segments)

    @property
    def segments(self) -> int:
        """Segment files in the spool."""
        return len(self._segments)

    def __bool__(self) -> bool:
        return bool(self._segments)

    # --- in and out ------------------------------------------------------------------------

    def append(self, items: list[TableRow]) -> None:
        """Append ``items`` as one segment. :class:`SpoolFullError` when the bound or the disk
        is reached (nothing is written then)."""
        if not items:
            return
        data = pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL)
        if self.bytes + len(data) > self.max_bytes:
            raise SpoolFullError(
                f"the local spool {self.directory} reached its bound of {self.max_bytes} bytes "
                "(QUEUEPULSE_DB__SPOOL_MAX_BYTES); bring the database back or raise the bound")
        seq = self._next_seq
        path = self.directory / f"{seq:012d}-{len(items)}.seg"
        tmp = path.with_name(path.name + ".tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with tmp.open("wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise SpoolFullError(
                f"cannot write the local spool {self.directory}: {exc.strerror or exc}; "
                "free disk space there or set QUEUEPULSE_DB__SPOOL_DIR") from None
        self._next_seq = seq + 1
        self._segments.append(SpoolSegment(path, seq, len(items), len(data)))

    def oldest(self) -> tuple[SpoolSegment, list[TableRow]] | None:
        """The oldest segment and its rows (not removed: :meth:`remove` it once committed). A
        segment that cannot be read is moved aside as ``*.bad`` and the next one is returned."""
        while self._segments:
            segment = self._segments[0]
            try:
                items = pickle.loads(segment.path.read_bytes())  # noqa: S301 - our own file
                if not isinstance(items, list):
                    raise TypeError(type(items).__name__)
                return segment, items
            except FileNotFoundError:
                self._segments.pop(0)
            except Exception:  # a damaged file must not stop the drain
                self._segments.pop(0)
                segment.path.replace(segment.path.with_name(segment.path.name + ".bad"))
        return None

    def remove(self, segment: SpoolSegment) -> None:
        """Delete a segment whose rows are committed."""
        if self._segments and self._segments[0] == segment:
            self._segments.pop(0)
        else:
            self._segments = [s for s in self._segments if s != segment]
        segment.path.unlink(missing_ok=True)
