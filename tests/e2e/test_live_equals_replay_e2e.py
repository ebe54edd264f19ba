"""Live == replay: the polling flow against a simulator over HTTP records exactly the bodies its
pollers received (``PollingSource(record_dir=...)``); replaying that recording into a fresh
database gives every table the live run wrote, row for row. The simulator's ActiveCalls answers
are damaged on the way in (a garbage ``LastChangeStatus`` in some rows, an extra row without
``Id``), so both runs go through the tolerant parser's problem paths too.

Columns left out of the comparison are those that describe the run, not the calls:
``live_helpers.WALL_COLUMNS`` (``lag_s``, ``poll_latency_ms``, ``updated_at``... measured on the
wall clock while it ran) and ``pipeline_health.breaker_state`` (the live client's circuit
breaker; a replay has no PBX connection, so no breaker) and ``pipeline_health.details``'
``poll_interval_s`` (the poller's interval; a replay has no poller).
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import psycopg
import pytest
from live_helpers import COMPARED_TABLES, dump
from pydantic import SecretStr

from flows.sources import PollingSource
from queuepulse.live.config import LiveFlowConfig
from queuepulse.settings import PbxSettings
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import run_simulator
from queuepulse.store.buffer import OPEN_BUFFERS
from queuepulse.xapi.client import XapiClient
from queuepulse.xapi.replay_file import iter_replay

pytestmark = pytest.mark.e2e

RUN_COLUMNS = {"pipeline_health": frozenset({"breaker_state"})}
"""Per-run columns beyond the wall-clock ones (see the module docstring)."""


class DamagingTransport(httpx.AsyncBaseTransport):
    """Real HTTP to the simulator; ActiveCalls bodies come back with malformed rows."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.damaged = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if not request.url.path.endswith("/ActiveCalls"):
            return response
        body = json.loads(await response.aread())
        rows = body["value"]
        for row in rows[::3]:
            row["LastChangeStatus"] = "not a date"
        rows.append({"Caller": "0999 No Id", "Status": "Talking"})
        self.damaged += 1
        return httpx.Response(response.status_code, headers={"content-type": "application/json"},
                              content=json.dumps(body).encode())

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_replay_of_a_live_recording_writes_the_same_tables(
    pg_dsn: str, second_dsn: str, tmp_path: Path
) -> None:
    from bytewax.testing import run_main

    from flows.live import build_flow

    recording = tmp_path / "recording"
    model = ModelConfig(seed=8, queues=3, agents=12, calls_per_min_per_queue=6)
    with run_simulator(SimulatorConfig(model=model, speed=10.0, warmup_s=600,
                                       pbx_id="live")) as sim:
        pbx = PbxSettings(pbx_id="live", url=sim.base_url, client_id=sim.client_id,
                          client_secret=SecretStr(sim.client_secret), poll_interval_s=0.1,
                          sync_interval_s=2.0)
        live = LiveFlowConfig(targets=(pbx,), dsn=pg_dsn, run_for_s=6.0)
        transport = DamagingTransport()
        source = PollingSource(
            live.targets, hold=OPEN_BUFFERS.should_hold_polling, run_for_s=6.0,
            record_dir=recording,
            client_factory=lambda target: XapiClient(target, transport=transport))
        run_main(build_flow(live, source=source), epoch_interval=None)

    records = list(iter_replay(recording))
    kinds = [r.kind for r in records]
    run_main(build_flow(LiveFlowConfig(replay=recording, dsn=second_dsn)), epoch_interval=None)

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        # the poller's interval describes the run too (a replay has no poller)
        intervals = conn.execute("SELECT DISTINCT details->>'poll_interval_s' FROM "
                                 "pipeline_health").fetchall()
        assert intervals == [("0.1",)]
        conn.execute("UPDATE pipeline_health SET details = details - 'poll_interval_s'")
    a, b = dump(pg_dsn, exclude=RUN_COLUMNS), dump(second_dsn, exclude=RUN_COLUMNS)
    print(f"\nlive == replay: {kinds.count('active_calls')} polls, "
          f"{kinds.count('queues')} config fetches; rows per table: "
          + ", ".join(f"{t}={len(rows)}" for t, rows in a.items()))
    health = a["pipeline_health"]
    assert len(health) == kinds.count("active_calls") >= 30  # every poll recorded, none failed
    assert kinds.count("queues") == kinds.count("users") >= 2  # the start and later syncs
    assert len(a["call_events"]) > 0
    assert len(a["queue_calls"]) > 0
    assert len(a["queues"]) == 3
    assert transport.damaged == len(health)
    with psycopg.connect(second_dsn) as conn:
        problems = conn.execute("SELECT count(*) FROM pipeline_health "
                                "WHERE (details->>'parse_problems')::int > 0").fetchone()
    assert problems == (len(health),)  # every poll had a malformed row, none was a gap
    for table in COMPARED_TABLES:
        assert a[table] == b[table], f"{table} differs between the live run and its replay"
