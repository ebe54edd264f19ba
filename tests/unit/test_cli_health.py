"""/healthz and /metrics of the long-running commands ``record`` and ``run sync``.

Every long-running command serves /healthz (ready only when polling and writing work) and
Prometheus /metrics on a configurable port (README.md, docs/live-flow.md).
"""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest

from queuepulse.cli import build_parser
from queuepulse.xapi.recorder import RecordProgress

pytestmark = pytest.mark.unit


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.parametrize("argv", [
    ["run", "live"], ["run", "reconcile"], ["run", "sync"], ["record"], ["demo"],
])
def test_long_running_commands_take_a_metrics_port(argv: list[str]) -> None:
    args = build_parser().parse_args([*argv, "--metrics-port", "12345"])
    assert args.metrics_port == 12345


def test_record_health_follows_the_recorder_progress() -> None:
    from queuepulse.commands.record import _RecordHealth

    port = _free_port()
    health = _RecordHealth("site-a", "127.0.0.1", port, stale_after_s=60.0)
    try:
        status, body = _get(port, "/healthz")
        assert status == 503
        assert json.loads(body)["ready"] is False
        progress = RecordProgress(polls=3, bytes=1200)
        health.update(progress)
        progress.errors, progress.last_error = 2, "TransportError: connection reset"
        health.update(progress)
        status, body = _get(port, "/healthz")
        assert status == 200
        assert json.loads(body)["pbx"].keys() == {"site-a"}
        _, metrics = _get(port, "/metrics")
    finally:
        health.stop()
    assert 'queuepulse_polls_total{pbx_id="site-a"} 3.0' in metrics
    assert 'queuepulse_poll_errors_total{kind="TransportError",pbx_id="site-a"} 2.0' in metrics
    assert 'queuepulse_record_bytes{pbx_id="site-a"} 1200.0' in metrics


def test_record_health_with_a_busy_port_records_on(caplog: pytest.LogCaptureFixture) -> None:
    from queuepulse.commands.record import _RecordHealth

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        health = _RecordHealth("p", "127.0.0.1", busy.getsockname()[1], stale_after_s=5.0)
    assert health.server is None
    assert "recording without /healthz" in caplog.text
    health.update(RecordProgress(polls=1))  # still counts
    health.stop()


@dataclass
class _Result:
    rows_written: int


class _FakeSync:
    """Succeeds, fails, succeeds; reads /healthz at the third call, then sets ``stop``."""

    pbx_id = "site-b"

    def __init__(self, stop: asyncio.Event, port: int) -> None:
        self.stop = stop
        self.port = port
        self.calls = 0
        self.stats: Any = type("Stats", (), {"errors": 0})()
        self.health: tuple[int, str] | None = None

    async def run_if_due(self, interval_s: float) -> _Result | None:
        self.calls += 1
        if self.calls == 2:
            self.stats.errors += 1
            return None
        if self.calls == 3:
            self.health = await asyncio.to_thread(_get, self.port, "/healthz")
            self.stop.set()
        return _Result(rows_written=10 * self.calls)


async def test_run_sync_serves_health_and_counts_syncs() -> None:
    from queuepulse.commands import run_sync

    port = _free_port()
    stop = asyncio.Event()
    sync = _FakeSync(stop, port)
    seen: dict[str, Any] = {}
    real = run_sync.SyncMetrics

    class Spy(real):  # type: ignore[misc,valid-type]
        def __init__(self, pbx_id: str) -> None:
            super().__init__(pbx_id)
            seen["metrics"] = self

    run_sync.SyncMetrics = Spy  # type: ignore[misc]
    try:
        await asyncio.wait_for(
            run_sync._run_serving_health(sync, 60.0, stop, "127.0.0.1", port), timeout=10)
    finally:
        run_sync.SyncMetrics = real  # type: ignore[misc]
    from prometheus_client import generate_latest

    text = generate_latest(seen["metrics"].base.registry).decode()
    assert sync.calls == 3
    assert sync.health is not None
    status, body = sync.health
    assert status == 200
    assert json.loads(body)["pbx"].keys() == {"site-b"}
    assert 'queuepulse_sync_runs_total{outcome="ok",pbx_id="site-b"} 2.0' in text
    assert 'queuepulse_sync_runs_total{outcome="failed",pbx_id="site-b"} 1.0' in text
    assert 'queuepulse_sync_rows_written_total{pbx_id="site-b"} 40.0' in text
    assert seen["metrics"].base.last_success.keys() == {"site-b"}
    with pytest.raises(ConnectionRefusedError):  # the server is stopped with the loop
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
