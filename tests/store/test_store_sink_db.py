"""The Bytewax store sink in real (tiny) dataflows writing to TimescaleDB: every item once, and
each poll's pipeline_health row stamped with the rows committed for it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import bytewax.operators as op
import psycopg
import pytest
from bytewax.dataflow import Dataflow
from bytewax.testing import TestingSource, run_main

from flows.live import build_flow
from flows.sinks import StoreSink, store_sink
from queuepulse.domain.gauges import QueueLive
from queuepulse.domain.snapshot import ActiveCallRow, Poll
from queuepulse.live.commit_latency import CommitRecorder
from queuepulse.live.config import LiveFlowConfig
from queuepulse.live.items import ConfigItem, PollItem
from queuepulse.store.buffer import OPEN_BUFFERS
from queuepulse.store.tables import TableRow

pytestmark = pytest.mark.db

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def items(pbx: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for i in range(40):
        out.append(("queue_live", QueueLive(pbx, "800", T0 + timedelta(seconds=i), i, float(i),
                                            0, 3, 0, 3)))
        out.append(("call_events", {"event_id": str(uuid.uuid4()), "pbx_id": pbx,
                                    "call_key": f"{i}@x", "event_type": "call_started",
                                    "occurred_at": T0 + timedelta(seconds=i),
                                    "observed_at": T0 + timedelta(seconds=i)}))
    return out


def test_flow_writes_every_item_once(pg_writer_dsn: str) -> None:
    pbx = "sink"
    data = items(pbx)
    flow = Dataflow("sink_test")
    stream = op.input("in", flow, TestingSource(data + data[:10], batch_size=7))
    op.output("db", stream, StoreSink(pg_writer_dsn, name="t-sink"))
    run_main(flow)
    with psycopg.connect(pg_writer_dsn) as conn:
        live = conn.execute("SELECT count(*), max(waiting) FROM queue_live WHERE pbx_id = %s",
                            (pbx,)).fetchone()
        events = conn.execute("SELECT count(*) FROM call_events WHERE pbx_id = %s",
                              (pbx,)).fetchone()
    assert live == (40, 39)
    # The 5 replayed events carry the same ids: still 40 rows.
    assert events == (40,)
    assert not any(name.startswith("t-sink") for name in OPEN_BUFFERS.all())  # closed: gone
    assert not OPEN_BUFFERS.should_hold_polling()


def test_sink_repr_hides_the_dsn() -> None:
    sink = StoreSink("postgresql://u:topsecret@127.0.0.1/db")
    assert "topsecret" not in repr(sink)


def poll_items(pbx: str, poll: int, events: int, gauges: int) -> list[TableRow]:
    """One poll's sink items: new events, new gauges, then its health row (as the flow
    emits them: the health row last)."""
    at = T0 + timedelta(seconds=poll)
    out: list[TableRow] = [
        ("call_events", {"event_id": uuid.uuid5(uuid.NAMESPACE_URL, f"{pbx}/{poll}/{i}"),
                         "pbx_id": pbx, "call_key": f"{poll}.{i}@x",
                         "event_type": "call_started", "occurred_at": at, "observed_at": at})
        for i in range(events)
    ]
    out += [("queue_live", QueueLive(pbx, str(800 + i), at, 1, 1.0, 0, 1, 0, 1))
            for i in range(gauges)]
    out.append(("pipeline_health", {"pbx_id": pbx, "component": "live", "ts": at, "polls": 1,
                                    "rows_written": 0, "write_errors": 0}))
    return out


def health(dsn: str, pbx: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT rows_written, write_errors, gap_s FROM pipeline_health WHERE pbx_id = %s "
            "ORDER BY ts", (pbx,)).fetchall()


def landed(dsn: str, pbx: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM call_events WHERE pbx_id = %(p)s) "
            "+ (SELECT count(*) FROM queue_live WHERE pbx_id = %(p)s)", {"p": pbx}).fetchone()
    assert row is not None
    return int(row[0])


def test_rows_written_is_what_each_poll_committed(pg_writer_dsn: str) -> None:
    a, b = "stamp-a", "stamp-b"
    # two PBXs interleaved in one Bytewax batch, small sink transactions: counts per PBX
    data = (poll_items(a, 1, 3, 2) + poll_items(b, 1, 1, 1) + poll_items(a, 2, 0, 4)
            + poll_items(b, 2, 2, 0))
    flow = Dataflow("stamp_test")
    stream = op.input("in", flow, TestingSource(data, batch_size=len(data)))
    op.output("db", stream, StoreSink(pg_writer_dsn, batch_rows=4, observer=CommitRecorder()))
    run_main(flow)
    assert health(pg_writer_dsn, a) == [(5, 0, None), (4, 0, None)]
    assert health(pg_writer_dsn, b) == [(2, 0, None), (2, 0, None)]
    assert landed(pg_writer_dsn, a) == 9
    assert landed(pg_writer_dsn, b) == 4


QUEUES = ({"Number": "800", "Name": "Sales", "SLATime": 20, "Agents": [{"Number": "1001"}]},)
USERS = ({"Number": "1001", "FirstName": "Ann", "QueueStatus": "LoggedIn",
          "CurrentProfileName": "Available", "IsRegistered": True},)


def _flow_items(pbx: str) -> list[Any]:
    """A call waiting in 800 across a stretch of failed polls (s = 5..7), answered and ended;
    the last polls are quiet."""
    out: list[Any] = [ConfigItem(pbx, T0, QUEUES, USERS)]
    for s in range(1, 21):
        now = T0 + timedelta(seconds=s)
        if 5 <= s <= 7:
            out.append(PollItem(Poll(pbx, now, (), ok=False, error="timeout"),
                                error_kind="timeout"))
            continue
        if s < 10:
            calls: tuple[ActiveCallRow, ...] = (ActiveCallRow(
                7, "+15550001 Bob", "800 Sales", "Ringing", T0, T0, now),)
        elif s < 14:
            calls = (ActiveCallRow(7, "+15550001 Bob", "1001 Ann", "Talking",
                                   T0 + timedelta(seconds=10), T0, now),)
        else:
            calls = ()
        out.append(PollItem(Poll(pbx, now, calls), latency_ms=2.0))
    return out


class Committed(CommitRecorder):
    """A recorder that also keeps what committed (to compare with the stamped counts)."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[TableRow] = []

    def committed(self, items: Any) -> None:
        super().committed(items)
        self.items.extend(items)


