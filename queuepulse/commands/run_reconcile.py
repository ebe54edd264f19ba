"""``queuepulse run reconcile``: correct finished calls from the PBX's call history (CDR).

With ``--since``/``--until`` it backfills that range once (resumable: periods already done are
skipped) and exits; without them it runs continuously, reconciling each period once it closed
and settled. See docs/reconciliation.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from queuepulse.commands.run import add_target_options, settings_from_args
from queuepulse.errors import ConfigError

log = logging.getLogger(__name__)


def parse_when(text: str) -> datetime:
    """An ISO-8601 date or date-time (``2026-01-05``, ``2026-01-05T09:00Z``); naive is UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO-8601 date or date-time (e.g. 2026-01-05T09:00Z)"
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def register(run_subparsers: Any) -> None:
    """Add ``run reconcile``."""
    parser = run_subparsers.add_parser(
        "reconcile", help="correct finished calls and KPIs from the PBX's call history (CDR)",
        description=(
            "Read /CallHistoryView and GetCallLogData for closed periods, rebuild queue visits, "
            "correct queue_calls and recompute queue_kpi_1m, record what differed "
            "(reconciliation_diffs), store 3CX's own report figures (pbx_queue_reports). With "
            "--since/--until: backfill once (resumable); without: run continuously."
        ),
    )
    add_target_options(parser)
    parser.add_argument("--since", type=parse_when,
                        help="first period to reconcile (ISO-8601, e.g. 2026-01-05 or "
                             "2026-01-05T09:00Z; backfill mode; default: none, run continuously)")
    parser.add_argument("--until", type=parse_when,
                        help="end of the range (default: now; backfill mode)")
    parser.add_argument("--period", type=int, default=None,
                        help="period length and cadence in seconds "
                             "(default: QUEUEPULSE_RULES__RECONCILE_PERIOD_S, 900)")
    parser.add_argument("--settle", type=float, default=None,
                        help="seconds after a period's end before it is reconciled "
                             "(default: QUEUEPULSE_RULES__RECONCILE_SETTLE_S, 900)")
    parser.add_argument("--page-size", type=int, default=None,
                        help="CDR rows per XAPI request ($top, default 500); larger pages mean "
                             "fewer round trips per period if the PBX allows them")
    parser.add_argument("--cdr-rules", type=Path, default=None,
                        help="YAML/JSON file overriding the CDR segment rules (default: "
                             "QUEUEPULSE_RULES__CDR_RULES_FILE, else the built-in rules; see "
                             "docs/reconciliation.md)")
    parser.add_argument("--force", action="store_true",
                        help="redo periods already reconciled (idempotent)")
    parser.add_argument("--no-reports", action="store_true",
                        help="do not fetch 3CX's own report figures")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--metrics-port", type=int, default=None,
                        help="continuous mode: port of /healthz and /metrics (default: "
                             "QUEUEPULSE_OBSERVABILITY__METRICS_PORT + 2; 0 = off)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Backfill (``--since``) or run continuously until SIGINT/SIGTERM."""
    return asyncio.run(_main(args))


async def _main(args: argparse.Namespace) -> int:
    from queuepulse.reconcile.cdr_rules import load_cdr_rules
    from queuepulse.reconcile.progress import Progress, TextProgress
    from queuepulse.reconcile.runner import ReconcileConfig, Reconciler
    from queuepulse.store.db import connect
    from queuepulse.xapi.client import XapiClient

    settings = settings_from_args(args)
    if args.until is not None and args.since is None:
        raise ConfigError("--until needs --since (without both, reconcile runs continuously)")
    if args.since is not None and args.until is not None and args.until <= args.since:
        raise ConfigError(
            f"--until {args.until.isoformat()} is not after --since {args.since.isoformat()}: "
            "nothing to reconcile; swap them or widen the range")
    if args.since is not None and args.since >= datetime.now(UTC):
        raise ConfigError(f"--since {args.since.isoformat()} is in the future: nothing to "
                          "reconcile yet")
    for name in ("period", "settle"):
        value = getattr(args, name)
        if value is not None and value <= 0 and not (name == "settle" and value == 0):
            raise ConfigError(f"--{name} must be positive, got {value:g}")
    overrides: dict[str, Any] = {
        "period_s": args.period, "settle_s": args.settle, "page_size": args.page_size,
        "fetch_reports": False if args.no_reports else None,
    }
    if args.page_size is not None and args.page_size < 1:
        raise ConfigError(f"--page-size must be at least 1, got {args.page_size}")
    if args.cdr_rules is not None:
        overrides["cdr_rules"] = load_cdr_rules(args.cdr_rules)
    config = ReconcileConfig.from_settings(settings, **overrides)
    dsn = settings.db.dsn
    progress: Progress = Progress() if args.no_progress else TextProgress()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with XapiClient(settings.pbx) as client:
        # Refused credentials end the run now, with one line, not once per period.
        await client.authenticate()
        reconciler = Reconciler(config, client, lambda: connect(
            dsn, autocommit=True, application_name="queuepulse-reconcile"))
        if args.since is None:
            return await _continuous(args, settings, config, reconciler, stop, progress)
        until = args.until or datetime.now(UTC)
        result = await reconciler.backfill(args.since, until, force=args.force,
                                           progress=progress, stop=stop)
    rows = sum(r.cdr_rows for r in result.results)
    print(
        f"reconciled {config.pbx_id}: {len(result.results)} period(s) run, {result.skipped} "
        f"already done, {result.failed} failed; {rows} CDR rows, "
        f"{sum(r.inserted for r in result.results)} visits inserted, "
        f"{sum(r.corrected for r in result.results)} corrected, "
        f"{sum(r.removed for r in result.results)} removed, "
        f"{sum(r.flagged for r in result.results)} flagged (kept), "
        f"{sum(r.dead_letters for r in result.results)} dead letters"
        + (" (stopped; run again to resume)" if result.stopped else "")
    )
    for r in result.results:
        if not r.ok:
            print(f"  failed {r.period[0].isoformat()}: {r.error}")
    return 1 if result.failed else 0


async def _continuous(args: argparse.Namespace, settings: Any, config: Any, reconciler: Any,
                      stop: asyncio.Event, progress: Any) -> int:
    """Run until stopped, serving /healthz (ready while rounds finish) and /metrics."""
    from queuepulse.health import DatabaseProbe, serve_health
    from queuepulse.reconcile.metrics import ReconcileMetrics

    metrics = ReconcileMetrics(DatabaseProbe(settings.db.dsn.get_secret_value()))
    metrics.expect(config.pbx_id)
    port = args.metrics_port if args.metrics_port is not None else (
        settings.observability.metrics_port + 2)
    server = serve_health(settings.observability.metrics_host, port, metrics,
                          stale_after_s=2.0 * config.period_s + 60.0)
    log.info("reconcile running", extra={"pbx_id": config.pbx_id, "period_s": config.period_s})
    try:
        await reconciler.run_forever(
            stop, progress=progress,
            on_round=lambda result: metrics.round_done(config.pbx_id, result))
    finally:
        if server is not None:
            server.stop()
    return 0
