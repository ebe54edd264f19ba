"""The Bytewax sink in a real (tiny) dataflow writing to TimescaleDB."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import bytewax.operators as op
import psycopg
import pytest
from bytewax.dataflow import Dataflow
from bytewax.testing import TestingSource, run_main

from queuepulse.domain.live import QueueLive
from queuepulse.store.sink import StoreSink, buffer_stats, should_hold_polling

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
    assert not should_hold_polling("t-sink")
    assert buffer_stats() == {}  # partitions unregister on close


def test_sink_repr_hides_the_dsn() -> None:
    sink = StoreSink("postgresql://u:topsecret@127.0.0.1/db")
    assert "topsecret" not in repr(sink)
