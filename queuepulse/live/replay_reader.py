"""The replay source's reader: JSON Lines records → source items, resumable by offset.

``queuepulse replay`` feeds a recording (see :mod:`queuepulse.xapi.replay_file`) through the live
flow. :class:`ReplayReader` turns ``active_calls`` records into :class:`PollItem` (through
:func:`~queuepulse.domain.snapshot.poll_from_body`, the parser the live poller uses) and
``queues``/``users`` records into :class:`ConfigItem`. A ``queues`` record directly followed by
the same PBX's ``users`` record is one fetch (the recorder and the live flow's recording write
them so), replayed as one item at the Queues' receive time, as the live poller sends it; a record
of one kind alone carries the latest body of the other kind, per PBX. Its
:class:`ReplayPosition` — records consumed and those latest bodies — is the source partition's
recovery snapshot, so a resumed replay continues with the record after the last snapshot.

A malformed line is logged and skipped (counted in :attr:`ReplayReader.skipped_lines`), never
fatal: one damaged line must not stop a day's replay.

``speed`` paces the replay by the recorded receive times (``2.0`` = twice as fast as recorded);
``None`` replays as fast as the flow takes it.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from queuepulse.domain.pbx_config import collection_rows
from queuepulse.domain.snapshot import poll_from_body
from queuepulse.live.items import ConfigItem, PollItem, PresenceItem, SourceItem
from queuepulse.xapi.errors import ReplayFormatError
from queuepulse.xapi.replay_file import ReplayRecord, iter_replay

__all__ = ["ReplayPosition", "ReplayReader"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplayPosition:
    """How far a replay got: records consumed and the latest config bodies per PBX."""

    offset: int = 0
    queues: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    users: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)


class ReplayReader:
    """Reads one replay path (file or directory of rotated files) from a position."""

    def __init__(
        self,
        path: str | Path,
        position: ReplayPosition | None = None,
        *,
        speed: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed is not None and speed <= 0:
            raise ValueError(f"replay speed must be > 0, got {speed}")
        self.path = Path(path)
        pos = position or ReplayPosition()
        self._offset = pos.offset
        self._queues: dict[str, tuple[Any, ...]] = dict(pos.queues)
        self._users: dict[str, tuple[Any, ...]] = dict(pos.users)
        self.skipped_lines = 0
        self._records: Iterator[ReplayRecord] = itertools.islice(
            iter_replay(self.path, on_bad_line=self._skip), pos.offset, None)
        self._peek: ReplayRecord | None = None
        self._done = False
        self._speed = speed
        self._clock = clock
        self._origin: tuple[float, datetime] | None = None

    def _skip(self, error: ReplayFormatError) -> None:
        self.skipped_lines += 1
        log.warning("replay: skipped a malformed line",
                    extra={"error": str(error), "skipped_lines": self.skipped_lines})

    @property
    def position(self) -> ReplayPosition:
        """The current position (the partition's snapshot)."""
        return ReplayPosition(self._offset, dict(self._queues), dict(self._users))

    @property
    def exhausted(self) -> bool:
        """Every record was read."""
        return self._done and self._peek is None

    def _next_record(self) -> ReplayRecord | None:
        if self._peek is None and not self._done:
            self._peek = next(self._records, None)
            if self._peek is None:
                self._done = True
        return self._peek

    def _due_in(self, record: ReplayRecord) -> float:
        """Seconds until ``record`` is due under pacing (<= 0: now)."""
        if self._speed is None:
            return 0.0
        now = self._clock()
        if self._origin is None:
            self._origin = (now, record.received_at)
        start, first = self._origin
        recorded = (record.received_at - first).total_seconds() / self._speed
        return recorded - (now - start)

    def wait_s(self) -> float:
        """Seconds until the next record is due (0 if due or exhausted)."""
        record = self._next_record()
        return 0.0 if record is None else max(0.0, self._due_in(record))

    def read(self, limit: int = 64) -> list[SourceItem]:
        """Up to ``limit`` items that are due, in file order."""
        out: list[SourceItem] = []
        while len(out) < limit:
            record = self._next_record()
            if record is None or self._due_in(record) > 0:
                break
            self._take()
            item = self._item(record)
            if item is not None:
                out.append(item)
        return out

    def _take(self) -> None:
        self._peek = None
        self._offset += 1

    def _item(self, record: ReplayRecord) -> SourceItem | None:
        pbx = record.pbx_id
        received_at = record.received_at.astimezone(UTC)
        if record.kind == "active_calls":
            return PollItem(poll_from_body(pbx, received_at, record.body))
        if record.kind == "presence":
            return PresenceItem(pbx, received_at, collection_rows(record.body))
        if record.kind == "queues":
            self._queues[pbx] = collection_rows(record.body)
            paired = self._next_record()
            if paired is not None and paired.kind == "users" and paired.pbx_id == pbx:
                self._take()
                self._users[pbx] = collection_rows(paired.body)
        else:
            self._users[pbx] = collection_rows(record.body)
            if pbx not in self._queues:
                return None  # users before any queues: wait for the queues
        return ConfigItem(pbx, received_at, self._queues[pbx], self._users.get(pbx))
