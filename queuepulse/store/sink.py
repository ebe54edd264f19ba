"""The Bytewax sink of every table: ``(table, row)`` items → :class:`WriteBuffer` → database.

Wire it as ``op.output("db", items, StoreSink(dsn))`` where ``items`` is a stream of
``(table_name, row)`` pairs (rows: mappings or dataclasses whose fields are column names).

Two modes:

* ``durable=True`` (default): ``write_batch`` returns only once its rows are committed. While
  the database is away it retries with backoff, so the worker — its polling source included —
  holds until the database is back. Bytewax closes an epoch (and its recovery snapshot) only after
  the sink returned, so a flow killed at any point and resumed loses nothing, and the idempotent
  upserts absorb what it replays.
* ``durable=False``: rows are accepted into the buffer and flushed without sleeping; during an
  outage they wait in memory (bounded) and sources should obey :func:`should_hold_polling`.
  Faster under slow databases, but rows buffered at a crash are lost: not for recovery.

:func:`should_hold_polling` lets a source on the same process ask whether any sink buffer wants
producers to pause.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from bytewax.outputs import DynamicSink, StatelessSinkPartition

from queuepulse.store.buffer import Backoff, BufferStats, WriteBuffer
from queuepulse.store.writers import BatchWriter

TableRow = tuple[str, Any]
"""One sink item: the table name and the row."""

_REGISTRY: dict[str, WriteBuffer] = {}
_REGISTRY_LOCK = threading.Lock()


def register_buffer(name: str, buffer: WriteBuffer) -> None:
    """Make ``buffer`` visible to :func:`should_hold_polling` under ``name``."""
    with _REGISTRY_LOCK:
        _REGISTRY[name] = buffer


def unregister_buffer(name: str) -> None:
    """Forget a buffer (its partition closed)."""
    with _REGISTRY_LOCK:
        _REGISTRY.pop(name, None)


def should_hold_polling(prefix: str = "") -> bool:
    """True when a registered sink buffer (whose name starts with ``prefix``) asks producers to
    hold: it is near capacity. Sources call this before taking in a new poll."""
    with _REGISTRY_LOCK:
        buffers = [b for n, b in _REGISTRY.items() if n.startswith(prefix)]
    return any(b.should_hold_polling() for b in buffers)


def buffer_stats() -> dict[str, BufferStats]:
    """The counters of every registered sink buffer, by name (for /metrics and pipeline_health)."""
    with _REGISTRY_LOCK:
        return {name: b.stats for name, b in _REGISTRY.items()}


class StoreSinkPartition(StatelessSinkPartition[TableRow]):
    """One worker's writer and buffer."""

    def __init__(self, name: str, buffer: WriteBuffer, writer: BatchWriter, durable: bool) -> None:
        self.name = name
        self.buffer = buffer
        self.writer = writer
        self.durable = durable
        register_buffer(name, buffer)

    def write_batch(self, items: list[TableRow]) -> None:
        """Accept the items (grouped by table, order kept) and write them."""
        by_table: dict[str, list[Any]] = {}
        for table, row in items:
            by_table.setdefault(table, []).append(row)
        for table, rows in by_table.items():
            self.buffer.put(table, rows)
        self.buffer.flush(block=self.durable)

    def close(self) -> None:
        """Write what is left (blocking) and close the connection."""
        try:
            self.buffer.flush(block=True)
        finally:
            unregister_buffer(self.name)
            self.writer.close()


class StoreSink(DynamicSink[TableRow]):
    """Writes ``(table, row)`` items to TimescaleDB; one connection and buffer per worker."""

    def __init__(
        self,
        dsn: str,
        *,
        durable: bool = True,
        capacity_rows: int = 200_000,
        batch_rows: int = 5_000,
        hold_ratio: float = 0.8,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] | None = None,
        name: str = "store",
    ) -> None:
        self._dsn = dsn
        self._durable = durable
        self._capacity = capacity_rows
        self._batch = batch_rows
        self._hold_ratio = hold_ratio
        self._backoff = backoff
        self._sleep = sleep
        self._name = name

    def __repr__(self) -> str:  # the DSN may carry a password: never show it
        return f"StoreSink(name={self._name!r}, durable={self._durable})"

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
            **kwargs,
        )
        name = f"{self._name}/{step_id}/{worker_index}"
        return StoreSinkPartition(name, buffer, writer, self._durable)
