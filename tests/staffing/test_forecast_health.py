"""``run forecast`` serves /healthz and /metrics (queuepulse.health) with its own families."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from queuepulse.cli import build_parser
from queuepulse.commands.run_forecast import run_forever
from queuepulse.schedule import FixedRate
from queuepulse.staffing.job import ForecastRun, WaitRun
from queuepulse.store.db import DatabaseUnavailableError

pytestmark = pytest.mark.unit

FAMILIES = {"queuepulse_forecast_runs", "queuepulse_forecast_rows_written",
            "queuepulse_forecast_last_success_timestamp_seconds"}
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@dataclass
class _Config:
    pbx_id: str = "site-f"


@dataclass
class _FakeJob:
    """Stands in for StaffingJob (no database): the third wait pass finds the database away."""

    port: int
    stop: asyncio.Event
    loop: asyncio.AbstractEventLoop
    config: _Config = field(default_factory=_Config)
    waits: int = 0
    forecasts: int = 0
    seen: dict[str, tuple[int, str]] = field(default_factory=dict)

    def forecast_once(self, now: datetime) -> ForecastRun:
        self.forecasts += 1
        return ForecastRun(now, queues=2, forecast_rows=100, staffing_rows=90)

    def expected_waits_once(self, now: datetime) -> WaitRun:
        self.waits += 1
        if self.waits == 2:
            self.seen["healthz"] = _get(self.port, "/healthz")
        if self.waits == 3:
            raise DatabaseUnavailableError("cannot connect to PostgreSQL (test)")
        if self.waits == 4:
            self.seen["metrics"] = _get(self.port, "/metrics")
            self.loop.call_soon_threadsafe(self.stop.set)
        return WaitRun(now, predictions=3)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_run_forecast_serves_health_and_counts_passes() -> None:
    port = _free_port()
    stop = asyncio.Event()
    job = _FakeJob(port, stop, asyncio.get_running_loop())
    clock = {"t": 0.0}

    async def sleep(seconds: float) -> None:
        clock["t"] += seconds
        await asyncio.sleep(0)

    rate = FixedRate(15.0, clock=lambda: clock["t"], sleep=sleep, start=0.0)
    await asyncio.wait_for(run_forever(
        job, 30.0, 15.0, stop, "127.0.0.1", port,
        now=lambda: T0 + timedelta(seconds=clock["t"]), rate=rate), timeout=10)
    assert job.waits == 4
    assert job.forecasts == 2  # at 0 s and 30 s
    status, body = job.seen["healthz"]
    assert status == 200
    assert json.loads(body)["pbx"].keys() == {"site-f"}
    status, text = job.seen["metrics"]
    families = {f.name for f in text_string_to_metric_families(text)  # its own, the standard
                if not f.name.endswith("_created") and not f.name.startswith("process_")
                and f.name not in {"queuepulse_build_info", "python_info"}}
    assert families == FAMILIES
    assert ('queuepulse_forecast_runs_total{kind="waits",outcome="failed",pbx_id="site-f"} 1.0'
            in text)
    assert ('queuepulse_forecast_rows_written_total{pbx_id="site-f",table="arrival_forecasts"}'
            " 200.0" in text)
    with pytest.raises(ConnectionRefusedError):  # stopped with the loop
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_run_forecast_takes_a_metrics_port() -> None:
    args = build_parser().parse_args(["run", "forecast", "--metrics-port", "12345"])
    assert args.metrics_port == 12345
