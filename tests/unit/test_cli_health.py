"""/healthz and /metrics of the long-running commands: one server (``queuepulse.health``),
each command with its own collectors — its /metrics shows its own families and no other's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from queuepulse.cli import build_parser
from queuepulse.errors import SetupError
from queuepulse.health import CommandMetrics, HealthServer, Heartbeats, serve_health
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


STANDARD_FAMILIES = {"queuepulse_build_info", "python_info", "queuepulse_database_up"}


def _families(text: str) -> set[str]:
    """A command's own metric family names (the ``_created`` timestamps of counters and the
    families every command has, process metrics, build info and database up, left out)."""
    return {f.name for f in text_string_to_metric_families(text)
            if not f.name.endswith("_created") and not f.name.startswith("process_")
            and f.name not in STANDARD_FAMILIES}


RECORD_FAMILIES = {"queuepulse_record_polls", "queuepulse_record_syncs",
                   "queuepulse_record_poll_errors", "queuepulse_record_bytes"}
SYNC_FAMILIES = {"queuepulse_sync_runs", "queuepulse_sync_rows_written",
                 "queuepulse_sync_last_success_timestamp_seconds"}
RECONCILE_FAMILIES = {"queuepulse_reconcile_periods", "queuepulse_reconcile_cdr_rows",
                      "queuepulse_reconcile_corrections", "queuepulse_reconcile_dead_letters",
                      "queuepulse_reconcile_last_round_timestamp_seconds"}
LIVE_SOME = {"queuepulse_polls", "queuepulse_poll_errors", "queuepulse_gaps",
             "queuepulse_rows_emitted", "queuepulse_rows_written", "queuepulse_retention_runs"}


def _scrape(metrics: CommandMetrics) -> tuple[int, dict[str, Any], set[str]]:
    server = HealthServer("127.0.0.1", 0, metrics, stale_after_s=60.0).start()
    try:
        status, body = _get(server.port, "/healthz")
        _, text = _get(server.port, "/metrics")
        assert _get(server.port, "/other")[0] == 404
    finally:
        server.stop()
    return status, json.loads(body), _families(text)


def test_each_command_exports_its_own_families_only() -> None:
    from queuepulse.commands.record import RecordMetrics
    from queuepulse.commands.run_sync import SyncMetrics
    from queuepulse.live.metrics import METRICS
    from queuepulse.live.service import ReplayMetrics
    from queuepulse.reconcile.metrics import ReconcileMetrics

    assert _scrape(RecordMetrics("p"))[2] == RECORD_FAMILIES
    assert _scrape(SyncMetrics("p"))[2] == SYNC_FAMILIES
    assert _scrape(ReconcileMetrics())[2] == RECONCILE_FAMILIES
    for live in (METRICS, ReplayMetrics(METRICS, running=lambda: True)):
        families = _scrape(live)[2]
        assert families >= LIVE_SOME
        assert not families & (RECORD_FAMILIES | SYNC_FAMILIES | RECONCILE_FAMILIES)


def test_readiness_follows_the_heartbeats() -> None:
    now = [100.0]
    beats = Heartbeats(clock=lambda: now[0])
    assert beats.report(5.0) == {"ready": False, "pbx": {}}  # nothing expected: not ready
    beats.expect("a")
    beats.expect("b")
    beats.beat("a")
    assert beats.report(5.0) == {"ready": False, "pbx": {"a": 0.0, "b": None}}
    beats.beat("b")
    now[0] = 105.0
    assert beats.report(5.0) == {"ready": True, "pbx": {"a": 5.0, "b": 5.0}}
    now[0] = 105.5
    assert beats.report(5.0)["ready"] is False  # stale


def test_a_replay_is_ready_while_it_runs() -> None:
    from queuepulse.live.metrics import LiveMetrics
    from queuepulse.live.service import ReplayMetrics

    running = [False]
    metrics = ReplayMetrics(LiveMetrics(), running=lambda: running[0])
    status, report, _ = _scrape(metrics)
    assert (status, report["ready"], report["replaying"]) == (503, False, False)
    running[0] = True
    status, report, _ = _scrape(metrics)
    assert (status, report["ready"], report["replaying"]) == (200, True, True)


@pytest.mark.parametrize("argv", [
    ["run", "live"], ["run", "reconcile"], ["run", "sync"], ["record"], ["demo"],
    ["replay", "rec.jsonl"],
])
def test_long_running_commands_take_a_metrics_port(argv: list[str]) -> None:
    args = build_parser().parse_args([*argv, "--metrics-port", "12345"])
    assert args.metrics_port == 12345


def test_record_health_follows_the_recorder_progress() -> None:
    from queuepulse.commands.record import RecordMetrics

    port = _free_port()
    metrics = RecordMetrics("site-a")
    server = serve_health("127.0.0.1", port, metrics, stale_after_s=60.0, required=False)
    assert server is not None
    try:
        status, body = _get(port, "/healthz")
        assert status == 503
        assert json.loads(body)["ready"] is False
        progress = RecordProgress(polls=3, syncs=1, bytes=1200)
        metrics.update(progress)
        progress.errors, progress.last_error = 2, "TransportError: connection reset"
        metrics.update(progress)
        progress.polls = 4
        metrics.update(progress)
        status, body = _get(port, "/healthz")
        assert status == 200
        assert json.loads(body)["pbx"].keys() == {"site-a"}
        _, text = _get(port, "/metrics")
    finally:
        server.stop()
    assert 'queuepulse_record_polls_total{pbx_id="site-a"} 4.0' in text
    assert 'queuepulse_record_syncs_total{pbx_id="site-a"} 1.0' in text
    assert ('queuepulse_record_poll_errors_total{kind="TransportError",pbx_id="site-a"} 2.0'
            in text)
    assert 'queuepulse_record_bytes_total{pbx_id="site-a"} 1200.0' in text


def test_a_busy_port_is_an_error_or_logged(caplog: pytest.LogCaptureFixture) -> None:
    from queuepulse.commands.record import RecordMetrics

    metrics = RecordMetrics("p")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(SetupError, match="--metrics-port"):
            serve_health("127.0.0.1", port, metrics, stale_after_s=5.0)
        assert serve_health("127.0.0.1", port, metrics, stale_after_s=5.0,
                            required=False) is None
    assert "running without /healthz and /metrics" in caplog.text
    assert serve_health("127.0.0.1", 0, metrics, stale_after_s=5.0) is None  # 0 = off


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
        self.metrics: tuple[int, str] | None = None

    async def run_if_due(self, interval_s: float) -> _Result | None:
        self.calls += 1
        if self.calls == 2:
            self.stats.errors += 1
            return None
        if self.calls == 3:
            self.health = await asyncio.to_thread(_get, self.port, "/healthz")
            self.metrics = await asyncio.to_thread(_get, self.port, "/metrics")
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
        def __init__(self, pbx_id: str, database: Any = None) -> None:
            super().__init__(pbx_id, database)
            seen["metrics"] = self

    run_sync.SyncMetrics = Spy  # type: ignore[misc]
    try:
        await asyncio.wait_for(
            run_sync._run_serving_health(sync, 60.0, stop, "127.0.0.1", port), timeout=10)
    finally:
        run_sync.SyncMetrics = real  # type: ignore[misc]
    from prometheus_client import generate_latest

    text = generate_latest(seen["metrics"].registry).decode()
    assert sync.calls == 3
    assert sync.health is not None
    assert sync.metrics is not None
    assert _families(sync.metrics[1]) == SYNC_FAMILIES  # served: its own families only
    status, body = sync.health
    assert status == 200
    assert json.loads(body)["pbx"].keys() == {"site-b"}
    assert 'queuepulse_sync_runs_total{outcome="ok",pbx_id="site-b"} 2.0' in text
    assert 'queuepulse_sync_runs_total{outcome="failed",pbx_id="site-b"} 1.0' in text
    assert 'queuepulse_sync_rows_written_total{pbx_id="site-b"} 40.0' in text
    assert seen["metrics"].heartbeats.last_success.keys() == {"site-b"}
    with pytest.raises(ConnectionRefusedError):  # the server is stopped with the loop
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


async def test_run_reconcile_serves_its_own_metrics_while_rounds_finish() -> None:
    from datetime import UTC, datetime

    from queuepulse.commands import run_reconcile
    from queuepulse.reconcile.runner import BackfillResult, PeriodResult

    port = _free_port()
    seen: dict[str, tuple[int, str]] = {}

    class FakeReconciler:
        async def run_forever(self, stop: asyncio.Event, *, progress: Any,
                              on_round: Any) -> None:
            seen["before"] = await asyncio.to_thread(_get, port, "/healthz")
            period = (datetime(2026, 1, 5, 9, tzinfo=UTC), datetime(2026, 1, 5, 10, tzinfo=UTC))
            on_round(BackfillResult(total=1, results=[
                PeriodResult(period, "ok", cdr_rows=7, inserted=2)]))
            seen["healthz"] = await asyncio.to_thread(_get, port, "/healthz")
            seen["metrics"] = await asyncio.to_thread(_get, port, "/metrics")

    args = argparse.Namespace(metrics_port=port)
    settings = SimpleNamespace(
        observability=SimpleNamespace(metrics_host="127.0.0.1"),
        db=SimpleNamespace(dsn=SecretStr("postgresql://nobody@127.0.0.1:1/none")))
    config = SimpleNamespace(pbx_id="site-c", period_s=3600)
    code = await run_reconcile._continuous(args, settings, config, FakeReconciler(),
                                           asyncio.Event(), progress=None)
    assert code == 0
    assert seen["before"][0] == 503
    assert seen["healthz"][0] == 200
    assert json.loads(seen["healthz"][1])["pbx"].keys() == {"site-c"}
    text = seen["metrics"][1]
    assert _families(text) == RECONCILE_FAMILIES
    assert 'queuepulse_reconcile_cdr_rows_total{pbx_id="site-c"} 7.0' in text
    assert "queuepulse_database_up 0.0" in text  # nothing listens on port 1
    with pytest.raises(ConnectionRefusedError):  # stopped when the loop ends
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
