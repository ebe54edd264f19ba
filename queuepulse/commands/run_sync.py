"""``queuepulse run sync``: keep the queues/agents dimensions and agent states in step."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
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


def handle(args: argparse.Namespace) -> int:
    """Run the sync once (``--once``) or until SIGINT/SIGTERM."""
    return asyncio.run(_main(args))


async def _main(args: argparse.Namespace) -> int:
    from queuepulse.store.sync_writer import SyncStore
    from queuepulse.sync import ConfigSync
    from queuepulse.xapi.client import XapiClient

    settings = settings_from_args(args)
    settings.pbx.require_client_secret()  # a clean error before any network
    interval = args.interval or settings.pbx.sync_interval_s
    store = SyncStore.from_dsn(settings.db.dsn)
    try:
        async with XapiClient(settings.pbx) as client:
            sync = ConfigSync(settings.pbx.pbx_id, client, store)
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
            await sync.run_forever(interval, stop)
            return 0
    finally:
        store.close()
