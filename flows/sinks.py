"""Bytewax sinks of the live flow: the idempotent store sink, measured for poll-to-commit
latency. Wiring only (:mod:`queuepulse.store.sink`, :mod:`queuepulse.live.commit_latency`)."""

from __future__ import annotations

from typing import Any

from bytewax.outputs import DynamicSink, StatelessSinkPartition

from queuepulse.live.commit_latency import CommitRecorder
from queuepulse.store.sink import StoreSink, TableRow

__all__ = ["MeasuredSink", "store_sink"]


class _MeasuredPartition(StatelessSinkPartition[TableRow]):
    def __init__(self, inner: StatelessSinkPartition[TableRow], recorder: CommitRecorder) -> None:
        self.inner = inner
        self.recorder = recorder

    def write_batch(self, items: list[TableRow]) -> None:
        self.inner.write_batch(items)
        self.recorder.committed(items)

    def close(self) -> None:
        self.inner.close()


class MeasuredSink(DynamicSink[TableRow]):
    """Wraps a sink; after each written batch, tells the recorder what committed."""

    def __init__(self, inner: DynamicSink[TableRow], recorder: CommitRecorder) -> None:
        self.inner = inner
        self.recorder = recorder

    def build(self, step_id: str, worker_index: int, worker_count: int) -> Any:
        part = self.inner.build(step_id, worker_index, worker_count)
        return _MeasuredPartition(part, self.recorder)


def store_sink(
    dsn: str, *, batch_rows: int = 5000, buffer_rows: int = 200_000,
    recorder: CommitRecorder | None = None,
) -> DynamicSink[TableRow]:
    """The durable store sink (commits before an epoch closes), measured by ``recorder``."""
    sink = StoreSink(dsn, durable=True, capacity_rows=buffer_rows, batch_rows=batch_rows)
    return MeasuredSink(sink, recorder or CommitRecorder())
