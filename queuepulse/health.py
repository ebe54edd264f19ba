"""``/healthz`` and ``/metrics`` of the long-running commands.

Each command keeps its own collectors in a :class:`CommandMetrics` (a private Prometheus
registry, so its ``/metrics`` shows its own families only) with :class:`Heartbeats`: the
command is ready while every expected source (a PBX) reported success within
``stale_after_s``. :class:`HealthServer` serves both on ``host:port`` from a thread:
``GET /healthz`` answers 200 when ready and 503 when not, with a JSON report;
``GET /metrics`` the registry in the Prometheus text format.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from queuepulse.errors import SetupError

__all__ = ["CommandMetrics", "HealthServer", "Heartbeats", "serve_health"]

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


class CommandMetrics:
    """A command's collectors (:attr:`registry`, its own) and its :attr:`heartbeats`.

    Subclasses add their collectors to :attr:`registry` and may extend :meth:`health`.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.heartbeats = Heartbeats()

    def health(self, stale_after_s: float) -> dict[str, Any]:
        """The ``/healthz`` report (``"ready"`` decides 200 or 503). Also called before each
        ``/metrics`` scrape, so gauges computed on demand are current."""
        return self.heartbeats.report(stale_after_s)


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
