"""The live flow's metrics: :data:`METRICS`, served by ``run live``, ``demo`` and ``replay``.

Pollers and the flow's steps update :data:`METRICS` (Prometheus collectors in a registry of
their own, served by :class:`queuepulse.health.HealthServer`). The live flow is ready when
every PBX polled successfully within ``stale_after_s`` and no sink buffer is in a database
outage (``queuepulse_database_up`` 0). Cumulative series are counters (``*_total``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from queuepulse.health import CommandMetrics

__all__ = ["BREAKER_STATES", "METRICS", "LiveMetrics"]


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
        r.register(_SinkCounters())  # queuepulse_rows_written_total, _write_errors_total
        self.database_up = self.new_database_up_gauge()
        self.breaker = Gauge(
            "queuepulse_breaker_state",
            "Circuit breaker of the PBX's XAPI client: 1 for its current state, 0 for the others",
            ["pbx_id", "state"], registry=r)
        self.token_failures = Counter(
            "queuepulse_token_failures", "Refused or failed XAPI token requests", ["pbx_id"],
            registry=r)
        self.token_conflicts = Counter(
            "queuepulse_token_conflicts",
            "Valid tokens revoked by a newer one: another process uses the same API client",
            ["pbx_id"], registry=r)
        self.last_poll_success = Gauge(
            "queuepulse_last_poll_success_timestamp_seconds",
            "Unix time of the last successful ActiveCalls poll", ["pbx_id"], registry=r)
        self.active_calls = Gauge(
            "queuepulse_active_calls", "Calls in the last applied poll", ["pbx_id"], registry=r)
        # the write path under faults (refreshed from the sink buffers at each scrape)
        self.buffer_rows = Gauge(
            "queuepulse_buffer_depth", "Rows accepted by the sinks and not yet committed "
            "(memory and local spool)", registry=r)
        self.spool_bytes = Gauge(
            "queuepulse_spool_bytes", "Bytes of rows waiting in the local spool on disk",
            registry=r)
        self.dead_letters = Counter(
            "queuepulse_dead_letters", "Rows refused by the database for their data, kept in "
            "write_dead_letters", registry=r)
        self.clock_anomalies = Counter(
            "queuepulse_clock_anomalies", "Polls whose ServerNow disagreed with the PBX clock "
            "estimate (jumps, steps) ", ["pbx_id"], registry=r)
        self._dead_seen = 0
        self.member_info = Gauge(
            "queuepulse_cluster_member_info",
            "This process's place in the live flow's cluster (always 1; member 0 of 1 alone)",
            ["process_id", "processes", "workers_per_process"], registry=r)
        self.member: dict[str, int] | None = None

    def breaker_state(self, pbx_id: str, state: str) -> None:
        """The breaker of ``pbx_id`` is in ``state`` (``closed``, ``half_open``, ``open``)."""
        for name in BREAKER_STATES:
            self.breaker.labels(pbx_id, name).set(1 if name == state else 0)

    def set_member(self, process_id: int, processes: int, workers: int) -> None:
        """Name this process's cluster membership on /metrics and /healthz."""
        self.member_info.clear()
        self.member_info.labels(str(process_id), str(processes), str(workers)).set(1)
        self.member = {"process_id": process_id, "processes": processes,
                       "workers_per_process": workers}

    def poll_succeeded(self, pbx_id: str) -> None:
        """A poll of ``pbx_id`` succeeded now (for readiness and staleness alerts)."""
        self.heartbeats.beat(pbx_id)
        self.last_poll_success.labels(pbx_id).set_to_current_time()

    def expect(self, pbx_id: str) -> None:
        """Register a PBX as expected (not ready until it polls)."""
        self.heartbeats.expect(pbx_id)

    def health(self, stale_after_s: float) -> dict[str, Any]:
        """Ready when every PBX polled within ``stale_after_s`` and the database is not down;
        refreshes ``queuepulse_database_up`` from the sink buffers."""
        report = self.heartbeats.report(stale_after_s)
        written, _errors, down = _sink_stats()
        if self.database_up is not None:
            self.database_up.set(0 if down else 1)
        self._refresh_buffers()
        ready = report["ready"]
        if self.member is not None and self.member["processes"] > 1 and not report["pbx"]:
            # A cluster member that polls none of the PBXs (more workers than PBXs) still
            # carries keyed state: ready once the cluster formed and the flow runs. Bytewax
            # builds this member's source partitions just after the cluster forms, so a member
            # that does poll a PBX has not named it yet in that instant: wait a moment first.
            from queuepulse.live.runner import flow_running, joined_for_s

            ready = joined_for_s() >= JOIN_SETTLE_S and flow_running()
        report.update(ready=ready and not down, database_down=down, rows_written=written)
        if self.member is not None:
            report["member"] = self.member
        return report

    def _refresh_buffers(self) -> None:
        from queuepulse.store.buffer import OPEN_BUFFERS

        buffers = list(OPEN_BUFFERS.all().values())
        self.buffer_rows.set(sum(b.pending for b in buffers))
        self.spool_bytes.set(sum(b.spool_bytes for b in buffers))
        dead = sum(b.stats.dead_letters for b in buffers)
        if dead > self._dead_seen:
            self.dead_letters.inc(dead - self._dead_seen)
        self._dead_seen = dead  # (a closed buffer leaves the sum: counting restarts there)


JOIN_SETTLE_S = 2.0
"""A cluster member that polls no PBX is ready this long after the cluster formed."""

BREAKER_STATES = ("closed", "half_open", "open")
"""The values of ``queuepulse_breaker_state``'s ``state`` label."""


class _SinkCounters(Collector):
    """``queuepulse_rows_written_total`` and ``queuepulse_write_errors_total``: the sink
    buffers' own running counts, read at each scrape."""

    def collect(self) -> Iterable[Metric]:
        written, errors, _down = _sink_stats()
        yield CounterMetricFamily("queuepulse_rows_written",
                                  "Rows committed by the sink buffers", value=written)
        yield CounterMetricFamily("queuepulse_write_errors",
                                  "Failed database write attempts", value=errors)


METRICS = LiveMetrics()
"""The process's live metrics."""


def _sink_stats() -> tuple[int, int, bool]:
    from queuepulse.store.buffer import OPEN_BUFFERS

    buffers = list(OPEN_BUFFERS.all().values())
    written = sum(b.stats.rows_written for b in buffers)
    errors = sum(b.stats.write_errors for b in buffers)
    down = any(b.database_down for b in buffers)
    return written, errors, down
