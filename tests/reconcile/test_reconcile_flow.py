"""The Bytewax reconciliation flow: a tick reconciles the closed periods (simulator over HTTP,
migrated database), and a second tick has nothing left to do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from bytewax.testing import TestingSink, TestingSource, run_main
from pydantic import SecretStr

from flows.reconcile import build_flow
from queuepulse.reconcile.runner import ReconcileConfig
from queuepulse.reconcile.service import ReconcileService
from queuepulse.settings import PbxSettings
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import run_simulator
from queuepulse.store.db import connect
from queuepulse.xapi.client import XapiClient

pytestmark = pytest.mark.e2e


def test_flow_reconciles_closed_periods_once(pg_dsn: str) -> None:
    config = SimulatorConfig(model=ModelConfig(seed=9, queues=2, agents=6), manual_clock=True,
                             warmup_s=1200, pbx_id="flow")
    now = datetime.now(UTC)
    with run_simulator(config) as sim:
        pbx = PbxSettings(pbx_id="flow", url=sim.base_url, client_id=sim.client_id,
                          client_secret=SecretStr(sim.client_secret))
        service = ReconcileService(
            ReconcileConfig(pbx_id="flow", period_s=300, settle_s=0.0),
            lambda: XapiClient(pbx, jitter=False),
            lambda: connect(pg_dsn, autocommit=True),
            since=now - timedelta(minutes=15),
        )
        out: list[str] = []
        try:
            flow = build_flow(service, TestingSource([now, now]), TestingSink(out))
            run_main(flow)  # type: ignore[no-untyped-call]
        finally:
            service.close()
    print("\n" + "\n".join(out))
    assert len(out) >= 2  # the periods of the first tick; the second tick adds none
    assert all(" ok: " in line for line in out)
    with psycopg.connect(pg_dsn) as conn:
        row = conn.execute("SELECT count(*) FROM reconciliation_runs WHERE pbx_id = 'flow' "
                           "AND status = 'ok'").fetchone()
    assert row == (len(out),)
