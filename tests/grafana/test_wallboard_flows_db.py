"""The wall board's live lists on what the real flows wrote, held to the simulator's truth.

A busy real-time simulator; ``run sync`` then the live flow polling over HTTP for a few seconds
(its poller declares its interval in ``pipeline_health``). Right after the flow stops the board
must turn stale within three poll intervals: no calls shown waiting, the banner says so. Then,
declaring the last poll fresh (a long interval on that one health row, so the test can read at
leisure), the callers-waiting and calls-in-progress lists must equal the simulator's truth at
that poll's PBX time, and the agent board must list each agent once.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from grafana_runner import Result, expand_panel, resolve_variables, run
from pydantic import SecretStr

from queuepulse.config_sync import ConfigSync
from queuepulse.grafana.catalog import panel_queries, variable_defs
from queuepulse.grafana.render import dashboard_documents
from queuepulse.live.config import LiveFlowConfig
from queuepulse.settings import PbxSettings
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import RunningSimulator, run_simulator
from queuepulse.store.config_writer import ConfigStore
from queuepulse.xapi.client import XapiClient

pytestmark = pytest.mark.e2e

PBX = "sim"
POLL_S = 0.2
#: Truth transitions this close to the compared moment are left out (the poll's snapshot and
#: its receive time differ by the request's duration).
MARGIN = timedelta(seconds=1)


def _pbx(sim: RunningSimulator) -> PbxSettings:
    return PbxSettings(pbx_id=PBX, url=sim.base_url, client_id=sim.client_id,
                       client_secret=SecretStr(sim.client_secret), poll_interval_s=POLL_S,
                       sync_interval_s=30.0, retry_budget_s=0.05)


def _board(dsn: str) -> dict[str, Result]:
    document = dashboard_documents()["wallboard"]
    with psycopg.connect(dsn, autocommit=True) as reader:
        row = reader.execute("SELECT now()").fetchone()
        assert row is not None
        now = row[0].astimezone(UTC)
        variables = resolve_variables(reader, variable_defs(document), now)
        return {q.panel_title: run(reader, expand_panel(q, variables, now))
                for q in panel_queries(document)}


def _column(result: Result, name: str) -> list[Any]:
    return [row[result.columns.index(name)] for row in result.rows]


def _at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def test_lists_match_truth_and_a_stopped_pipeline_turns_stale(
    pg_dsn: str, pg_reader_dsn: str,
) -> None:
    from bytewax.testing import run_main

    from flows.live import build_flow

    model = ModelConfig(seed=5, queues=4, agents=16, calls_per_min_per_queue=6.0)
    with run_simulator(SimulatorConfig(model=model, warmup_s=900, pbx_id=PBX)) as sim:

        async def sync() -> None:
            async with XapiClient(_pbx(sim), jitter=False) as client:
                store = ConfigStore.from_dsn(pg_dsn)
                try:
                    await ConfigSync(PBX, client, store).run_once_async()
                finally:
                    store.close()

        asyncio.run(sync())
        run_main(build_flow(LiveFlowConfig(targets=(_pbx(sim),), dsn=pg_dsn, run_for_s=4.0)),
                 epoch_interval=None)
        stopped = time.monotonic()
        truth = sim.truth.visits(datetime.now(UTC) - timedelta(hours=2), None)

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        last = conn.execute(
            "SELECT ts, coalesce(skew_s, 0), details FROM pipeline_health WHERE pbx_id = %s "
            "AND errors = 0 AND stale_polls = 0 ORDER BY ts DESC LIMIT 1", (PBX,)).fetchone()
        assert last is not None
        assert last[2]["poll_interval_s"] == POLL_S
        open_visits = conn.execute(
            "SELECT count(*) FROM queue_calls WHERE outcome = 'waiting' OR "
            "(outcome = 'answered' AND ended_at IS NULL)").fetchone()
        assert open_visits is not None
        assert open_visits[0] > 0, "a busy PBX has open visits"

    # stopped: past three poll intervals the board is stale and shows no call as waiting
    time.sleep(max(0.0, 3 * POLL_S + 0.3 - (time.monotonic() - stopped)))
    board = _board(pg_reader_dsn)
    [(pbx, stale_for)] = board["Live data"].rows
    assert pbx == PBX
    assert stale_for > 3 * POLL_S
    for title in ("Callers waiting", "Calls in progress", "Agents now"):
        assert board[title].rows == [], title
    assert board["Calls waiting"].rows == [(None,)]  # shown as "stale", not as a number
    assert set(_column(board["Queues now"], "Waiting")) == {None}

    # the last poll declared fresh: the lists equal the truth at that poll
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("UPDATE pipeline_health SET details = details || '{\"poll_interval_s\": "
                     "3600}' WHERE pbx_id = %s AND ts = %s", (PBX, last[0]))
    moment = last[0] + timedelta(seconds=float(last[1]))
    board = _board(pg_reader_dsn)

    def near(*times: datetime | None) -> bool:
        return any(t is not None and abs(t - moment) < MARGIN for t in times)

    waiting_truth, talking_truth, unsure = set(), set(), set()
    for v in truth:
        entered, answered, ended = (_at(v["entered_at"]), _at(v["answered_at"]),
                                    _at(v["ended_at"]))
        key = (v["call_key"], v["queue_dn"])
        if near(entered, answered, ended):
            unsure.add(key)
        elif entered is not None and entered <= moment and (
                answered is None or answered > moment) and (ended is None or ended > moment):
            waiting_truth.add(key)
        elif answered is not None and answered <= moment and (ended is None or ended > moment):
            talking_truth.add(key)
    waiting = board["Callers waiting"]
    listed = set(zip(_column(waiting, "Call"), _column(waiting, "Queue"), strict=True))
    assert listed - unsure == waiting_truth - unsure
    assert waiting_truth, "the simulator should have callers waiting"
    # positions are 1..n per queue in order of entry
    by_queue: dict[str, list[int]] = {}
    for queue, position in zip(_column(waiting, "Queue"), _column(waiting, "Position"),
                               strict=True):
        by_queue.setdefault(queue, []).append(position)
    assert all(sorted(p) == list(range(1, len(p) + 1)) for p in by_queue.values())
    talking = board["Calls in progress"]
    listed = set(zip(_column(talking, "Call"), _column(talking, "Queue"), strict=True))
    assert listed - unsure == talking_truth - unsure
    assert talking_truth, "the simulator should have calls in progress"

    # each agent once; the staffing totals are the agent board's states
    agents = board["Agents now"]
    names = _column(agents, "Agent")
    assert len(names) == len(set(names)) == 16
    multi = [q for q in _column(agents, "Queues") if "," in q]
    assert multi, "the model puts some agents in several queues"
    states = _column(agents, "State")
    [free] = board["Agents free"].rows[0]
    assert free == states.count("free")
    by_state = dict(zip(board["Agents"].columns, board["Agents"].rows[0], strict=True))
    assert by_state == {"Talking": states.count("talking"), "Away": states.count("away"),
                        "Logged out": states.count("logged out"),
                        "Offline": states.count("offline")}
