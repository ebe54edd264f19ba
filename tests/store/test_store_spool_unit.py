"""The local spool and the spooling buffer without a database (a fake writer): order kept
across memory and disk, a full spool is a clear error and a hold (not a crash), a damaged
segment does not stop the drain, and /metrics shows the buffer's depth and bytes on disk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from queuepulse.live.metrics import METRICS
from queuepulse.store.buffer import OPEN_BUFFERS, WriteBuffer
from queuepulse.store.db import DatabaseUnavailableError
from queuepulse.store.spool import DiskSpool, SpoolFullError

pytestmark = pytest.mark.unit


class Writer:
    def __init__(self) -> None:
        self.down = False
        self.rows: list[object] = []

    def write(self, batch: Mapping[str, Sequence[object]]) -> int:
        if self.down:
            raise DatabaseUnavailableError("connection refused")
        for rows in batch.values():
            self.rows.extend(rows)
        return sum(len(r) for r in batch.values())


def _buffer(tmp_path: Path, writer: Writer, **kw: object) -> tuple[WriteBuffer, list[float]]:
    now = [0.0]
    buf = WriteBuffer(writer, capacity_rows=10, batch_rows=4, clock=lambda: now[0],
                      sleep=lambda _s: pytest.fail("must not sleep"),
                      spool=DiskSpool(tmp_path / "spool", **kw))  # type: ignore[arg-type]
    return buf, now


def test_rows_come_out_in_the_order_they_went_in(tmp_path: Path) -> None:
    w = Writer()
    buf, now = _buffer(tmp_path, w)
    w.down = True
    for i in range(50):
        now[0] = float(i)
        buf.put("t", [i])
        buf.drain()
    assert buf.pending == 50
    assert buf.spool is not None
    assert buf.spool.rows == 40  # 10 in memory, the rest on disk
    w.down = False
    for i in range(50, 60):
        now[0] = float(i + 100)
        buf.put("t", [i])
        buf.drain()
    assert w.rows == list(range(60))
    assert buf.pending == 0
    assert buf.spool.segments == 0


def test_a_full_spool_is_one_clear_error_and_a_hold(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    w = Writer()
    buf, now = _buffer(tmp_path, w, max_bytes=300)
    w.down = True
    for i in range(40):
        now[0] = float(i)
        buf.put("t", [i])
        buf.drain()
    assert buf.should_hold_polling()  # nothing lost: held in memory, the pollers asked to hold
    assert buf.pending == 40
    errors = [r for r in caplog.records if "cannot spill rows to disk" in r.getMessage()]
    assert len(errors) == 1
    assert "QUEUEPULSE_DB__SPOOL_MAX_BYTES" in errors[0].error
    w.down = False
    now[0] = 1000.0
    buf.drain()
    buf.drain()
    assert w.rows == list(range(40))
    assert not buf.should_hold_polling()


def test_spool_bound_and_damaged_segment(tmp_path: Path) -> None:
    spool = DiskSpool(tmp_path, max_bytes=10_000)
    spool.append([("t", 1)])
    spool.append([("t", 2)])
    with pytest.raises(SpoolFullError, match="bound of 10000 bytes"):
        spool.append([("t", "x" * 20_000)])
    first = sorted(tmp_path.glob("*.seg"))[0]
    first.write_bytes(b"not a pickle")
    reopened = DiskSpool(tmp_path)
    oldest = reopened.oldest()
    assert oldest is not None
    assert oldest[1] == [("t", 2)]
    assert list(tmp_path.glob("*.bad"))


def test_metrics_show_buffer_depth_and_spool_bytes(tmp_path: Path) -> None:
    w = Writer()
    buf, _ = _buffer(tmp_path, w)
    w.down = True
    buf.put("t", list(range(25)))
    buf.drain()
    OPEN_BUFFERS.add("t-metrics", buf)
    try:
        METRICS.health(5.0)
        text = generate_latest(METRICS.registry).decode()
    finally:
        OPEN_BUFFERS.remove("t-metrics")
    assert "queuepulse_buffer_depth 25.0" in text
    assert buf.spool_bytes > 0
    assert f"queuepulse_spool_bytes {float(buf.spool_bytes)}" in text
    assert "queuepulse_dead_letters_total" in text
