"""``/healthz`` and ``/metrics`` of the long-running commands.

Each command keeps its own collectors in a :class:`CommandMetrics` (a private Prometheus
registry, so its ``/metrics`` shows its own families only) with :class:`Heartbeats`: the
command is ready while every expected source (a PBX) reported success within
``stale_after_s``. :class:`HealthServer` serves both on ``host:port`` from a thread:
``GET /healthz`` answers 200 when ready and 503 when not, with a JSON report;
``GET /metrics`` the registry in the Prometheus text format.

Prometheus conventions every command follows: a cumulative count is a counter (its sample
ends in ``_total``), a level is a gauge, durations are in seconds and sizes in bytes; every
registry has the process metrics (``process_*``), ``python_info`` and
``queuepulse_build_info{version}`` (:func:`add_standard_collectors`); a command that uses the
database exports ``queuepulse_database_up`` (1 reachable, 0 not; :class:`DatabaseProbe`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Gauge,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from queuepulse.errors import SetupError

__all__ = [
    "CommandMetrics", "DatabaseProbe", "HealthServer", "Heartbeats", "add_standard_collectors",
    "check_port_free", "serve_health",
]

log = logging.getLogger(__name__)


class Heartbeats:
    """When each expected source last succeeded (on a monotonic ``clock``)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.last_success: dict[str, float] = {}

    def expect(self, key: str) -> None:
        """Register ``key`` as expected: not ready until it succeeds."""
        with self._lock:
            self.last_success.setdefault(key, float("-inf"))

    def beat(self, key: str) -> None:
        """``key`` succeeded now."""
        with self._lock:
            self.last_success[key] = self._clock()

    def report(self, stale_after_s: float) -> dict[str, Any]:
        """``{"ready": bool, "pbx": {key: seconds since its last success, None if never}}``:
        ready when something is expected and everything succeeded within ``stale_after_s``."""
        now = self._clock()
        with self._lock:
            ages = {k: now - t for k, t in self.last_success.items()}
        return {
            "ready": bool(ages) and all(a <= stale_after_s for a in ages.values()),
            "pbx": {k: (round(a, 3) if a != float("inf") else None) for k, a in ages.items()},
        }


def add_standard_collectors(registry: CollectorRegistry) -> None:
    """The families every queuepulse ``/metrics`` has: ``process_*`` (CPU seconds, memory,
    open file descriptors, start time), ``python_info`` and ``queuepulse_build_info``."""
    import platform

    from queuepulse import __version__

    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    Gauge("queuepulse_build_info", "queuepulse build: always 1, labelled with the version",
          ["version", "python_version"], registry=registry).labels(
        __version__, platform.python_version()).set(1)


class DatabaseProbe:
    """Whether the database answers ``SELECT 1`` (checked at most every ``every_s``), for
    ``queuepulse_database_up`` of commands that have no sink buffer to ask."""

    def __init__(self, dsn: str, *, every_s: float = 5.0, timeout_s: int = 3,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._dsn = dsn
        self._every_s = every_s
        self._timeout_s = timeout_s
        self._clock = clock
        self._checked_at = float("-inf")
        self._up = False
        self._lock = threading.Lock()

    def up(self) -> bool:
        """The last result, refreshed when older than ``every_s``."""
        with self._lock:
            if self._clock() - self._checked_at >= self._every_s:
                self._up = self._check()
                self._checked_at = self._clock()
            return self._up

    def _check(self) -> bool:
        import psycopg

        from queuepulse.errors import QueuepulseError
        from queuepulse.store.db import connect

        try:
            with connect(self._dsn, autocommit=True, connect_timeout_s=self._timeout_s,
                         application_name="queuepulse-probe") as conn:
                conn.execute("SELECT 1")
        except (QueuepulseError, psycopg.Error, OSError):
            return False
        return True


class CommandMetrics:
    """A command's collectors (:attr:`registry`, its own) and its :attr:`heartbeats`.

    Subclasses add their collectors to :attr:`registry` and may extend :meth:`health`. With a
    ``database`` probe the registry has ``queuepulse_database_up`` (refreshed by
    :meth:`health`, i.e. before each scrape) and ``/healthz`` reports ``database_down``.
    """

    def __init__(self, database: DatabaseProbe | None = None) -> None:
        self.registry = CollectorRegistry()
        add_standard_collectors(self.registry)
        self.heartbeats = Heartbeats()
        self.database = database
        self.database_up: Gauge | None = None
        if database is not None:
            self.database_up = self.new_database_up_gauge()

    def new_database_up_gauge(self) -> Gauge:
        """``queuepulse_database_up`` on :attr:`registry`."""
        return Gauge("queuepulse_database_up",
                     "1 when the database is reachable and accepts writes, 0 when not",
                     registry=self.registry)

    def health(self, stale_after_s: float) -> dict[str, Any]:
        """The ``/healthz`` report (``"ready"`` decides 200 or 503). Also called before each
        ``/metrics`` scrape, so gauges computed on demand are current."""
        report = self.heartbeats.report(stale_after_s)
        if self.database is not None and self.database_up is not None:
            up = self.database.up()
            self.database_up.set(1 if up else 0)
            report["database_down"] = not up
        return report


class HealthServer:
    """``GET /healthz`` (200 ready / 503 not) and ``GET /metrics`` of ``metrics`` on
    ``host:port`` (port 0: any free port, see :attr:`port`), served from a daemon thread."""

    def __init__(self, host: str, port: int, metrics: CommandMetrics, *,
                 stale_after_s: float) -> None:
        self.metrics = metrics
        self.stale_after_s = stale_after_s
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/healthz"):
                    report = outer.metrics.health(outer.stale_after_s)
                    body = json.dumps(report).encode()
                    self._send(200 if report["ready"] else 503, "application/json", body)
                elif self.path.startswith("/metrics"):
                    outer.metrics.health(outer.stale_after_s)
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
        self.port: int = self.server.server_address[1]
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


def check_port_free(host: str, port: int) -> None:
    """:class:`SetupError` when ``host:port`` cannot be bound now (e.g. another process serves
    it); for a parent process whose children will serve the port."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SetupError(
                f"cannot serve /healthz and /metrics on {host}:{port}: {exc.strerror}; "
                "set QUEUEPULSE_OBSERVABILITY__METRICS_PORT or --metrics-port"
            ) from None


def serve_health(host: str, port: int, metrics: CommandMetrics, *, stale_after_s: float,
                 required: bool = True) -> HealthServer | None:
    """Start a :class:`HealthServer` on ``port``; ``None`` when ``port`` is 0 (off).

    A port that cannot be bound raises :class:`SetupError` when ``required``; otherwise it is
    logged and the command goes on without the endpoints.
    """
    if not port:
        return None
    try:
        server = HealthServer(host, port, metrics, stale_after_s=stale_after_s).start()
    except SetupError as exc:
        if required:
            raise
        log.warning("running without /healthz and /metrics", extra={"error": str(exc)})
        return None
    log.info("serving /healthz and /metrics", extra={"port": server.port})
    return server
