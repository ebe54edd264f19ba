"""Continuous mode: rounds every period (sleep injected), metrics and readiness."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr

from queuepulse.health import HealthServer
from queuepulse.reconcile.metrics import ReconcileMetrics
from queuepulse.reconcile.runner import ReconcileConfig, Reconciler
from queuepulse.settings import PbxSettings
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import run_simulator
from queuepulse.store.db import connect
from queuepulse.xapi.client import XapiClient

pytestmark = pytest.mark.e2e


async def test_continuous_rounds_update_metrics_and_readiness(pg_dsn: str) -> None:
    config = SimulatorConfig(model=ModelConfig(seed=4, queues=2, agents=6), manual_clock=True,
                             warmup_s=900, pbx_id="cont")
    metrics = ReconcileMetrics()
    metrics.expect("cont")
    assert metrics.health(60.0)["ready"] is False
    stop = asyncio.Event()
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 2:
            stop.set()

    with run_simulator(config) as sim:
        pbx = PbxSettings(pbx_id="cont", url=sim.base_url, client_id=sim.client_id,
                          client_secret=SecretStr(sim.client_secret))
        async with XapiClient(pbx, jitter=False) as client:
            rec = Reconciler(ReconcileConfig(pbx_id="cont", period_s=300, settle_s=0.0),
                             client, lambda: connect(pg_dsn, autocommit=True), sleep=sleep)
            await asyncio.wait_for(rec.run_forever(
                stop, since=datetime.now(UTC) - timedelta(minutes=10),
                on_round=lambda r: metrics.round_done("cont", r)), timeout=60)
    server = HealthServer("127.0.0.1", 0, metrics, stale_after_s=60.0).start()
    try:
        async with httpx.AsyncClient() as http:
            health = await http.get(f"http://127.0.0.1:{server.port}/healthz")
            text = (await http.get(f"http://127.0.0.1:{server.port}/metrics")).text
    finally:
        server.stop()
    print(f"\nsleeps {sleeps}; healthz {health.status_code} {health.json()}")
    assert sleeps == [300.0, 300.0]  # two rounds, one period apart
    assert health.status_code == 200
    assert 'queuepulse_reconcile_periods_total{pbx_id="cont",status="ok"} 2.0' in text
    assert "queuepulse_reconcile_cdr_rows_total" in text
