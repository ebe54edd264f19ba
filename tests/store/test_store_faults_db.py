"""The write path under faults, against the real database: poison rows are isolated into
write_dead_letters while the rest of their batch is written, an event id is stored once whatever
its occurred_at, a sink whose writes fail for good closes without raising, and an outage with a
disk spool loses nothing and keeps the flow going."""

from __future__ import annotations

import random
import string
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import bytewax.operators as op
import psycopg
import pytest
from bytewax.dataflow import Dataflow
from bytewax.testing import TestingSource, run_main

from flows.sinks import StoreSink
from queuepulse.store.buffer import Backoff, WriteBuffer
from queuepulse.store.db import DatabaseUnavailableError
from queuepulse.store.spool import DiskSpool
from queuepulse.store.writers import BatchWriter

pytestmark = pytest.mark.db

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _live(pbx: str, i: int, **over: Any) -> tuple[str, dict[str, Any]]:
    row = {"pbx_id": pbx, "queue_dn": "800", "ts": T0 + timedelta(seconds=i), "waiting": i}
    row.update(over)
    return ("queue_live", row)


def _event(pbx: str, event_id: str, at: datetime) -> tuple[str, dict[str, Any]]:
    return ("call_events", {"event_id": event_id, "pbx_id": pbx, "call_key": "1@x",
                            "event_type": "call_started", "occurred_at": at, "observed_at": at})


def test_poison_rows_are_dead_lettered_and_the_rest_written(pg_writer_dsn: str) -> None:
    pbx = "poison"
    rnd = random.Random(7)
    huge_id = "".join(rnd.choice(string.ascii_letters) for _ in range(200_000))
    good = [_live(pbx, i) for i in range(20)]
    bad = [
        _live(pbx + "\x00nul", 100),  # NUL: the driver refuses it
        _live(pbx, 101, waiting=2**40),  # integer out of range (22003)
        _live(huge_id, 102),  # an index row too large (54000)
    ]
    items = good[:7] + bad[:1] + good[7:14] + bad[1:] + good[14:]
    buf = WriteBuffer(BatchWriter.from_dsn(pg_writer_dsn), batch_rows=1000)
    buf.put_items(items)
    assert buf.flush() == len(items)
    assert buf.pending == 0
    assert buf.stats.dead_letters == 3
    assert buf.stats.rows_written == 20
    with psycopg.connect(pg_writer_dsn) as conn:
        written = conn.execute("SELECT count(*) FROM queue_live WHERE pbx_id = %s",
                               (pbx,)).fetchone()
        letters = conn.execute(
            "SELECT table_name, sqlstate, reason, length(row_json), truncated, pbx_id "
            "FROM write_dead_letters ORDER BY dead_at, sqlstate NULLS FIRST").fetchall()
    assert written == (20,)
    assert len(letters) == 3
    assert {r[0] for r in letters} == {"queue_live"}
    states = sorted(r[1] or "client" for r in letters)
    assert states == ["22003", "54000", "client"]
    nul = next(r for r in letters if r[1] is None)
    assert "NUL" in nul[2]
    assert nul[5] == pbx + "\\u0000nul"  # kept, escaped
    big = next(r for r in letters if r[1] == "54000")
    assert big[3] == 64 * 1024
    assert big[4] is True


def test_an_event_id_is_stored_once_whatever_its_time(pg_writer_dsn: str) -> None:
    pbx = "once"
    ids = [str(uuid.uuid4()) for _ in range(5)]
    writer = BatchWriter.from_dsn(pg_writer_dsn)
    writer.write({"call_events": [_event(pbx, i, T0)[1] for i in ids]})
    # re-derived after a restart: the same ids, another occurred_at (and one new id)
    later = T0 + timedelta(seconds=3)
    extra = str(uuid.uuid4())
    writer.write({"call_events": [_event(pbx, i, later)[1] for i in [*ids, extra]]})
    # and both copies in one batch
    twin = str(uuid.uuid4())
    writer.write({"call_events": [_event(pbx, twin, T0)[1], _event(pbx, twin, later)[1]]})
    writer.close()
    with psycopg.connect(pg_writer_dsn) as conn:
        rows = conn.execute(
            "SELECT event_id::text, occurred_at FROM call_events WHERE pbx_id = %s",
            (pbx,)).fetchall()
    by_id: dict[str, list[datetime]] = {}
    for event_id, at in rows:
        by_id.setdefault(event_id, []).append(at)
    assert sorted(by_id) == sorted([*ids, extra, twin])
    assert all(len(times) == 1 for times in by_id.values())
    assert all(by_id[i] == [T0] for i in ids)  # the first copy stored wins
    assert by_id[twin] == [T0]


