"""What reconciliation reads from the PBX over XAPI: CDR rows (as sent), 3CX's report figures
and the queues' SLA times. Thin I/O over :class:`~queuepulse.xapi.client.XapiClient`.

CDR rows are fetched *unvalidated* (a lenient row model) and checked one by one by
:mod:`~queuepulse.reconcile.segments`, so one malformed row is dead-lettered instead of failing
its whole page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from queuepulse.domain.pbx_config import parse_config
from queuepulse.reconcile import pbx_reports as pr
from queuepulse.xapi.client import XapiClient
from queuepulse.xapi.errors import XapiError
from queuepulse.xapi.odata import ODataQuery, format_datetime
from queuepulse.xapi.reports import ReportSpec

__all__ = [
    "CALL_LOG",
    "RawRow",
    "ReportFetch",
    "fetch_call_history",
    "fetch_call_log",
    "fetch_queue_slas",
    "fetch_reports",
]

log = logging.getLogger(__name__)


class RawRow(BaseModel):
    """A collection row kept as sent (every field an extra)."""

    model_config = ConfigDict(extra="allow")

    def as_dict(self) -> dict[str, Any]:
        """The row's fields as sent."""
        return dict(self.model_extra or {})


@dataclass(frozen=True)
class _Collection(ReportSpec[RawRow]):
    """A plain collection read through :meth:`XapiClient.get_report` (which pages any spec):
    the path is fixed, there are no function parameters."""

    collection_path: str = ""

    def path(self, values: Mapping[str, object]) -> str:
        """The collection's path (``values`` must be empty)."""
        if values:
            raise ValueError(f"{self.collection_path} takes no function parameters")
        return self.collection_path


@dataclass(frozen=True)
class _CallLogFunction(ReportSpec[RawRow]):
    """``GetCallLogData`` is a report-style function, but not named ``Report<X>/Get<X>Data``."""

    @property
    def base_path(self) -> str:
        """``/ReportCallLogData/Pbx.GetCallLogData``."""
        return "/ReportCallLogData/Pbx.GetCallLogData"


CALL_HISTORY = _Collection("CallHistoryView", (), RawRow, "/CallHistoryView")
CALL_LOG = _CallLogFunction(
    "CallLogData",
    ("periodFrom", "periodTo", "sourceType", "sourceFilter", "destinationType",
     "destinationFilter", "callsType", "callTimeFilterType", "callTimeFilterFrom",
     "callTimeFilterTo", "hidePcalls"),
    RawRow,
)
"""``/ReportCallLogData/Pbx.GetCallLogData(...)`` with raw rows (the integer codes 0 = all)."""


async def fetch_call_history(
    client: XapiClient, start: datetime, end: datetime, page_size: int = 500
) -> list[dict[str, Any]]:
    """``CallHistoryView`` rows with ``start <= SegmentStartTime < end``, paged, as sent."""
    query = ODataQuery(
        filter=(f"SegmentStartTime ge {format_datetime(start)} "
                f"and SegmentStartTime lt {format_datetime(end)}"),
        orderby=("SegmentStartTime asc", "SegmentId asc"),
    )
    rows = await client.get_report(CALL_HISTORY, {}, query, page_size=page_size)
    return [r.as_dict() for r in rows]


async def fetch_call_log(
    client: XapiClient, start: datetime, end: datetime, page_size: int = 500
) -> list[dict[str, Any]]:
    """``GetCallLogData`` rows of ``[start, end)`` (every call type), paged, as sent."""
    params: dict[str, object] = {
        "periodFrom": start, "periodTo": end, "sourceType": 0, "sourceFilter": None,
        "destinationType": 0, "destinationFilter": None, "callsType": 0,
        "callTimeFilterType": 0, "callTimeFilterFrom": None, "callTimeFilterTo": None,
        "hidePcalls": False,
    }
    rows = await client.get_report(CALL_LOG, params, None, page_size=page_size)
    return [r.as_dict() for r in rows]


async def fetch_queue_slas(client: XapiClient) -> dict[str, float]:
    """Queue DN → ``SLATime`` seconds (0 or missing: the default applies) for every queue."""
    queues = parse_config((await client.poll_queues(expand_agents=False)).rows, ()).queues
    return {dn: float(q.sla_time_s or 0) for dn, q in queues.items()}


@dataclass
class ReportFetch:
    """The ``pbx_queue_reports`` rows of one period, and the reports that failed."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


async def fetch_reports(
    client: XapiClient,
    pbx_id: str,
    period: tuple[datetime, datetime],
    fetched_at: datetime,
    queue_dns: Sequence[str] = (),
) -> ReportFetch:
    """3CX's QueuePerformanceTotals, StatisticSla, AbandonedQueueCalls and
    AgentsInQueueStatistics for ``period``. A failing report is recorded, never fatal."""
    out = ReportFetch()
    start, end = period
    try:
        out.rows += pr.performance_totals_rows(
            pbx_id, await client.get_queue_performance_totals(start, end), period, fetched_at)
    except XapiError as exc:
        out.errors["QueuePerformanceTotals"] = str(exc)
    try:
        out.rows += pr.statistic_sla_rows(
            pbx_id, await client.get_statistic_sla(start, end), period, fetched_at)
    except XapiError as exc:
        out.errors["StatisticSla"] = str(exc)
    try:
        out.rows += pr.abandoned_rows(
            pbx_id, await client.get_abandoned_queue_calls(start, end), period, fetched_at,
            queue_dns)
    except XapiError as exc:
        out.errors["AbandonedQueueCalls"] = str(exc)
    try:
        out.rows += pr.agents_rows(
            pbx_id, await client.get_agents_in_queue_statistics(start, end), period,
            fetched_at)
    except XapiError as exc:
        out.errors["AgentsInQueueStatistics"] = str(exc)
    for report, error in out.errors.items():
        log.warning("3CX report failed", extra={"pbx_id": pbx_id, "report": report,
                                                 "error": error})
    return out
