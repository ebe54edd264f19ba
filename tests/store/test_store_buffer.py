"""The write buffer: ordering, retry with backoff, back-pressure, nothing lost (fake writer).

The same behaviour against a real PostgreSQL outage is in test_store_outage_db.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from queuepulse.store.buffer import Backoff, WriteBuffer
from queuepulse.store.db import DatabaseUnavailableError
from queuepulse.store.writers import StoreWriteError

pytestmark = pytest.mark.unit


class FlakyWriter:
    """Fails while ``down`` is true; records committed batches."""

    def __init__(self) -> None:
        self.down = False
        self.batches: list[dict[str, list[object]]] = []
        self.attempts = 0

    def write(self, batch: Mapping[str, Sequence[object]]) -> int:
        self.attempts += 1
        if self.down:
            raise DatabaseUnavailableError("connection refused")
        self.batches.append({k: list(v) for k, v in batch.items()})
        return sum(len(v) for v in batch.values())

    def rows(self, table: str) -> list[object]:
        return [r for b in self.batches for r in b.get(table, [])]


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s


def test_batches_keep_order_and_size() -> None:
    w = FlakyWriter()
    buf = WriteBuffer(w, capacity_rows=100, batch_rows=3)
    buf.put("a", [1, 2])
    buf.put("b", [3])
    buf.put("a", [4, 5])
    assert buf.pending == 5
    assert buf.flush() == 5
    assert w.batches == [{"a": [1, 2], "b": [3]}, {"a": [4, 5]}]
    assert buf.pending == 0
    assert buf.stats.rows_written == 5


def test_blocking_flush_retries_with_exponential_backoff_until_back() -> None:
    w, t = FlakyWriter(), FakeTime()
    buf = WriteBuffer(w, backoff=Backoff(0.5, 2.0, 4.0), sleep=t.sleep, clock=t.clock)
    buf.put("a", [1, 2, 3])
    w.down = True
    original_sleep = t.sleep

    def sleep_then_recover(s: float) -> None:
        original_sleep(s)
        if len(t.sleeps) == 4:
            w.down = False

    buf._sleep = sleep_then_recover
    assert buf.flush() == 3
    assert t.sleeps == [0.5, 1.0, 2.0, 4.0]
    assert w.rows("a") == [1, 2, 3]
    assert buf.stats.outages == 1
    assert buf.stats.write_errors == 4
    assert buf.stats.outage_s == pytest.approx(7.5)
    assert not buf.database_down


def test_flush_returns_only_once_committed_and_loses_nothing() -> None:
    w, t = FlakyWriter(), FakeTime()
    buf = WriteBuffer(w, backoff=Backoff(1.0, 2.0, 8.0), sleep=t.sleep, clock=t.clock)
    w.down = True
    buf.put("a", [1])
    buf.put("a", [2])
    seen: list[tuple[bool, int]] = []

    def sleep(s: float) -> None:
        seen.append((buf.database_down, buf.pending))
        t.sleep(s)
        if len(t.sleeps) == 3:
            w.down = False

    buf._sleep = sleep
    assert buf.flush() == 2
    assert seen == [(True, 2)] * 3  # down, rows kept, while it backs off
    assert t.sleeps == [1.0, 2.0, 4.0]
    assert w.attempts == 4
    assert w.rows("a") == [1, 2]
    assert buf.stats.outages == 1
    assert not buf.database_down


def test_back_pressure_signal_and_full_put_drains_instead_of_dropping() -> None:
    w, t = FlakyWriter(), FakeTime()
    buf = WriteBuffer(w, capacity_rows=10, batch_rows=4, hold_ratio=0.5,
                      sleep=t.sleep, clock=t.clock)
    w.down = True
    buf.put("a", range(4))
    assert not buf.should_hold_polling()
    buf.put("a", range(4, 6))
    assert buf.should_hold_polling()
    assert not buf.is_full
    assert buf.pending == 6
    assert w.attempts == 0  # put below capacity never writes

    def recover(s: float) -> None:
        t.now += s
        w.down = False

    buf._sleep = recover
    buf.put("a", range(6, 12))  # reaches capacity: drains below the hold mark before returning
    assert buf.pending < 5
    buf.flush()
    assert w.rows("a") == list(range(12))
    assert buf.stats.rows_accepted == 12 == buf.stats.rows_written


def test_two_outages_are_counted_separately() -> None:
    w, t = FlakyWriter(), FakeTime()
    buf = WriteBuffer(w, sleep=t.sleep, clock=t.clock)
    def recover(s: float) -> None:
        t.sleep(s)
        w.down = False

    buf._sleep = recover
    for _ in range(2):
        w.down = True
        buf.put("a", [1])
        buf.flush()
        t.now += 60
    assert buf.stats.outages == 2
    assert buf.stats.write_errors == 2
    assert buf.pending == 0


def test_non_retryable_error_propagates_and_keeps_rows() -> None:
    class Broken:
        def write(self, batch: Mapping[str, Sequence[object]]) -> int:
            raise StoreWriteError("writing a failed: bad column")

    buf = WriteBuffer(Broken())
    buf.put("a", [1])
    with pytest.raises(StoreWriteError, match="bad column"):
        buf.flush()
    assert buf.pending == 1


def test_outage_logs_one_error(caplog: pytest.LogCaptureFixture) -> None:
    w, t = FlakyWriter(), FakeTime()
    buf = WriteBuffer(w, sleep=t.sleep, clock=t.clock)
    w.down = True
    buf.put("a", [1])

    def sleep(s: float) -> None:
        t.sleep(s)
        if len(t.sleeps) == 5:
            w.down = False

    buf._sleep = sleep
    buf.flush()
    assert buf.stats.write_errors == 5
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1
    assert "database unavailable" in errors[0].getMessage()
    assert any("database back" in r.getMessage() for r in caplog.records)
