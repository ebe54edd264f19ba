"""The site time zone of each PBX (``pbx_sites``), written when a flow starts for the PBX.

The zone, first found wins (``time_zone_source``):

1. ``setting``: ``QUEUEPULSE_PBX__TIME_ZONE`` (or a PBX file's ``time_zone``) was given;
2. ``pbx``: the PBX's own zone, its office hours' (``GET /OfficeHours`` ``TimeZoneId``, looked
   up in ``GET /Defs/TimeZones`` for its IANA name; :meth:`XapiClient.get_pbx_time_zone`);
3. ``default``: UTC.

The report views and the dashboards' "today" cut local days and intervals in this zone.

``run sync`` and the live service's start-up (:mod:`queuepulse.live.startup`, ``run live`` and
``demo``) read the PBX's zone when the setting is absent and write the row through their
:class:`~queuepulse.store.writers.BatchWriter` (:func:`write_site`). The live flow itself
(``run live``, ``demo``, ``replay``) writes a PBX's row with its first item
(:class:`~queuepulse.live.pbx_step.PbxStepper`) from the setting alone, without asking the
PBX; the upsert (:data:`~queuepulse.store.tables.PBX_SITES`) never lets a ``default`` row
replace a ``pbx`` one, so that write keeps the zone start-up or ``run sync`` read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from queuepulse.errors import QueuepulseError
from queuepulse.settings import PbxSettings
from queuepulse.store.tables import PBX_SITES, TableRow

if TYPE_CHECKING:
    from psycopg import Connection

    from queuepulse.store.writers import BatchWriter

__all__ = [
    "SiteZone", "resolve_site_zone", "site_row", "site_zone_name", "site_zones", "write_site",
]

log = logging.getLogger(__name__)

SiteZone = tuple[str, Literal["setting", "pbx", "default"]]
"""A site's IANA time zone and its source (``setting``, ``pbx`` or ``default``)."""


class PbxZoneClient(Protocol):
    """What :func:`resolve_site_zone` needs of the XAPI client."""

    async def get_pbx_time_zone(self) -> str | None: ...


async def resolve_site_zone(pbx: PbxSettings, client: PbxZoneClient) -> SiteZone:
    """``pbx``'s site zone: the setting when given (the PBX is not asked), else the PBX's own
    office-hours zone, else UTC. A failed read of the PBX's zone is logged and gives UTC
    (``default``): it never stops a flow."""
    zone = pbx.site_time_zone
    if zone[1] == "setting":
        return zone
    try:
        own = await client.get_pbx_time_zone()
    except QueuepulseError as exc:
        log.warning("PBX time zone not read", extra={"pbx_id": pbx.pbx_id, "error": str(exc)})
        return zone
    return (own, "pbx") if own is not None else zone


def site_row(pbx_id: str, zone: SiteZone, at: datetime) -> TableRow:
    """The ``pbx_sites`` row of ``pbx_id`` (written at ``at``, UTC)."""
    time_zone, source = zone
    return (PBX_SITES.name, {"pbx_id": pbx_id, "time_zone": time_zone,
                             "time_zone_source": source, "updated_at": at})


def site_zones(
    targets: tuple[PbxSettings, ...], default: SiteZone
) -> Callable[[str], SiteZone]:
    """The zone of each PBX id: its target's, else ``default`` (a replay's PBXs take the
    configured PBX's zone)."""
    by_id = {t.pbx_id: t.site_time_zone for t in targets}

    def zone_of(pbx_id: str) -> SiteZone:
        return by_id.get(pbx_id, default)

    return zone_of


def write_site(
    writer: BatchWriter, pbx: PbxSettings, at: datetime, zone: SiteZone | None = None
) -> None:
    """Upsert ``pbx``'s site row through ``writer`` (one transaction): ``zone``
    (:func:`resolve_site_zone`), by default the setting's (or UTC)."""
    table, row = site_row(pbx.pbx_id, zone or pbx.site_time_zone, at)
    rows: list[Any] = [row]
    writer.write({table: rows})


def site_zone_name(conn: Connection[Any], pbx: PbxSettings) -> str:
    """The zone a job without a connection to the PBX works in: the setting when given, else
    the zone stored in ``pbx_sites`` (the PBX's own, read by ``run sync`` or ``run live``),
    else UTC (``queuepulse_site_tz``)."""
    zone, source = pbx.site_time_zone
    if source == "setting":
        return zone
    row = conn.execute("SELECT queuepulse_site_tz(%s)", (pbx.pbx_id,)).fetchone()
    return str(row[0]) if row is not None and row[0] else zone
