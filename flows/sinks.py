"""The Bytewax sink of every table: ``(table, row)`` items → :class:`WriteBuffer` → database.

Wire it as ``op.output("store", items, StoreSink(dsn))`` where ``items`` is a stream of
``(table_name, row)`` pairs (rows: mappings or dataclasses whose fields are column names).

Two modes. Without a spool directory ``write_batch`` returns only once its rows are committed:
while the database is away it retries with backoff, so the worker — its polling source
included — holds until the database is back. With one (the live flow's default), polling and
computing go on while the database is away: ``write_batch`` accepts the rows, writes what it can
within a short budget and returns; rows wait in memory up to ``capacity_rows`` and then on local
disk (:class:`~queuepulse.store.spool.DiskSpool`), and are written in order once the database is
back — including by the next process when this one stopped first.

A row the database refuses for its data is isolated from its batch and kept in
``write_dead_letters``; the rest of the batch is written. ``close`` never raises: Bytewax calls
it while unwinding from an error too, and a second error there aborts the process before the
first is logged. What cannot be written at close is spilled to the spool (or logged as lost when
there is none). Each partition's buffer is listed in :data:`~queuepulse.store.buffer.OPEN_BUFFERS`
while it is open (the pollers' hold check and the metrics read it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bytewax.outputs import DynamicSink, StatelessSinkPartition

from queuepulse.live.commit_latency import CommitRecorder
from queuepulse.store.buffer import OPEN_BUFFERS, Backoff, WriteBuffer, WriteObserver
from queuepulse.store.spool import DiskSpool
from queuepulse.store.tables import TableRow
from queuepulse.store.writers import BatchWriter

__all__ = ["StoreSink", "StoreSinkPartition", "store_sink"]

log = logging.getLogger(__name__)


class StoreSinkPartition(StatelessSinkPartition[TableRow]):
    """One worker's writer and buffer."""

    def __init__(self, name: str, buffer: WriteBuffer, writer: BatchWriter) -> None:
        self.name = name
        self.buffer = buffer
        self.writer = writer
        OPEN_BUFFERS.add(name, buffer)

    def write_batch(self, items: list[TableRow]) -> None:
        """Accept the items in their order (a poll's health row stays after its other rows)
        and write them: with a spool, what can be written now; without, blocking until
        committed."""
        self.buffer.put_items(items)
        if self.buffer.spool is not None:
            self.buffer.drain()
        else:
            self.buffer.flush()

    def close(self) -> None:
        """Write what is left (with a spool: one attempt, the rest spilled to disk) and close
        the connection. Never raises (see the module doc)."""
        try:
            if self.buffer.spool is not None:
                self.buffer.drain_budget_s = 30.0
                self.buffer.drain(now_or_never=True)
                self.buffer.spill_all()
            else:
                self.buffer.flush()
        except Exception as exc:
            log.error("the sink could not write its last rows", extra={
                "sink": self.name, "error": str(exc)[:500], "rows_lost": self.buffer.pending})
        finally:
            left = self.buffer.pending
            if left and self.buffer.spool is not None:
                log.warning("rows left for the next start in the local spool", extra={
                    "sink": self.name, "rows": left,
                    "spool": str(self.buffer.spool.directory)})
            OPEN_BUFFERS.remove(self.name)
            try:
                self.writer.close()
            except Exception:
                log.debug("closing the writer failed", exc_info=True)


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
        spool_dir: Path | None = None,
        spool_max_bytes: int = 1 << 30,
    ) -> None:
        self._dsn = dsn
        self._capacity = capacity_rows
        self._batch = batch_rows
        self._hold_ratio = hold_ratio
        self._backoff = backoff
        self._sleep = sleep
        self._observer = observer
        self._name = name
        self._spool_dir = spool_dir
        self._spool_max_bytes = spool_max_bytes

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
        if self._spool_dir is not None:
            part = f"{step_id}-{worker_index}".replace("/", "_")
            kwargs["spool"] = DiskSpool(self._spool_dir / part, max_bytes=self._spool_max_bytes)
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
    recorder: CommitRecorder | None = None, spool_dir: Path | None = None,
    spool_max_bytes: int = 1 << 30,
) -> StoreSink:
    """The live flow's store sink: ``recorder`` stamps each poll's ``pipeline_health`` row with
    what was committed before it and measures poll-to-commit latency; ``spool_dir`` lets it
    keep polling through a database outage (rows beyond ``buffer_rows`` wait on disk)."""
    return StoreSink(dsn, capacity_rows=buffer_rows, batch_rows=batch_rows,
                     observer=recorder or CommitRecorder(), spool_dir=spool_dir,
                     spool_max_bytes=spool_max_bytes)