def test_live_flow_health_rows_carry_gaps_and_committed_rows(pg_writer_dsn: str) -> None:
    pbx = "flow-health"
    recorder = Committed()
    flow = build_flow(LiveFlowConfig(replay=Path("unused")),
                      sink=store_sink(pg_writer_dsn, recorder=recorder),
                      source=TestingSource(_flow_items(pbx)))
    run_main(flow)
    rows = health(pg_writer_dsn, pbx)
    assert len(rows) == 20
    gaps = [g for _, _, g in rows]
    # failed polls: seconds since the last good poll (s = 4); the poll after them: the whole gap
    assert gaps[4:8] == [pytest.approx(1.0), pytest.approx(2.0), pytest.approx(3.0),
                         pytest.approx(4.0)]
    assert gaps[:4] == [None] * 4
    assert gaps[8:] == [None] * 12
    assert all(errors == 0 for _, errors, _ in rows)
    # every committed row of the PBX before its last health row is counted exactly once
    last = max(i for i, (t, _) in enumerate(recorder.items) if t == "pipeline_health")
    before_last = sum(1 for t, _ in recorder.items[:last] if t != "pipeline_health")
    assert sum(r for r, _, _ in rows) == before_last > 20
    assert rows[0][0] >= 4  # the configuration rows (queue, agent, membership, state) + poll 1
