"""The Bytewax sink of every table: ``(table, row)`` items → :class:`WriteBuffer` → database.

Wire it as ``op.output("store", items, StoreSink(dsn))`` where ``items`` is a stream of
``(table_name, row)`` pairs (rows: mappings or dataclasses whose fields are column names).

``write_batch`` returns only once its rows are committed. While the database is away it retries
with backoff, so the worker — its polling source included — holds until the database is back.
Bytewax closes an epoch (and its recovery snapshot) only after the sink returned, so a flow
killed at any point and resumed loses nothing, and the idempotent upserts absorb what it
replays. Each partition's buffer is listed in :data:`~queuepulse.store.buffer.OPEN_BUFFERS`
while it is open (the pollers' hold check and the metrics read it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bytewax.outputs import DynamicSink, StatelessSinkPartition

from queuepulse.live.commit_latency import CommitRecorder
from queuepulse.store.buffer import OPEN_BUFFERS, Backoff, WriteBuffer, WriteObserver
from queuepulse.store.tables import TableRow
from queuepulse.store.writers import BatchWriter

__all__ = ["StoreSink", "StoreSinkPartition", "store_sink"]


class StoreSinkPartition(StatelessSinkPartition[TableRow]):
    """One worker's writer and buffer."""

    def __init__(self, name: str, buffer: WriteBuffer, writer: BatchWriter) -> None:
        self.name = name
        self.buffer = buffer
        self.writer = writer
        OPEN_BUFFERS.add(name, buffer)

    def write_batch(self, items: list[TableRow]) -> None:
        """Accept the items in their order (a poll's health row stays after its other rows)
        and write them (blocking until committed)."""
        self.buffer.put_items(items)
        self.buffer.flush()

    def close(self) -> None:
        """Write what is left and close the connection."""
        try:
            self.buffer.flush()
        finally:
            OPEN_BUFFERS.remove(self.name)
            self.writer.close()


class StoreSink(DynamicSink[TableRow]):
    """Writes ``(table, row)`` items to TimescaleDB; one connection and buffer per worker.

    ``observer`` sees every write attempt of every partition (see
    :class:`~queuepulse.store.buffer.WriteObserver`).
    """

    def __init__(
        self,
        dsn: str,
        *,
        capacity_rows: int = 200_000,
        batch_rows: int = 5_000,
        hold_ratio: float = 0.8,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] | None = None,
        observer: WriteObserver | None = None,
        name: str = "store",
    ) -> None:
        self._dsn = dsn
        self._capacity = capacity_rows
        self._batch = batch_rows
        self._hold_ratio = hold_ratio
        self._backoff = backoff
        self._sleep = sleep
        self._observer = observer
        self._name = name

    def __repr__(self) -> str:  # the DSN may carry a password: never show it
        return f"StoreSink(name={self._name!r})"

    def build(
        self, step_id: str, worker_index: int, worker_count: int
    ) -> StoreSinkPartition:
        """A partition for one worker."""
        writer = BatchWriter.from_dsn(self._dsn)
        kwargs: dict[str, Any] = {}
        if self._sleep is not None:
            kwargs["sleep"] = self._sleep
        buffer = WriteBuffer(
            writer,
            capacity_rows=self._capacity,
            batch_rows=self._batch,
            hold_ratio=self._hold_ratio,
            backoff=self._backoff,
            observer=self._observer,
            **kwargs,
        )
        return StoreSinkPartition(f"{self._name}/{step_id}/{worker_index}", buffer, writer)


def store_sink(
    dsn: str, *, batch_rows: int = 5000, buffer_rows: int = 200_000,
    recorder: CommitRecorder | None = None,
) -> StoreSink:
    """The live flow's store sink: ``recorder`` stamps each poll's ``pipeline_health`` row with
    what was committed before it and measures poll-to-commit latency."""
    return StoreSink(dsn, capacity_rows=buffer_rows, batch_rows=batch_rows,
                     observer=recorder or CommitRecorder())
