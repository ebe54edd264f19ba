"""One start-up and stop for the live flow: ``run live``, ``demo`` and ``replay``.

:func:`run_live_service` does, in this order:

1. makes SIGINT, SIGTERM and SIGHUP stop the flow cleanly (it commits what is in flight);
   binds the ``/healthz`` and ``/metrics`` port (a cluster's parent checks its members' ports
   are free), so a port in use is an error before anything is written;
2. checks each PBX and the database and writes each PBX's current configuration
   (:func:`~queuepulse.live.startup.prepare_targets`; a replay has no PBX to ask, so only the
   database is checked) — a clean error, exit 2, instead of a traceback from a flow thread.
   Once per cluster: on member 0 (or on the ``--processes N`` parent before it starts its
   members); every other member only checks that it reaches the database;
3. spawns the local cluster when ``processes > 1`` (each member runs this function again);
4. serves (bound in step 1) ``/healthz`` and ``/metrics`` of the live flow's collectors
   (:data:`METRICS`), with this process's member id: live flows are ready while every PBX this
   member polls polled within ``stale_after_s`` and the database is up; a replay is ready while
   it runs and the database is up;
5. applies the retention at start and daily with ``retention_dsn`` (a member of
   queuepulse_retention; never the writer), when given (member 0 only; not for a replay: its
   data may be old);
6. runs the flow until it ends, is stopped or fails, and stops everything it started.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from queuepulse.health import CommandMetrics, HealthServer, check_port_free, serve_health
from queuepulse.live.config import LiveFlowConfig
from queuepulse.live.metrics import METRICS, LiveMetrics
from queuepulse.live.retention import RetentionTimer  # its counter is on METRICS' registry
from queuepulse.live.runner import flow_running, run_flow, spawn_cluster, stop_on_signals

__all__ = ["ReplayMetrics", "ServiceOptions", "run_live_service"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceOptions:
    """How :func:`run_live_service` runs the flow."""

    workers: int = 1
    snapshot_s: float = 10.0
    recovery_dir: Path | None = None
    processes: int = 1
    """> 1: run ``cluster_argv`` as that many local cluster members (``process_id`` unset)."""
    cluster_argv: Sequence[str] = ()
    process_id: int | None = None
    """This member's index in ``addresses`` (a cluster across hosts or spawned locally)."""
    addresses: Sequence[str] | None = None
    join_timeout_s: float = 120.0
    """How long a member waits for the others at start before it fails."""
    startup_checked: bool = False
    """The ``--processes N`` parent ran the start-up checks: its members skip them."""
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 0
    """Port of /healthz and /metrics (``--processes N`` members: port + N); 0: not served."""
    metrics_required: bool = True
    """A port in use is an error (otherwise logged, and the flow runs without)."""
    config_clock: Callable[[], datetime] | None = None
    """Stamps the configuration written at start (default: the local clock)."""


class ReplayMetrics(CommandMetrics):
    """The live flow's collectors, ready while a replay runs and the database is up."""

    def __init__(self, live: LiveMetrics, running: Callable[[], bool] = flow_running) -> None:
        self.registry = live.registry
        self.heartbeats = live.heartbeats
        self._live = live
        self._running = running

    def health(self, stale_after_s: float) -> dict[str, Any]:
        """The live report, with readiness from the replay running instead of the polls."""
        report = self._live.health(stale_after_s)
        replaying = self._running()
        report.update(ready=replaying and not report["database_down"], replaying=replaying)
        return report


def _check_database(dsn: str) -> None:
    """Connect once: an unreachable database is a clean error now, not a sink retrying."""
    from queuepulse.store.db import connect

    with connect(dsn, autocommit=True, application_name="queuepulse-live"):
        pass


def run_live_service(
    config: LiveFlowConfig,
    options: ServiceOptions,
    *,
    recorder: Any = None,
    while_running: Callable[[HealthServer | None], contextlib.AbstractContextManager[Any]]
    | None = None,
) -> int:
    """Run the live flow of ``config`` as a service (see the module docstring); the exit code.

    ``recorder`` (a :class:`~queuepulse.live.commit_latency.CommitRecorder`) is handed to the
    flow; ``while_running`` wraps the flow's run (e.g. the demo's summary printer) and gets
    the health server.
    """
    from flows.live import build_flow
    from queuepulse.live.startup import prepare_targets

    stop_on_signals()
    member_id = options.process_id or 0
    cluster_parent = options.processes > 1 and options.process_id is None
    server = None
    # The metrics port first: a port in use is an error before anything is written.
    if cluster_parent:
        if options.metrics_port and options.metrics_required:
            for member in range(options.processes):
                check_port_free(options.metrics_host, options.metrics_port + member)
    else:
        METRICS.set_member(member_id, len(options.addresses or ()) or 1, options.workers)
        metrics: CommandMetrics = METRICS if config.replay is None else ReplayMetrics(METRICS)
        poll_s = max((t.poll_interval_s for t in config.targets), default=1.0)
        server = serve_health(options.metrics_host, options.metrics_port, metrics,
                              stale_after_s=max(5.0, 3 * poll_s),
                              required=options.metrics_required)
    retention = None
    try:
        if member_id == 0 and not options.startup_checked:
            if config.replay is None:
                prepare_targets(config.targets, config.dsn, write_config=config.write_config,
                                clock=options.config_clock)
            elif config.dsn is not None:
                _check_database(config.dsn)
        elif config.dsn is not None:  # every member writes: each must reach the database
            _check_database(config.dsn)
        if cluster_parent:
            return spawn_cluster([*options.cluster_argv, "--startup-checked"],
                                 options.processes, metrics_port=options.metrics_port)
        log.info("live flow starting", extra={
            "pbx": [t.pbx_id for t in config.targets], "replay": str(config.replay or ""),
            "workers": options.workers, "process_id": member_id,
            "processes": len(options.addresses or ()) or 1})
        if config.dsn is not None and config.replay is None and member_id == 0:
            if config.retention_dsn is not None:
                retention = RetentionTimer(config.retention_dsn).start()
            else:
                log.info("retention is not applied by this flow: the writer may not drop "
                         "history; run 'queuepulse db retention' daily as the owner or a member "
                         "of queuepulse_retention, or set QUEUEPULSE_DB__RETENTION_DSN")
        with while_running(server) if while_running else contextlib.nullcontext():
            run_flow(build_flow(config, recorder=recorder), workers=options.workers,
                     snapshot_s=options.snapshot_s, recovery_dir=options.recovery_dir,
                     process_id=options.process_id, addresses=options.addresses,
                     join_timeout_s=options.join_timeout_s)
    finally:
        if retention is not None:
            retention.stop()
        if server is not None:
            server.stop()
    return 0
