"""The live flow's metrics: :data:`METRICS`, served by ``run live``, ``demo`` and ``replay``.

Pollers and the flow's steps update :data:`METRICS` (Prometheus collectors in a registry of
their own, served by :class:`queuepulse.health.HealthServer`). The live flow is ready when
every PBX polled successfully within ``stale_after_s`` and no sink buffer is in a database
outage.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from queuepulse.health import CommandMetrics

__all__ = ["METRICS", "LiveMetrics"]


class LiveMetrics(CommandMetrics):
    """The live flow's collectors (labels: ``pbx_id``; errors also by ``kind``)."""

    def __init__(self) -> None:
        super().__init__()
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
        self.member_info = Gauge(
            "queuepulse_cluster_member_info",
            "This process's place in the live flow's cluster (always 1; member 0 of 1 alone)",
            ["process_id", "processes", "workers_per_process"], registry=r)
        self.member: dict[str, int] | None = None

    def set_member(self, process_id: int, processes: int, workers: int) -> None:
        """Name this process's cluster membership on /metrics and /healthz."""
        self.member_info.clear()
        self.member_info.labels(str(process_id), str(processes), str(workers)).set(1)
        self.member = {"process_id": process_id, "processes": processes,
                       "workers_per_process": workers}

    def poll_succeeded(self, pbx_id: str) -> None:
        """A poll of ``pbx_id`` succeeded now (for readiness)."""
        self.heartbeats.beat(pbx_id)

    def expect(self, pbx_id: str) -> None:
        """Register a PBX as expected (not ready until it polls)."""
        self.heartbeats.expect(pbx_id)

    def health(self, stale_after_s: float) -> dict[str, Any]:
        """Ready when every PBX polled within ``stale_after_s`` and the database is not down;
        refreshes the sink gauges (rows written, write errors)."""
        report = self.heartbeats.report(stale_after_s)
        written, errors, down = _sink_stats()
        self.rows_written.set(written)
        self.write_errors.set(errors)
        ready = report["ready"]
        if self.member is not None and self.member["processes"] > 1 and not report["pbx"]:
            # A cluster member that polls none of the PBXs (more workers than PBXs) still
            # carries keyed state: ready once the cluster formed and the flow runs.
            from queuepulse.live.runner import cluster_joined, flow_running

            ready = cluster_joined() and flow_running()
        report.update(ready=ready and not down, database_down=down, rows_written=written)
        if self.member is not None:
            report["member"] = self.member
        return report


METRICS = LiveMetrics()
"""The process's live metrics."""


def _sink_stats() -> tuple[int, int, bool]:
    from queuepulse.store.buffer import OPEN_BUFFERS

    buffers = list(OPEN_BUFFERS.all().values())
    written = sum(b.stats.rows_written for b in buffers)
    errors = sum(b.stats.write_errors for b in buffers)
    down = any(b.database_down for b in buffers)
    return written, errors, down
