"""The polling source for real: a sped-up simulator over HTTP, the poller thread, the flow and
the database, with /healthz and /metrics served while it runs."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from typing import Any

import psycopg
import pytest
from pydantic import SecretStr

from queuepulse.health import HealthServer
from queuepulse.live.config import LiveFlowConfig
from queuepulse.live.metrics import METRICS
from queuepulse.settings import PbxSettings
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import run_simulator

pytestmark = pytest.mark.e2e


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - http on 127.0.0.1
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_polling_flow_writes_live_tables_and_serves_health(pg_dsn: str) -> None:
    from bytewax.testing import run_main

    from flows.live import build_flow

    model = ModelConfig(seed=5, queues=3, agents=12, calls_per_min_per_queue=4)
    with run_simulator(SimulatorConfig(model=model, speed=10.0, warmup_s=600,
                                       pbx_id="live")) as sim:
        pbx = PbxSettings(pbx_id="live", url=sim.base_url, client_id=sim.client_id,
                          client_secret=SecretStr(sim.client_secret), poll_interval_s=0.1,
                          sync_interval_s=3.0)
        config = LiveFlowConfig(targets=(pbx,), dsn=pg_dsn, run_for_s=6.0)
        server = HealthServer("127.0.0.1", 0, METRICS, stale_after_s=2.0).start()
        seen: dict[str, Any] = {}
        flow_done = threading.Event()

        def probe() -> None:
            # Until ready, every 0.2 s, while the flow runs (it polls for 6 s).
            while not flow_done.is_set():
                status, body = _get(f"http://127.0.0.1:{server.port}/healthz")
                if status == 200:
                    seen["healthz"] = json.loads(body)
                    break
                flow_done.wait(0.2)
            seen["metrics"] = _get(f"http://127.0.0.1:{server.port}/metrics")[1].decode()

        prober = threading.Thread(target=probe)
        prober.start()
        try:
            run_main(build_flow(config), epoch_interval=None)
        finally:
            flow_done.set()
            prober.join()
            server.stop()

    with psycopg.connect(pg_dsn) as conn:
        polls = conn.execute(
            "SELECT count(*), sum(errors) FROM pipeline_health WHERE pbx_id = 'live'").fetchone()
        gauges = conn.execute("SELECT count(DISTINCT queue_dn) FROM queue_live").fetchone()
        queues = conn.execute("SELECT count(*) FROM queues WHERE valid_to IS NULL").fetchone()
        events = conn.execute("SELECT count(*) FROM call_events").fetchone()
    print(f"\npolling: {polls[0]} polls, {polls[1]} failed, {events[0]} events; "
          f"healthz={seen.get('healthz')}")
    assert polls is not None
    assert polls[0] >= 30
    assert polls[1] == 0
    assert gauges == (3,)
    assert queues == (3,)
    assert events is not None
    assert events[0] > 0
    assert seen.get("healthz", {}).get("ready") is True
    assert 'queuepulse_polls_total{pbx_id="live"}' in seen["metrics"]
