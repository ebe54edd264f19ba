"""``queuepulse run forecast``: arrival forecasts, staffing per interval and expected waits.

Reads the database only (no PBX access). ``--once`` runs one forecast and one expected-wait
pass and exits; otherwise it predicts waits every ``--wait-interval`` seconds and forecasts every
``--interval`` seconds until Ctrl-C/SIGTERM, serving /healthz and /metrics.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from datetime import datetime, timedelta
from typing import Any

from queuepulse.commands.options import add_dsn_option
from queuepulse.commands.run import settings_from_args
from queuepulse.errors import ConfigError
from queuepulse.health import CommandMetrics, DatabaseProbe

log = logging.getLogger(__name__)

METRICS_PORT_OFFSET = 5


def register(run_subparsers: Any) -> None:
    """Add ``run forecast``."""
    parser = run_subparsers.add_parser(
        "forecast", help="forecast arrivals, plan staffing per interval, predict waits",
        description=(
            "Forecast each queue's arrivals per 15-minute interval for the rest of today and "
            "the next days (site time zone: QUEUEPULSE_PBX__TIME_ZONE), store them with the time "
            "they were made (arrival_forecasts), store agents needed beside agents logged in "
            "(staffing_intervals: Erlang A with the queue's SLA time, "
            "QUEUEPULSE_STAFFING__TARGET_PCT and measured patience/handle time) and the expected "
            "wait of every waiting caller (expected_waits). Reads only the database. Without "
            "--once it runs until Ctrl-C/SIGTERM and serves /healthz and /metrics."
        ),
    )
    add_dsn_option(parser)
    parser.add_argument("--pbx-id", help="the PBX to forecast (default: QUEUEPULSE_PBX__PBX_ID)")
    parser.add_argument("--once", action="store_true",
                        help="one forecast and one expected-wait pass, print counts, exit")
    parser.add_argument("--interval", type=float, default=900.0,
                        help="seconds between forecast runs (default 900: every quarter-hour)")
    parser.add_argument("--wait-interval", type=float, default=15.0,
                        help="seconds between expected-wait passes (default 15)")
    parser.add_argument("--time-zone",
                        help="IANA time zone of the site (default: QUEUEPULSE_PBX__TIME_ZONE, UTC)")
    parser.add_argument(
        "--metrics-port", type=int, default=None,
        help="port of /healthz and /metrics (default: QUEUEPULSE_OBSERVABILITY__METRICS_PORT "
             f"+ {METRICS_PORT_OFFSET}, i.e. 9469; 0 = off)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run once or until SIGINT/SIGTERM."""
    return asyncio.run(_main(args))