def test_sink_whose_writes_fail_for_good_closes_without_raising(
    pg_dsn: str, pg_writer_dsn: str, caplog: pytest.LogCaptureFixture,
) -> None:
    """A schema mismatch (a column the table lacks) is no row's fault and no outage: the flow
    ends with the real error logged once, and ``close`` does not raise a second time."""
    pbx = "broken"
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("ALTER TABLE queue_live RENAME COLUMN waiting TO waiting_renamed")
    try:
        flow = Dataflow("broken_sink")
        op.output("db", op.input("in", flow, TestingSource([_live(pbx, 1)])),
                  StoreSink(pg_writer_dsn, name="t-broken"))
        with pytest.raises(Exception, match="error writing output batch"):
            run_main(flow)
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            conn.execute("ALTER TABLE queue_live RENAME COLUMN waiting_renamed TO waiting")
    errors = [r for r in caplog.records if "could not write its last rows" in r.getMessage()]
    assert len(errors) == 1
    assert 'column "waiting"' in errors[0].error  # the real cause, logged


class _Switch:
    """A connect function that fails while ``down``."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.down = False

    def __call__(self) -> psycopg.Connection[Any]:
        if self.down:
            raise DatabaseUnavailableError("connection refused (simulated outage)")
        return psycopg.connect(self.dsn, autocommit=True)


def test_ten_minute_outage_with_spool_loses_nothing(pg_writer_dsn: str, tmp_path: Path) -> None:
    """600 polls (10 minutes at 1 s) arrive while the database is away: the buffer never blocks
    (the flow keeps polling), holds 50 rows in memory and the rest on disk, and writes every row
    in order once the database is back."""
    pbx = "outage"
    switch = _Switch(pg_writer_dsn)
    now = [0.0]
    spool = DiskSpool(tmp_path / "spool")
    buf = WriteBuffer(BatchWriter(switch), capacity_rows=50, batch_rows=40,
                      backoff=Backoff(0.5, 2.0, 5.0), clock=lambda: now[0],
                      sleep=lambda _s: pytest.fail("the spooling buffer must never sleep"),
                      spool=spool)
    switch.down = True
    for i in range(600):
        now[0] = float(i)
        buf.put_items([_live(pbx, i), _live(pbx, i, queue_dn="801")])
        buf.drain()
        assert not buf.should_hold_polling()
    assert buf.database_down
    assert buf.pending == 1200
    assert spool.bytes > 0
    assert buf.stats.rows_spilled >= 1200 - 50
    switch.down = False
    for i in range(600, 700):
        now[0] = float(i)
        buf.put_items([_live(pbx, i)])
        buf.drain()
    assert buf.pending == 0
    assert spool.segments == 0
    assert not buf.database_down
    with psycopg.connect(pg_writer_dsn) as conn:
        rows = conn.execute("SELECT count(*) FROM queue_live WHERE pbx_id = %s",
                            (pbx,)).fetchone()
    assert rows == (1300,)


def test_spool_left_at_close_is_drained_by_the_next_sink(
    pg_writer_dsn: str, tmp_path: Path,
) -> None:
    """A sink closing while the database is away spills what it holds to disk; the next run's
    sink writes it first."""
    pbx = "handover"
    spool_dir = tmp_path / "spool"
    switch = _Switch(pg_writer_dsn)
    switch.down = True
    buf = WriteBuffer(BatchWriter(switch), capacity_rows=1000, spool=DiskSpool(spool_dir),
                      sleep=lambda _s: None)
    buf.put_items([_live(pbx, i) for i in range(30)])
    buf.drain()
    assert buf.spill_all() == 30
    assert DiskSpool(spool_dir).rows == 30
    flow = Dataflow("handover")
    op.output("db", op.input("in", flow, TestingSource([_live(pbx, 99)])),
              StoreSink(pg_writer_dsn, name="t-handover", spool_dir=spool_dir))
    # the sink's partition spool lives under spool_dir/<step>-<worker>: move the file there
    part = spool_dir / "handover.db-0"
    part.mkdir()
    for seg in spool_dir.glob("*.seg"):
        seg.rename(part / seg.name)
    run_main(flow)
    with psycopg.connect(pg_writer_dsn) as conn:
        rows = conn.execute("SELECT count(*) FROM queue_live WHERE pbx_id = %s",
                            (pbx,)).fetchone()
    assert rows == (31,)
    assert DiskSpool(part).rows == 0
