"""``queuepulse run sync``: keep the queues/agents dimensions and agent states in step."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from typing import TYPE_CHECKING, Any

from queuepulse.commands.run import add_target_options, settings_from_args
from queuepulse.health import CommandMetrics, DatabaseProbe

if TYPE_CHECKING:
    from queuepulse.settings import PbxSettings
    from queuepulse.store.sites import PbxZoneClient
    from queuepulse.store.writers import BatchWriter

log = logging.getLogger(__name__)


def register(run_subparsers: Any) -> None:
    """Add ``run sync``."""
    parser = run_subparsers.add_parser(
        "sync", help="sync Queues/Users into the dimension tables and agent_states",
        description=(
            "Fetch the PBX's queues (with agents) and users at start and every interval; write "
            "changed rows to queues, agents, queue_agents (validity times) and agent_states. "
            "A failed sync (PBX or database away) is logged and retried after a fifth of the "
            "interval. Without --once it runs until Ctrl-C/SIGTERM and serves /healthz (ready "
            "while syncs succeed) and /metrics. `run live` already syncs Queues/Users itself: "
            "run this only next to `run live --no-sync`."
        ),
    )
    add_target_options(parser)
    parser.add_argument(
        "--interval", type=float, default=None,
        help="seconds between syncs (default: QUEUEPULSE_PBX__SYNC_INTERVAL_S, 60)",
    )
    parser.add_argument("--once", action="store_true",
                        help="sync once, print what changed and exit (no /healthz)")
    parser.add_argument(
        "--metrics-port", type=int, default=None,
        help="port of /healthz and /metrics (default: QUEUEPULSE_OBSERVABILITY__METRICS_PORT "
             "+ 3, i.e. 9467; 0 = off)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the sync once (``--once``) or until SIGINT/SIGTERM."""
    return asyncio.run(_main(args))


async def _main(args: argparse.Namespace) -> int:
    from queuepulse.config_sync import ConfigSync
    from queuepulse.domain.rules import Rules
    from queuepulse.store.config_writer import ConfigStore
    from queuepulse.xapi.client import XapiClient

    settings = settings_from_args(args)
    settings.pbx.require_client_secret()  # a clean error before any network
    interval = args.interval or settings.pbx.sync_interval_s
    store = ConfigStore.from_dsn(settings.db.dsn)
    try:
        async with XapiClient(settings.pbx) as client:
            await _write_site_zone(store.writer, settings.pbx, client)
            sync = ConfigSync(settings.pbx.pbx_id, client, store,
                              rules=Rules.from_settings(settings.rules))
            if args.once:
                result = await sync.run_once_async()
                print(
                    f"synced {settings.pbx.pbx_id}: {result.queues} queues, "
                    f"{result.agents} agents, {result.memberships} memberships; "
                    f"{result.opened} rows opened, {result.closed} closed, "
                    f"{result.state_rows} agent state rows"
                )
                return 0
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            log.info("sync running",
                     extra={"pbx_id": settings.pbx.pbx_id, "interval_s": interval})
            port = args.metrics_port if args.metrics_port is not None else (
                settings.observability.metrics_port + 3)
            await _run_serving_health(sync, interval, stop, settings.observability.metrics_host,
                                      port, DatabaseProbe(settings.db.dsn.get_secret_value()))
            return 0
    finally:
        store.close()


async def _write_site_zone(writer: BatchWriter, pbx: PbxSettings, client: PbxZoneClient) -> None:
    """The sync starts for this PBX: write its site time zone (pbx_sites) first — the setting,
    else the PBX's own (read here), else UTC. A database not up yet is the sync's own retry
    business, not a reason to stop here."""
    from queuepulse.schedule import utcnow
    from queuepulse.store.db import DatabaseUnavailableError
    from queuepulse.store.sites import resolve_site_zone, write_site
    from queuepulse.store.writers import StoreWriteError

    zone = await resolve_site_zone(pbx, client)
    try:
        await asyncio.to_thread(write_site, writer, pbx, utcnow(), zone)
    except (DatabaseUnavailableError, StoreWriteError) as exc:
        log.warning("site time zone not written", extra={"pbx_id": pbx.pbx_id, "error": str(exc)})
        return
    log.info("site time zone", extra={"pbx_id": pbx.pbx_id, "time_zone": zone[0],
                                      "source": zone[1]})


class SyncMetrics(CommandMetrics):
    """``run sync``'s collectors, on a registry of their own (labels: ``pbx_id``); the PBX's
    heartbeat is a successful sync (XAPI fetch and database write)."""

    def __init__(self, pbx_id: str, database: DatabaseProbe | None = None) -> None:
        from prometheus_client import Counter, Gauge

        super().__init__(database)
        self.pbx_id = pbx_id
        r = self.registry
        self.runs = Counter("queuepulse_sync_runs", "Config syncs by outcome (ok, failed)",
                            ["pbx_id", "outcome"], registry=r)
        self.rows = Counter("queuepulse_sync_rows_written", "Dimension and agent-state rows "
                            "written by the sync", ["pbx_id"], registry=r)
        self.last_success = Gauge("queuepulse_sync_last_success_timestamp_seconds",
                                  "Unix time of the last successful sync", ["pbx_id"], registry=r)
        self.heartbeats.expect(pbx_id)

    def succeeded(self, rows_written: int) -> None:
        """Count a successful sync."""
        self.runs.labels(self.pbx_id, "ok").inc()
        self.rows.labels(self.pbx_id).inc(rows_written)
        self.last_success.labels(self.pbx_id).set_to_current_time()
        self.heartbeats.beat(self.pbx_id)

    def failed(self, count: int) -> None:
        """Count failed syncs (already logged by the sync)."""
        self.runs.labels(self.pbx_id, "failed").inc(count)


async def _run_serving_health(sync: Any, interval_s: float, stop: asyncio.Event, host: str,
                              port: int, database: DatabaseProbe | None = None) -> None:
    """Sync every ``interval_s`` (a failure retried sooner) until ``stop``, serving /healthz."""
    from queuepulse.health import serve_health

    metrics = SyncMetrics(sync.pbx_id, database)
    # ready while the last good sync is younger than two intervals (and a retry's slack)
    server = serve_health(host, port, metrics, stale_after_s=2.0 * interval_s + 30.0)
    try:
        while not stop.is_set():
            errors = sync.stats.errors
            result = await sync.run_if_due(interval_s)
            if result is not None:
                metrics.succeeded(result.rows_written)
            if sync.stats.errors > errors:
                metrics.failed(sync.stats.errors - errors)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)
    finally:
        if server is not None:
            server.stop()
