"""Database outages for real — no mock of the database: a PostgreSQL server stopped and
restarted, a backend terminated mid-stream, a port that refuses connections. Accepted rows are
all written exactly once after the database comes back, and each outage is counted once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from queuepulse.store.buffer import Backoff, WriteBuffer
from queuepulse.store.db import connect, dsn_with
from queuepulse.store.localdb import LocalCluster, free_port
from queuepulse.store.migrations import load_migrations, upgrade
from queuepulse.store.writers import BatchWriter

pytestmark = pytest.mark.db

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def events(pbx: str, start: int, n: int) -> list[dict[str, Any]]:
    return [
        {"event_id": uuid.uuid5(uuid.NAMESPACE_URL, f"{pbx}/{i}"), "pbx_id": pbx,
         "call_key": f"{i}@x", "call_id": i, "event_type": "call_started",
         "occurred_at": T0 + timedelta(milliseconds=i), "observed_at": T0}
        for i in range(start, start + n)
    ]


def live(pbx: str, start: int, n: int) -> list[dict[str, Any]]:
    return [{"pbx_id": pbx, "queue_dn": "800", "ts": T0 + timedelta(seconds=i), "waiting": i}
            for i in range(start, start + n)]


def count(dsn: str, table: str, pbx: str) -> tuple[int, int]:
    """(rows, distinct keys) of ``pbx`` in ``table``."""
    key = "event_id" if table == "call_events" else "ts"
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            f"SELECT count(*), count(DISTINCT {key}) FROM {table} WHERE pbx_id = %s", (pbx,)
        ).fetchone()
    assert row is not None
    return row[0], row[1]


class _GiveUp(Exception):
    """Raised from a test's sleep to end a flush that would retry forever."""


class Switch:
    """A connect function whose target can be changed (a closed port, then the real one)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.calls = 0

    def __call__(self) -> psycopg.Connection[Any]:
        self.calls += 1
        return psycopg.connect(self.dsn, autocommit=True, connect_timeout=2)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[LocalCluster]:
    """A cluster of this module's own, so it can be stopped without disturbing other tests."""
    cluster = LocalCluster.throwaway(dbname="outage")
    cluster.ensure_running()
    incremental, idempotent = load_migrations()
    with connect(cluster.dsn(), autocommit=True) as conn:
        upgrade(conn, incremental, idempotent)
    try:
        yield cluster
    finally:
        cluster.destroy()


def test_server_stopped_and_restarted_loses_nothing(own_cluster: LocalCluster) -> None:
    dsn, pbx, t = own_cluster.dsn(), "stop-restart", FakeTime()
    writer = BatchWriter.from_dsn(dsn, connect_timeout_s=2)
    buf = WriteBuffer(writer, capacity_rows=1_000, batch_rows=100, hold_ratio=0.5,
                      backoff=Backoff(0.5, 2.0, 8.0), sleep=t.sleep, clock=t.clock)
    buf.put("call_events", events(pbx, 0, 150))
    buf.put("queue_live", live(pbx, 0, 10))
    assert buf.flush() == 160

    own_cluster.stop(mode="fast")
    buf.put("call_events", events(pbx, 150, 300))
    buf.put("queue_live", live(pbx, 10, 10))
    assert buf.pending == 310
    assert not buf.should_hold_polling()
    buf.put("call_events", events(pbx, 450, 250))  # the poller keeps going ...
    assert buf.should_hold_polling()  # ... until the buffer asks it to hold
    assert not buf.is_full

    # The server comes back while the writer backs off (each sleep precedes another attempt).
    restarts: list[int] = []
    during: list[tuple[bool, int, int]] = []

    def sleep_and_restart(s: float) -> None:
        during.append((buf.database_down, buf.stats.outages, buf.pending))
        t.sleep(s)
        if len(t.sleeps) == 3 and not restarts:
            own_cluster.ensure_running()
            restarts.append(1)

    buf._sleep = sleep_and_restart
    assert buf.flush() == 560
    assert restarts == [1]
    assert during[0] == (True, 1, 560)  # down, one outage, every accepted row kept
    assert t.sleeps[:3] == [0.5, 1.0, 2.0]
    assert buf.pending == 0
    assert not buf.database_down
    assert buf.stats.outages == 1
    assert buf.stats.rows_accepted == buf.stats.rows_written == 720
    assert count(dsn, "call_events", pbx) == (700, 700)
    assert count(dsn, "queue_live", pbx) == (20, 20)
    print(f"\noutage: {buf.stats.write_errors} failed attempts, "
          f"{buf.stats.outage_s:.1f} s (fake clock) down, {buf.stats.rows_written} rows written")


