"""3CX's own queue figures for a period → ``pbx_queue_reports`` rows. Pure.

Each row names its report and carries, in ``figures``, the report's own numbers and the
definition they follow, so a dashboard can put them beside ours (``queue_kpi_1m``) without
pretending they measure the same thing:

* ``QueuePerformanceTotals``: received / answered ("ExtensionAnsweredCount") / abandoned
  ("ExtensionDroppedCount") per queue.
* ``StatisticSla``: received and "bad SLA" calls; ``sla_pct`` = 100 * (received - bad) /
  received, a per cent 0..100 like every ``sla_pct`` (3CX gives counts, no ratio) —
  3CX's definition, not ours (ours: answered within SLATime / (answered + abandoned - short)).
* ``AbandonedQueueCalls``: one 3CX row per abandoned call, folded per queue into a count with
  the mean and longest wait.
* ``AgentsInQueueStatistics``: one row per queue and agent, folded per queue into answered and
  lost counts with the per-agent rows kept in ``figures``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from queuepulse.xapi.reports import (
    AbandonedQueueCalls,
    AgentsInQueueStatistics,
    QueuePerformanceTotals,
    StatisticSla,
)

__all__ = [
    "DEFINITIONS",
    "abandoned_rows",
    "agents_rows",
    "performance_totals_rows",
    "statistic_sla_rows",
]

DEFINITIONS: dict[str, str] = {
    "QueuePerformanceTotals": (
        "3CX QueuePerformanceTotals: QueueReceivedCount calls received, ExtensionAnsweredCount "
        "answered by an agent, ExtensionDroppedCount dropped (abandoned) in the period"
    ),
    "StatisticSla": (
        "3CX StatisticSla: ReceivedCount calls, BadSlaCallsCount waited longer than the SLA "
        "time; sla_pct = 100 * (received - bad) / received"
    ),
    "AbandonedQueueCalls": (
        "3CX AbandonedQueueCalls: one row per abandoned queue call, counted per queue with the "
        "mean and longest WaitTime"
    ),
    "AgentsInQueueStatistics": (
        "3CX AgentsInQueueStatistics: per queue and agent AnsweredCount and LostCount, summed "
        "per queue; per-agent rows in figures.agents"
    ),
}


def _base(pbx_id: str, report: str, queue_dn: str, period: tuple[datetime, datetime],
          fetched_at: datetime) -> dict[str, Any]:
    return {
        "pbx_id": pbx_id, "report": report, "queue_dn": queue_dn,
        "period_from": period[0], "period_to": period[1], "fetched_at": fetched_at,
        "received_count": None, "answered_count": None, "abandoned_count": None,
        "bad_sla_count": None, "sla_pct": None,
    }


def _secs(value: timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def performance_totals_rows(
    pbx_id: str, rows: Iterable[QueuePerformanceTotals], period: tuple[datetime, datetime],
    fetched_at: datetime,
) -> list[dict[str, Any]]:
    """One row per queue of ``QueuePerformanceTotals``."""
    out = []
    for r in rows:
        if not r.queue_dn:
            continue
        row = _base(pbx_id, "QueuePerformanceTotals", r.queue_dn, period, fetched_at)
        row.update(
            received_count=r.queue_received_count,
            answered_count=r.extension_answered_count,
            abandoned_count=r.extension_dropped_count,
            figures={"definition": DEFINITIONS["QueuePerformanceTotals"],
                     "QueueDisplayName": r.queue_display_name,
                     "QueueReceivedCount": r.queue_received_count,
                     "ExtensionAnsweredCount": r.extension_answered_count,
                     "ExtensionDroppedCount": r.extension_dropped_count},
        )
        out.append(row)
    return out


def statistic_sla_rows(
    pbx_id: str, rows: Iterable[StatisticSla], period: tuple[datetime, datetime],
    fetched_at: datetime,
) -> list[dict[str, Any]]:
    """One row per queue of ``StatisticSla`` with 3CX's SLA percentage."""
    out = []
    for r in rows:
        if not r.queue_dn_number:
            continue
        received, bad = r.received_count, r.bad_sla_calls_count
        pct = (100.0 * (received - (bad or 0)) / received) if received else None
        row = _base(pbx_id, "StatisticSla", r.queue_dn_number, period, fetched_at)
        row.update(
            received_count=received, bad_sla_count=bad, sla_pct=pct,
            figures={"definition": DEFINITIONS["StatisticSla"], "Dn": r.dn,
                     "ReceivedCount": received, "BadSlaCallsCount": bad},
        )
        out.append(row)
    return out


def abandoned_rows(
    pbx_id: str, rows: Iterable[AbandonedQueueCalls], period: tuple[datetime, datetime],
    fetched_at: datetime, queue_dns: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Per queue: the number of abandoned calls with the mean and longest wait (queues in
    ``queue_dns`` without any abandoned call get a zero row)."""
    waits: dict[str, list[float]] = defaultdict(list)
    for q in queue_dns:
        waits[q] = []
    for r in rows:
        if r.queue_dn:
            w = _secs(r.wait_time)
            waits[r.queue_dn].append(w if w is not None else 0.0)
    out = []
    for q, ws in sorted(waits.items()):
        row = _base(pbx_id, "AbandonedQueueCalls", q, period, fetched_at)
        row.update(
            abandoned_count=len(ws),
            figures={"definition": DEFINITIONS["AbandonedQueueCalls"],
                     "calls": len(ws),
                     "mean_wait_s": sum(ws) / len(ws) if ws else None,
                     "max_wait_s": max(ws) if ws else None},
        )
        out.append(row)
    return out


def agents_rows(
    pbx_id: str, rows: Iterable[AgentsInQueueStatistics], period: tuple[datetime, datetime],
    fetched_at: datetime,
) -> list[dict[str, Any]]:
    """Per queue: answered and lost summed over its agents; the agent rows kept in figures."""
    by_queue: dict[str, list[AgentsInQueueStatistics]] = defaultdict(list)
    for r in rows:
        if r.queue:
            by_queue[r.queue].append(r)
    out = []
    for q, agents in sorted(by_queue.items()):
        row = _base(pbx_id, "AgentsInQueueStatistics", q, period, fetched_at)
        row.update(
            answered_count=sum(a.answered_count or 0 for a in agents),
            figures={
                "definition": DEFINITIONS["AgentsInQueueStatistics"],
                "lost": sum(a.lost_count or 0 for a in agents),
                "agents": [
                    {"Dn": a.dn, "AnsweredCount": a.answered_count, "LostCount": a.lost_count,
                     "LoggedInTime_s": _secs(a.logged_in_time),
                     "TalkTime_s": _secs(a.talk_time), "RingTime_s": _secs(a.ring_time)}
                    for a in sorted(agents, key=lambda a: a.dn or "")
                ],
            },
        )
        out.append(row)
    return out
