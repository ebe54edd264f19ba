"""The site time zone of each PBX (``pbx_sites``), written when a flow starts for the PBX.

The zone is the setting ``QUEUEPULSE_PBX__TIME_ZONE`` (or a PBX file's ``time_zone``), UTC when
it is not set. The XAPI documents one zone of the PBX system itself, its office hours'
(``GET /OfficeHours`` ``TimeZoneId``, an id of ``GET /Defs/TimeZones`` with its IANA name);
queuepulse does not read it yet, so a site outside UTC sets the setting. The report views and
the dashboards' "today" cut local days and intervals in this zone.

The live flow (``run live``, ``demo``, ``replay``) writes a PBX's row with its first item
(:class:`~queuepulse.live.pbx_step.PbxStepper`), through the flow's own sink; ``run sync``
writes it once at start through its :class:`~queuepulse.store.writers.BatchWriter`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from queuepulse.settings import PbxSettings
from queuepulse.store.tables import PBX_SITES, TableRow

if TYPE_CHECKING:
    from queuepulse.store.writers import BatchWriter

__all__ = ["SiteZone", "site_row", "site_zones", "write_site"]

SiteZone = tuple[str, Literal["setting", "default"]]
"""A site's IANA time zone and its source (``setting`` or ``default``)."""


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


def write_site(writer: BatchWriter, pbx: PbxSettings, at: datetime) -> None:
    """Upsert ``pbx``'s site row through ``writer`` (one transaction)."""
    table, row = site_row(pbx.pbx_id, pbx.site_time_zone, at)
    rows: list[Any] = [row]
    writer.write({table: rows})
