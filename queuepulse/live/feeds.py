"""The snapshot-source interface: a *feed* is what one source partition reads from.

A feed never blocks. The Bytewax partition (``flows.sources.FeedPartition``) calls
:meth:`SnapshotFeed.read` for what is ready, :meth:`SnapshotFeed.wait_s` to schedule its next
wake-up, :meth:`SnapshotFeed.snapshot` for its recovery state. ActiveCalls polling
(:class:`PollerFeed` around :class:`~queuepulse.live.poller.PbxPoller`) and replay
(:class:`~queuepulse.live.replay_reader.ReplayReader`, through :class:`ReplayFeed`) are two
implementations; a Call Control WebSocket adapter would be a third, yielding the same items.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from queuepulse.live.items import SourceItem
from queuepulse.live.poller import PbxPoller
from queuepulse.live.replay_reader import ReplayReader

__all__ = ["PollerFeed", "ReplayFeed", "SnapshotFeed"]


class SnapshotFeed(Protocol):
    """One partition's supply of :data:`~queuepulse.live.items.SourceItem`."""

    def read(self, limit: int) -> list[SourceItem]:
        """What is ready now (at most ``limit`` items); never waits."""

    def wait_s(self) -> float:
        """Seconds until more may be ready (0: ask again now)."""

    @property
    def finished(self) -> bool:
        """Nothing more will ever come (the partition ends)."""

    def snapshot(self) -> Any:
        """The recovery state to resume from (``None``: nothing to resume)."""

    def close(self) -> None:
        """Release threads and files."""


class PollerFeed:
    """A live poller as a feed (no resumable state: polling continues from now)."""

    def __init__(
        self, poller: PbxPoller, max_wait_s: float = 0.25, in_flight_wait_s: float = 0.01
    ) -> None:
        self.poller = poller
        self.max_wait_s = max_wait_s
        self.in_flight_wait_s = in_flight_wait_s

    def read(self, limit: int) -> list[SourceItem]:
        """Drain the poller's queue; re-raise a poller thread's failure."""
        items = self.poller.drain(limit)
        if not items and self.poller.error is not None:
            raise RuntimeError(
                f"the poller of PBX {self.poller.pbx_id} failed: {self.poller.error}"
            ) from self.poller.error
        return items

    def wait_s(self) -> float:
        """Until the next poll is due (at most ``max_wait_s``, which bounds how late a stop
        request is seen); ``in_flight_wait_s`` while a due poll's response is awaited.

        Every wake-up is a ``next_batch`` call through Bytewax: with hundreds of PBXs in one
        process, waking each partition every 50 ms (and every 2 ms while a poll was in flight)
        made tens of thousands of empty calls a second.
        """
        if self.poller.has_items():
            return 0.0
        due = self.poller.next_due().timestamp() - time.time()
        if due <= 0:
            return self.in_flight_wait_s
        return min(self.max_wait_s, due)

    @property
    def finished(self) -> bool:
        """The poller stopped and was drained."""
        return self.poller.finished

    def snapshot(self) -> Any:
        """Live polls cannot be replayed: nothing to resume."""
        return None

    def close(self) -> None:
        """Stop the poller thread."""
        self.poller.stop()


class ReplayFeed:
    """A replay reader as a feed (its position is the recovery state)."""

    def __init__(self, reader: ReplayReader, max_wait_s: float = 0.05) -> None:
        self.reader = reader
        self.max_wait_s = max_wait_s

    def read(self, limit: int) -> list[SourceItem]:
        """The next due records as items."""
        return self.reader.read(limit)

    def wait_s(self) -> float:
        """0 when a record is due, else until the next one (paced replays)."""
        return min(self.max_wait_s, self.reader.wait_s())

    @property
    def finished(self) -> bool:
        """Every record was read."""
        return self.reader.exhausted

    def snapshot(self) -> Any:
        """The reader's position."""
        return self.reader.position

    def close(self) -> None:
        """Nothing to release (the file is read lazily)."""
