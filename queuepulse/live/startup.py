"""Before the live flow starts: check each PBX and the database, and write the configuration.

:func:`prepare_targets` runs at start-up (:func:`queuepulse.live.service.run_live_service`
for ``run live`` and ``demo``; the benchmark) before the
Bytewax flow is built, so a missing client secret, a wrong URL or an unreachable database is a
clean :class:`~queuepulse.errors.ConfigError` / :class:`~queuepulse.errors.SetupError` (exit 2)
instead of a traceback from the poller thread. For each PBX it:

1. requires a client secret (:meth:`PbxSettings.require_client_secret`);
2. fetches ``/Queues?$expand=Agents`` and ``/Users`` once (the URL and the credentials work);
3. unless the flow runs with ``write_config=False``, writes the configuration as one sync
   (:class:`queuepulse.config_sync.ConfigSync`: dimension rows with validity times and the agents'
   states) in its own transaction.
4. writes the PBX's site time zone (``pbx_sites``, :mod:`queuepulse.store.sites`): the setting
   ``QUEUEPULSE_PBX__TIME_ZONE`` when given, else the PBX's own office-hours zone read here
   once, else UTC. The flow's own write of the row (its first item, from the setting alone)
   never replaces a zone read from the PBX with the UTC default.

Step 3 takes the initial configuration — about 16,000 dimension rows and 5,000 agent states at
10x scale — off the poll path: the poller's known-configuration load then reads it back, and the
flow's first Queues/Users fetch only writes what changed since, so the first polls commit as
fast as the later ones. The flow and this step stamp validity times with the same clock (the
local receive time; the flow adds the PBX skew once it knows it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from queuepulse.errors import QueuepulseError, SetupError
from queuepulse.schedule import utcnow
from queuepulse.settings import PbxSettings

__all__ = ["prepare_targets"]

log = logging.getLogger(__name__)

_CONCURRENCY = 8


def _xapi_client(pbx: PbxSettings) -> Any:
    from queuepulse.xapi.client import XapiClient

    return XapiClient(pbx)


async def _prepare_one(
    pbx: PbxSettings, dsn: str | None, write_config: bool,
    client_factory: Callable[[PbxSettings], Any], clock: Callable[[], datetime] | None,
) -> None:
    from queuepulse.config_sync import ConfigSync
    from queuepulse.store.config_writer import ConfigStore
    from queuepulse.store.db import DatabaseUnavailableError
    from queuepulse.store.sites import resolve_site_zone, write_site
    from queuepulse.store.writers import StoreWriteError

    store = ConfigStore.from_dsn(dsn) if dsn is not None else None
    try:
        client = client_factory(pbx)
        try:
            sync = ConfigSync(pbx.pbx_id, client, store,  # type: ignore[arg-type]
                              clock=clock or utcnow)
            try:
                config = await sync.fetch()
            except QueuepulseError as exc:
                raise SetupError(
                    f"PBX {pbx.pbx_id!r} at {pbx.url}: the Queues/Users fetch failed: {exc}. "
                    "Check QUEUEPULSE_PBX__URL (or --url / the PBX file), the client id and "
                    "secret, and that the PBX is reachable from here"
                ) from None
            if store is None:
                return
            try:
                if write_config:
                    result = await asyncio.to_thread(sync.apply, config)
                    log.info("initial configuration written", extra={
                        "pbx_id": pbx.pbx_id, "rows": result.rows_written,
                        "queues": result.queues, "agents": result.agents})
                else:
                    await asyncio.to_thread(store.load, pbx.pbx_id)
                zone = await resolve_site_zone(pbx, client)
                await asyncio.to_thread(write_site, store.writer, pbx, utcnow(), zone)
            except (StoreWriteError, DatabaseUnavailableError) as exc:
                raise SetupError(
                    f"PBX {pbx.pbx_id!r}: the database is not usable: {exc}"
                ) from None
        finally:
            await client.aclose()
    finally:
        if store is not None:
            store.close()


def prepare_targets(
    targets: tuple[PbxSettings, ...],
    dsn: str | None,
    *,
    write_config: bool = True,
    client_factory: Callable[[PbxSettings], Any] = _xapi_client,
    clock: Callable[[], datetime] | None = None,
) -> None:
    """Check every PBX in ``targets`` and the database ``dsn`` and write each PBX's current
    configuration (see the module docstring). Raises :class:`ConfigError` (no client secret)
    or :class:`SetupError` (PBX or database unusable), naming the PBX and what to fix.

    ``dsn=None`` only checks the PBXs (a flow without a database sink). ``clock`` stamps the
    validity times (default: the local clock; the demo passes its simulated PBX clock).
    """
    for pbx in targets:  # every secret first: one clean error before any network
        pbx.require_client_secret()

    async def main() -> None:
        # Concurrently, a few at a time: a service provider's hundreds of small PBXs should not
        # take minutes to start. The first failure is raised.
        gate = asyncio.Semaphore(_CONCURRENCY)

        async def one(pbx: PbxSettings) -> None:
            async with gate:
                await _prepare_one(pbx, dsn, write_config, client_factory, clock)

        await asyncio.gather(*(one(pbx) for pbx in targets))

    asyncio.run(main())