def test_terminated_backend_is_reconnected(pg_dsn: str) -> None:
    pbx, t = "terminated", FakeTime()
    writer = BatchWriter.from_dsn(pg_dsn)
    buf = WriteBuffer(writer, batch_rows=50, sleep=t.sleep, clock=t.clock)
    buf.put("call_events", events(pbx, 0, 100))
    buf.flush()
    with psycopg.connect(pg_dsn, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        ).fetchall()
    assert killed
    buf.put("call_events", events(pbx, 50, 100))  # overlaps: idempotent on event_id
    assert buf.flush() == 100
    assert buf.stats.outages == 1
    assert buf.stats.write_errors == 1
    assert count(pg_dsn, "call_events", pbx) == (150, 150)
    writer.close()


def test_refused_connections_then_the_real_database(pg_dsn: str) -> None:
    pbx, t = "refused", FakeTime()
    real = pg_dsn
    switch = Switch(dsn_with(pg_dsn, port=free_port()))  # nothing listens there
    buf = WriteBuffer(BatchWriter(switch), backoff=Backoff(0.25, 2.0, 1.0),
                      sleep=t.sleep, clock=t.clock)

    def sleep(s: float) -> None:
        t.sleep(s)
        if len(t.sleeps) == 5:
            switch.dsn = real

    buf._sleep = sleep
    buf.put("queue_live", live(pbx, 0, 30))
    assert buf.flush() == 30
    assert t.sleeps == [0.25, 0.5, 1.0, 1.0, 1.0]  # exponential, capped
    assert switch.calls == 6
    assert buf.stats.outages == 1
    assert "cannot connect" in (buf.stats.last_error or "")
    assert count(real, "queue_live", pbx) == (30, 30)


def test_connection_errors_never_show_the_password() -> None:
    dsn = f"postgresql://writer:s3cret-pw-42@127.0.0.1:{free_port()}/queuepulse"
    buf = WriteBuffer(BatchWriter.from_dsn(dsn, connect_timeout_s=2), sleep=lambda _s: None)
    buf.put("queue_live", live("pw", 0, 1))
    errors: list[str] = []

    def give_up(_s: float) -> None:  # look at the first failure, then stop the flush
        errors.append(buf.stats.last_error or "")
        raise _GiveUp

    buf._sleep = give_up
    with pytest.raises(_GiveUp):
        buf.flush()
    error = errors[0]
    assert "cannot connect to PostgreSQL" in error
    assert "user=writer" in error
    assert "s3cret-pw-42" not in error
    assert buf.pending == 1


def test_health_row_committed_after_an_outage_counts_its_failed_attempts(
    own_cluster: LocalCluster,
) -> None:
    """The database stops after a poll committed; the next poll's rows wait through failed
    attempts until it is back: that poll's health row says how many, and every row lands."""
    import bytewax.operators as op
    from bytewax.dataflow import Dataflow
    from bytewax.testing import TestingSource, run_main

    from flows.sinks import StoreSink
    from queuepulse.live.commit_latency import CommitRecorder

    dsn, pbx = own_cluster.dsn(), "health-outage"

    def poll(n: int, rows: int) -> list[tuple[str, Any]]:
        at = T0 + timedelta(minutes=n)
        return [("queue_live", {"pbx_id": pbx, "queue_dn": str(800 + i), "ts": at, "waiting": n})
                for i in range(rows)] + [
            ("pipeline_health", {"pbx_id": pbx, "ts": at, "polls": 1})]

    class StopAfterFirstPoll(CommitRecorder):
        def committed(self, items: Any) -> None:
            super().committed(items)
            if not stopped and any(t == "pipeline_health" for t, _ in items):
                own_cluster.stop(mode="fast")
                stopped.append(1)

    stopped: list[int] = []
    sleeps: list[float] = []

    def sleep(s: float) -> None:
        sleeps.append(s)
        if len(sleeps) == 3:
            own_cluster.ensure_running()

    sink = StoreSink(dsn, batch_rows=4, backoff=Backoff(0.01, 2.0, 0.05), sleep=sleep,
                     observer=StopAfterFirstPoll())
    flow = Dataflow("health_outage")
    op.output("db", op.input("in", flow, TestingSource(poll(1, 3) + poll(2, 2))), sink)
    run_main(flow)
    assert stopped == [1]
    assert len(sleeps) == 3
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT rows_written, write_errors FROM pipeline_health WHERE pbx_id = %s "
            "ORDER BY ts", (pbx,)).fetchall()
        gauges = conn.execute("SELECT count(*) FROM queue_live WHERE pbx_id = %s",
                              (pbx,)).fetchone()
    assert rows == [(3, 0), (2, 3)]
    assert gauges == (5,)