def build_job(args: argparse.Namespace) -> Any:
    """The :class:`~queuepulse.staffing.job.StaffingJob` the options describe."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from queuepulse.staffing.job import JobConfig, StaffingJob
    from queuepulse.store.db import connect
    from queuepulse.store.sites import site_zone_name
    from queuepulse.store.staffing_tables import WRITER_TABLES
    from queuepulse.store.writers import BatchWriter

    settings = settings_from_args(args)
    dsn = settings.db.dsn
    zone = args.time_zone
    if zone is None:
        with connect(dsn, application_name="queuepulse-forecast") as conn:
            zone = site_zone_name(conn, settings.pbx)
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {zone!r}: use an IANA name such as Europe/Berlin or UTC"
        ) from None
    for name in ("interval", "wait_interval"):
        if getattr(args, name) <= 0:
            raise ConfigError(f"--{name.replace('_', '-')} must be > 0 seconds")
    config = JobConfig(
        pbx_id=settings.pbx.pbx_id, time_zone=tz,
        target_pct=settings.staffing.target_pct,
        max_occupancy=settings.staffing.max_occupancy,
        horizon_days=settings.staffing.horizon_days,
        default_sla_s=float(settings.rules.default_sla_s),
    )
    writer = BatchWriter.from_dsn(dsn, tables=WRITER_TABLES)
    return StaffingJob(config, lambda: connect(dsn, application_name="queuepulse-forecast"),
                       writer), settings


async def _main(args: argparse.Namespace) -> int:
    from queuepulse.schedule import utcnow

    job, settings = build_job(args)
    try:
        if args.once:
            now = utcnow()
            run = job.forecast_once(now)
            waits = job.expected_waits_once(now)
            print(
                f"forecast {job.config.pbx_id} ({job.config.time_zone.key}): {run.queues} "
                f"queues, {run.forecast_rows} forecast rows, {run.staffing_rows} staffing rows, "
                f"{waits.predictions} expected waits ({waits.skipped} waiting callers skipped)"
                + (f"; no handle-time history yet for {', '.join(run.no_handle_time)}"
                   if run.no_handle_time else "")
            )
            return 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        port = args.metrics_port if args.metrics_port is not None else (
            settings.observability.metrics_port + METRICS_PORT_OFFSET)
        await run_forever(job, args.interval, args.wait_interval, stop,
                          settings.observability.metrics_host, port,
                          database=DatabaseProbe(settings.db.dsn.get_secret_value()))
        return 0
    finally:
        job.writer.close()


class ForecastMetrics(CommandMetrics):
    """``run forecast``'s collectors (labels: ``pbx_id``); the heartbeat is a pass that wrote."""

    def __init__(self, pbx_id: str, database: DatabaseProbe | None = None) -> None:
        from prometheus_client import Counter, Gauge

        super().__init__(database)
        self.pbx_id = pbx_id
        r = self.registry
        self.runs = Counter("queuepulse_forecast_runs", "Forecast job passes by kind "
                            "(forecast, waits) and outcome (ok, failed)",
                            ["pbx_id", "kind", "outcome"], registry=r)
        self.rows = Counter("queuepulse_forecast_rows_written", "Rows written by the forecast "
                            "job, by table", ["pbx_id", "table"], registry=r)
        self.last_forecast = Gauge("queuepulse_forecast_last_success_timestamp_seconds",
                                   "Unix time of the last successful forecast run", ["pbx_id"],
                                   registry=r)
        self.heartbeats.expect(pbx_id)

    def ok(self, kind: str, rows: dict[str, int]) -> None:
        """Count a successful pass."""
        self.runs.labels(self.pbx_id, kind, "ok").inc()
        for table, count in rows.items():
            self.rows.labels(self.pbx_id, table).inc(count)
        if kind == "forecast":
            self.last_forecast.labels(self.pbx_id).set_to_current_time()
        self.heartbeats.beat(self.pbx_id)

    def failed(self, kind: str) -> None:
        """Count a failed pass (already logged)."""
        self.runs.labels(self.pbx_id, kind, "failed").inc()



async def _counted_pass(metrics: ForecastMetrics, kind: str, run: Any, at: datetime,
                        rows_of: Any) -> bool:
    """``run(at)`` off the event loop, counted as ``kind``; a failure (database away) is logged
    and counted, and the next tick tries again. True when it succeeded."""
    import psycopg

    from queuepulse.errors import QueuepulseError

    try:
        result = await asyncio.to_thread(run, at)
    except (QueuepulseError, psycopg.Error) as exc:
        log.warning("forecast job pass failed", extra={"kind": kind, "error": str(exc)})
        metrics.failed(kind)
        return False
    metrics.ok(kind, rows_of(result))
    return True

async def run_forever(job: Any, interval_s: float, wait_interval_s: float, stop: asyncio.Event,
                      host: str, port: int, *, now: Any = None, rate: Any = None,
                      database: DatabaseProbe | None = None) -> None:
    """Pass after pass on a :class:`~queuepulse.schedule.FixedRate` grid until ``stop``:
    expected waits every tick, a forecast when ``interval_s`` passed since the last one. A
    failed pass (database away) is logged and retried at the next tick."""

    from queuepulse.health import serve_health
    from queuepulse.schedule import FixedRate, utcnow

    clock = now or utcnow
    pacer = rate or FixedRate(wait_interval_s)
    metrics = ForecastMetrics(job.config.pbx_id, database)
    server = serve_health(host, port, metrics,
                          stale_after_s=max(2.0 * interval_s, 4.0 * wait_interval_s) + 30.0)
    last_forecast: datetime | None = None
    log.info("forecast running", extra={"pbx_id": job.config.pbx_id, "interval_s": interval_s})
    try:
        while not stop.is_set():
            at = clock()
            due = last_forecast is None or at - last_forecast >= timedelta(seconds=interval_s)
            if due and await _counted_pass(
                metrics, "forecast", job.forecast_once, at,
                lambda run: {"arrival_forecasts": run.forecast_rows,
                             "staffing_intervals": run.staffing_rows},
            ):
                last_forecast = at
            await _counted_pass(metrics, "waits", job.expected_waits_once, at,
                                lambda waits: {"expected_waits": waits.predictions})
            tick = pacer.next_tick()
            sleeper = asyncio.ensure_future(pacer.sleep_until(tick))
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
            for pending in (sleeper, stopper):
                pending.cancel()
    finally:
        if server is not None:
            server.stop()
