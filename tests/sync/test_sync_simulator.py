"""The sync against the simulated PBX over real HTTP (token, /Queues?$expand=Agents, /Users with
$select) into a migrated TimescaleDB, checked against the simulator's ground truth."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import psycopg
import pytest
from pydantic import SecretStr

from queuepulse.config_sync import ConfigSync
from queuepulse.settings import PbxSettings
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import run_simulator
from queuepulse.store.config_writer import ConfigStore
from queuepulse.xapi.client import XapiClient

pytestmark = pytest.mark.e2e

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
SYNC_EVERY_S = 300
SYNCS = 12


def _ts(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _state_at(rows: list[tuple[datetime, tuple[Any, ...]]], when: datetime) -> tuple[Any, ...]:
    current: tuple[Any, ...] = ()
    for ts, state in rows:
        if ts <= when:
            current = state
    return current


async def test_sync_follows_the_simulated_pbx(pg_writer_dsn: str) -> None:
    model = ModelConfig(seed=7, queues=5, agents=24, break_every_s=900.0, break_mean_s=300.0,
                        logout_every_s=1800.0, logout_mean_s=600.0)
    config = SimulatorConfig(model=model, start=START, manual_clock=True, pbx_id="sim")
    with run_simulator(config) as sim:
        def pbx_now() -> datetime:
            return datetime.fromtimestamp(sim.now_ms() / 1000, UTC)

        settings = PbxSettings(pbx_id="sim", url=sim.base_url, client_id=sim.client_id,
                               client_secret=SecretStr(sim.client_secret))
        store = ConfigStore.from_dsn(pg_writer_dsn)
        sync_times: list[datetime] = []
        async with XapiClient(settings, jitter=False) as client:
            sync = ConfigSync("sim", client, store, clock=pbx_now)
            first = await sync.run_once_async()
            sync_times.append(first.at)
            for _ in range(SYNCS):
                sim.advance(SYNC_EVERY_S)
                sync_times.append((await sync.run_once_async()).at)
        store.close()
        truth = sim.truth.agent_states()
        directory = sync.directory

    assert first.queues == 5
    assert first.agents >= 24
    assert first.memberships > 0
    with psycopg.connect(pg_writer_dsn) as conn:
        open_queues = conn.execute(
            "SELECT count(*) FROM queues WHERE pbx_id = 'sim' AND valid_to IS NULL").fetchone()
        all_queues = conn.execute("SELECT count(*) FROM queues WHERE pbx_id = 'sim'").fetchone()
        members = conn.execute(
            "SELECT queue_dn, agent_dn FROM queue_agents WHERE pbx_id = 'sim' "
            "AND valid_to IS NULL").fetchall()
        states = conn.execute(
            "SELECT agent_dn, ts, queue_status, profile, registered FROM agent_states "
            "WHERE pbx_id = 'sim' ORDER BY agent_dn, ts").fetchall()
    assert open_queues == (5,)
    assert all_queues == (5,)  # the configuration never changed: no new versions
    assert {(q, a) for q, a in members} == {
        (q, a) for q, info in directory.queues.items() for a in info.agents}

    db_rows: dict[str, list[tuple[datetime, tuple[Any, ...]]]] = defaultdict(list)
    for dn, ts, qs, prof, reg in states:
        db_rows[dn].append((ts, (qs, prof, reg)))
    truth_rows: dict[str, list[tuple[datetime, tuple[Any, ...]]]] = defaultdict(list)
    for row in truth:
        truth_rows[row["agent_dn"]].append(
            (_ts(row["ts"]), (row["queue_status"], row["profile"], row["registered"])))

    # Change-only: no agent has two consecutive rows with the same state.
    for dn, rows in db_rows.items():
        for (_, a), (_, b) in pairwise(rows):
            assert a != b, f"agent {dn}: repeated state row {a}"
    # At every sync, the state the database says each agent had is the truth's state then.
    checked = mismatches = 0
    for when in sync_times:
        for dn, rows in truth_rows.items():
            if dn not in db_rows:
                continue
            checked += 1
            if _state_at(db_rows[dn], when) != _state_at(rows, when):
                mismatches += 1
    changes = sum(len(r) for r in db_rows.values()) - len(db_rows)
    print(f"\nsync vs truth: {len(sync_times)} syncs, {len(db_rows)} agents, "
          f"{changes} state changes seen, {checked} agent-times checked, {mismatches} mismatches")
    assert checked > 0
    assert mismatches == 0
    assert changes > 0  # breaks and logouts happened and were recorded
