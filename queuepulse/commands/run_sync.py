"""``queuepulse run sync``: keep the queues/agents dimensions and agent states in step."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from typing import Any

from queuepulse.commands.run import add_target_options, settings_from_args

log = logging.getLogger(__name__)


def register(run_subparsers: Any) -> None:
    """Add ``run sync``."""
    parser = run_subparsers.add_parser(
        "sync", help="sync Queues/Users into the dimension tables and agent_states",
        description=(
            "Fetch the PBX's queues (with agents) and users at start and every interval; write "
            "changed rows to queues, agents, queue_agents (validity times) and agent_states."
        ),
    )
    add_target_options(parser)
    parser.add_argument(
        "--interval", type=float, default=None,
        help="seconds between syncs (default: QUEUEPULSE_PBX__SYNC_INTERVAL_S, 60)",
    )
    parser.add_argument("--once", action="store_true", help="sync once and exit")
    parser.set_defaults(handler=handle)


def make_client(settings: Any) -> Any:
    """The XAPI client for ``settings.pbx`` (a context manager with list_queues/list_users)."""
    from queuepulse.xapi.client import XapiClient

    return XapiClient.from_settings(settings.pbx)


def handle(args: argparse.Namespace) -> int:
    """Run the sync once (``--once``) or until SIGINT/SIGTERM."""
    from queuepulse.store.sync_writer import SyncStore
    from queuepulse.sync import ConfigSync

    settings = settings_from_args(args)
    interval = args.interval or settings.pbx.sync_interval_s
    store = SyncStore.from_dsn(settings.db.dsn.get_secret_value())
    client = make_client(settings)
    try:
        sync = ConfigSync(settings.pbx.pbx_id, client, store)
        if args.once:
            result = sync.run_once()
            print(
                f"synced {settings.pbx.pbx_id}: {result.queues} queues, {result.agents} agents, "
                f"{result.memberships} memberships; {result.opened} rows opened, "
                f"{result.closed} closed, {result.state_rows} agent state rows"
            )
            return 0
        stop = threading.Event()

        def _stop(_signum: int, _frame: Any) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        log.info("sync running", extra={"pbx_id": settings.pbx.pbx_id, "interval_s": interval})
        sync.run_forever(interval, stop)
        return 0
    finally:
        store.close()
        close = getattr(client, "close", None)
        if callable(close):
            close()
