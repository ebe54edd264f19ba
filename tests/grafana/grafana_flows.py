"""Fill a database the way production does: the real flows against a running simulator.

A simulator runs in real time (so its clock is the database's ``now()``), busy for the
half hour before it started. Then, in this process:

0. ``queues apply`` (:class:`queuepulse.queue_admin.QueueApplier`) and ``queues agents
   logout``: a queue's wrap-up time changes and an agent logs out, audited in
   ``queue_config_changes``;
1. ``run sync`` once (:class:`queuepulse.config_sync.ConfigSync`): queues, agents, memberships and
   agent states;
2. the live flow (``flows.live.build_flow``, the polling source over HTTP, Bytewax
   ``run_main``) for a few seconds: ``call_events``, ``queue_calls``, ``queue_kpi_1m``,
   ``queue_live``, ``agent_states``, ``pipeline_health``; the last polls fail (HTTP 503 from
   the simulator's fault injection), so ``pipeline_health`` holds failed polls after the last
   successful one;
3. reconciliation (:class:`queuepulse.reconcile.runner.Reconciler`) of the periods of the
   warm-up half hour that closed and settled: CDR visits, recomputed KPIs, runs, diffs and
   3CX's report figures;
4. one pass of the forecast job (:class:`queuepulse.staffing.job.StaffingJob`, what
   ``run forecast --once`` does): ``arrival_forecasts``, ``staffing_intervals``,
   ``expected_waits``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from pydantic import SecretStr

from queuepulse.config_sync import ConfigSync, SyncResult
from queuepulse.live.config import LiveFlowConfig
from queuepulse.reconcile.runner import BackfillResult, ReconcileConfig, Reconciler
from queuepulse.settings import PbxSettings
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.faults import parse_fault_spec
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import RunningSimulator, run_simulator
from queuepulse.store.config_writer import ConfigStore
from queuepulse.xapi.client import XapiClient

PBX = "sim"
WARMUP_S = 1800
PERIOD_S = 300
#: Periods are reconciled once every call of theirs has ended (as in production, where
#: ``reconcile_settle_s`` leaves time for long talks); here 10 minutes.
SETTLE_S = 600.0
LIVE_S = 8.0
POLL_S = 0.1
#: ActiveCalls requests from this one on fail with HTTP 503 (the tail of the live run).
FAIL_FROM_REQUEST = 45


@dataclass
class FlowFill:
    """What the fill did: the sync, the reconciliation, the simulator's start, and the
    simulator's true per-minute KPIs of the reconciled range ``[lo, hi)``."""

    started_at: datetime
    sync: SyncResult
    reconcile: BackfillResult
    lo: datetime
    hi: datetime
    truth_kpis: list[dict[str, Any]]


def _pbx(sim: RunningSimulator) -> PbxSettings:
    return PbxSettings(pbx_id=PBX, url=sim.base_url, client_id=sim.client_id,
                       client_secret=SecretStr(sim.client_secret), poll_interval_s=POLL_S,
                       sync_interval_s=2.0, retry_budget_s=0.05)


def _sim_now(sim: RunningSimulator) -> datetime:
    return datetime.fromtimestamp(sim.now_ms() / 1000, UTC)


async def _sync(sim: RunningSimulator, dsn: str) -> SyncResult:
    async with XapiClient(_pbx(sim), jitter=False) as client:
        store = ConfigStore.from_dsn(dsn)
        try:
            return await ConfigSync(PBX, client, store).run_once_async()
        finally:
            store.close()


async def _reconcile(sim: RunningSimulator, dsn: str, since: datetime) -> BackfillResult:
    async with XapiClient(_pbx(sim), jitter=False) as client:
        config = ReconcileConfig(pbx_id=PBX, period_s=PERIOD_S, settle_s=SETTLE_S,
                                 lookback_s=900.0, lookahead_s=900.0)
        rec = Reconciler(config, client, lambda: psycopg.connect(dsn, autocommit=True),
                         clock=lambda: _sim_now(sim))
        return await rec.backfill(since, _sim_now(sim))


async def _configure(sim: RunningSimulator, dsn: str) -> None:
    from queuepulse.domain.queue_config import QueueConfig, plan
    from queuepulse.queue_admin import QueueApplier, read_pbx, set_agents_queue_status
    from queuepulse.store.writers import BatchWriter

    writer = BatchWriter.from_dsn(dsn)

    def audit(rows: list[dict[str, Any]]) -> None:
        writer.write({"queue_config_changes": rows})

    try:
        async with XapiClient(_pbx(sim), jitter=False) as client:
            state = await read_pbx(client)
            first = state.queues[0]
            wanted = QueueConfig(first.number, {"wrap_up_time": 7})
            report = await QueueApplier(client, audit=audit).apply(
                plan([wanted], state.queues))
            assert report.ok, report.results
            member = (first.agents or ())[0].number
            await set_agents_queue_status(client, [member], False, audit=audit)
    finally:
        writer.close()


def fill_from_flows(dsn: str) -> FlowFill:
    """Run sync, live and reconcile against a fresh real-time simulator into ``dsn``."""
    from bytewax.testing import run_main

    from flows.live import build_flow

    model = ModelConfig(seed=21, queues=4, agents=16, calls_per_min_per_queue=3.0)
    faults = parse_fault_spec(f"ActiveCalls:status=503@n{FAIL_FROM_REQUEST}-1000000")
    with run_simulator(SimulatorConfig(model=model, warmup_s=WARMUP_S, pbx_id=PBX,
                                       faults=faults)) as sim:
        started = _sim_now(sim)
        asyncio.run(_configure(sim, dsn))
        synced = asyncio.run(_sync(sim, dsn))
        run_main(build_flow(LiveFlowConfig(targets=(_pbx(sim),), dsn=dsn, run_for_s=LIVE_S)),
                 epoch_interval=None)
        done = asyncio.run(_reconcile(sim, dsn, started - timedelta(seconds=WARMUP_S)))
        periods = [r.period for r in done.results]
        lo = min((p[0] for p in periods), default=started)
        hi = max((p[1] for p in periods), default=started)
        truth = sim.truth.kpi_1m(lo, hi)
        _forecast(dsn, _sim_now(sim))
    return FlowFill(started, synced, done, lo, hi, truth)


def _forecast(dsn: str, now: datetime) -> None:
    from zoneinfo import ZoneInfo

    from queuepulse.staffing.job import JobConfig, StaffingJob
    from queuepulse.store.staffing_tables import WRITER_TABLES
    from queuepulse.store.writers import BatchWriter

    writer = BatchWriter.from_dsn(dsn, tables=WRITER_TABLES)
    try:
        job = StaffingJob(JobConfig(PBX, ZoneInfo("UTC"), horizon_days=1),
                          lambda: psycopg.connect(dsn), writer)
        job.forecast_once(now)
        job.expected_waits_once(now)
    finally:
        writer.close()
