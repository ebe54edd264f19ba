"""Process-wide live-flow metrics and the ``/healthz`` + ``/metrics`` HTTP endpoint.

Pollers and the flow update :data:`METRICS` (Prometheus collectors in a private registry);
:class:`HealthServer` serves them with a readiness check: ready when every PBX polled
successfully within ``stale_after_s`` and no sink buffer is in a database outage.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from queuepulse.errors import SetupError

__all__ = ["METRICS", "HealthServer", "LiveMetrics", "health_report"]


class LiveMetrics:
    """The live flow's collectors (labels: ``pbx_id``; errors also by ``kind``)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.polls = Counter("queuepulse_polls", "ActiveCalls polls made", ["pbx_id"], registry=r)
        self.poll_errors = Counter(
            "queuepulse_poll_errors", "Failed polls by error kind", ["pbx_id", "kind"], registry=r)
        self.stale_polls = Counter(
            "queuepulse_stale_polls", "Polls skipped as stale or out of order", ["pbx_id"],
            registry=r)
        self.gaps = Counter("queuepulse_gaps", "Poll gaps recorded", ["pbx_id"], registry=r)
        self.held_polls = Counter(
            "queuepulse_held_polls", "Poll ticks skipped because the sink is behind",
            ["pbx_id"], registry=r)
        self.poll_latency = Histogram(
            "queuepulse_poll_latency_seconds", "ActiveCalls request latency", ["pbx_id"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0), registry=r)
        self.lag = Gauge(
            "queuepulse_lag_seconds", "Processing time minus poll receive time (last poll)",
            ["pbx_id"], registry=r)
        self.skew = Gauge("queuepulse_skew_seconds", "PBX ServerNow minus local receive time",
                          ["pbx_id"], registry=r)
        self.rows_emitted = Counter(
            "queuepulse_rows_emitted", "Rows handed to the sink", ["table"], registry=r)
        self.rows_written = Gauge(
            "queuepulse_rows_written", "Rows committed by the sink buffers", registry=r)
        self.write_errors = Gauge(
            "queuepulse_write_errors", "Failed database write attempts", registry=r)
        self.breaker = Gauge(
            "queuepulse_breaker_state", "Circuit breaker: 0 closed, 1 half-open, 2 open",
            ["pbx_id"], registry=r)
        self.active_calls = Gauge(
            "queuepulse_active_calls", "Calls in the last applied poll", ["pbx_id"], registry=r)
        self._lock = threading.Lock()
        self.last_success: dict[str, float] = {}

    def poll_succeeded(self, pbx_id: str) -> None:
        """Remember the (monotonic) time of a successful poll, for readiness."""
        with self._lock:
            self.last_success[pbx_id] = time.monotonic()

    def expect(self, pbx_id: str) -> None:
        """Register a PBX as expected (not ready until it polls)."""
        with self._lock:
            self.last_success.setdefault(pbx_id, float("-inf"))


METRICS = LiveMetrics()
"""The process's live metrics."""


def _sink_stats() -> tuple[int, int, bool]:
    from queuepulse.store.buffer import OPEN_BUFFERS

    buffers = list(OPEN_BUFFERS.all().values())
    written = sum(b.stats.rows_written for b in buffers)
    errors = sum(b.stats.write_errors for b in buffers)
    down = any(b.database_down for b in buffers)
    return written, errors, down


def health_report(stale_after_s: float, metrics: LiveMetrics = METRICS) -> dict[str, Any]:
    """``{"ready": bool, "pbx": {id: seconds since last good poll}, "database_down": bool}``."""
    now = time.monotonic()
    with metrics._lock:
        ages = {p: now - t for p, t in metrics.last_success.items()}
    written, errors, down = _sink_stats()
    metrics.rows_written.set(written)
    metrics.write_errors.set(errors)
    ready = bool(ages) and all(a <= stale_after_s for a in ages.values()) and not down
    return {
        "ready": ready,
        "pbx": {p: (round(a, 3) if a != float("inf") else None) for p, a in ages.items()},
        "database_down": down,
        "rows_written": written,
    }


class HealthServer:
    """``GET /healthz`` (200 ready / 503 not) and ``GET /metrics`` on ``host:port`` (a thread)."""

    def __init__(
        self, host: str, port: int, *, stale_after_s: float = 5.0,
        metrics: LiveMetrics = METRICS,
        extra: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.metrics = metrics
        self.stale_after_s = stale_after_s
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/healthz"):
                    report = health_report(outer.stale_after_s, outer.metrics)
                    if extra is not None:
                        report.update(extra())
                    body = json.dumps(report).encode()
                    self._send(200 if report["ready"] else 503, "application/json", body)
                elif self.path.startswith("/metrics"):
                    health_report(outer.stale_after_s, outer.metrics)  # refresh sink gauges
                    self._send(200, CONTENT_TYPE_LATEST, generate_latest(outer.metrics.registry))
                else:
                    self._send(404, "text/plain", b"not found: try /healthz or /metrics\n")

            def _send(self, status: int, ctype: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        try:
            self.server = ThreadingHTTPServer((host, port), Handler)
        except OSError as exc:
            raise SetupError(
                f"cannot serve /healthz and /metrics on {host}:{port}: {exc}; "
                "set QUEUEPULSE_OBSERVABILITY__METRICS_PORT or --metrics-port"
            ) from exc
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, name="healthz",
                                        daemon=True)

    def start(self) -> HealthServer:
        """Start serving in a daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
