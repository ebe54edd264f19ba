"""What the forecast job reads from the public tables: per-queue history and the staffing now.

All queries take the moment ``now`` as a parameter (never the database clock), so a job run is
reproducible and testable with an injected clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

__all__ = ["LiveAgents", "QueueHistory", "read_history", "read_live", "read_waiting"]


@dataclass
class QueueHistory:
    """One queue's inputs to the forecast and the staffing model."""

    queue_dn: str
    sla_s: float | None
    #: Arrivals (offered visits) per 15-minute interval start (UTC).
    arrivals: dict[datetime, float]
    first_bucket: datetime | None
    answered: int = 0
    abandoned: int = 0
    wait_answered_s: float = 0.0
    wait_abandoned_s: float = 0.0
    talk_s: float = 0.0
    talks: int = 0
    recent_talk_s: float = 0.0
    recent_talks: int = 0
    #: The queue's configured wrap-up after each call (``queues.wrap_up_time_s``), seconds.
    wrap_up_s: float | None = None
    #: Measured agents per interval start: (avg logged in, avg free).
    agents: dict[datetime, tuple[float | None, float | None]] | None = None


@dataclass(frozen=True)
class LiveAgents:
    """The newest ``queue_live`` row of a queue."""

    ts: datetime
    waiting: int
    logged_in: int | None
    free: int | None


_ARRIVALS = """
    SELECT queue_dn, time_bucket(interval '15 minutes', bucket) AS slot, sum(offered)
    FROM queue_kpi_1m
    WHERE pbx_id = %(pbx)s AND bucket >= %(since)s AND bucket < %(now)s
    GROUP BY 1, 2
"""

_FIRST = """
    SELECT queue_dn, min(bucket) FROM queue_kpi_1m
    WHERE pbx_id = %(pbx)s AND bucket >= %(since)s AND bucket < %(now)s GROUP BY 1
"""

_SUMS = """
    SELECT queue_dn, sum(answered), sum(abandoned), sum(wait_answered_s_sum),
           sum(wait_abandoned_s_sum), sum(talk_s_sum), sum(talk_count),
           sum(talk_s_sum) FILTER (WHERE bucket >= %(recent)s),
           sum(talk_count) FILTER (WHERE bucket >= %(recent)s)
    FROM queue_kpi_1m
    WHERE pbx_id = %(pbx)s AND bucket >= %(stats_since)s AND bucket < %(now)s
    GROUP BY 1
"""

_QUEUES = """
    SELECT queue_dn, sla_time_s, wrap_up_time_s FROM queues
    WHERE pbx_id = %(pbx)s AND valid_to IS NULL
"""

_AGENTS = """
    SELECT queue_dn, time_bucket(interval '15 minutes', ts) AS slot,
           avg(agents_logged_in)::double precision, avg(agents_free)::double precision
    FROM queue_live
    WHERE pbx_id = %(pbx)s AND ts >= %(measured_since)s AND ts < %(now)s
    GROUP BY 1, 2
"""


def read_history(conn: psycopg.Connection[Any], pbx_id: str, now: datetime, *,
                 weeks: int = 8, stats_days: int = 28, recent_minutes: int = 60,
                 measured_since: datetime | None = None) -> dict[str, QueueHistory]:
    """Every current queue's history: arrivals for ``weeks`` (+ 1) weeks, patience and handle
    time sums over ``stats_days`` (handle time also over the last ``recent_minutes``), agents
    per interval since ``measured_since``."""
    since = now - timedelta(weeks=weeks + 1)
    params = {
        "pbx": pbx_id, "now": now, "since": since,
        "stats_since": now - timedelta(days=stats_days),
        "recent": now - timedelta(minutes=recent_minutes),
        "measured_since": measured_since or now,
    }
    out: dict[str, QueueHistory] = {}
    for dn, sla, wrap_up in conn.execute(_QUEUES, params).fetchall():
        out[dn] = QueueHistory(dn, float(sla) if sla else None, {}, None, agents={},
                               wrap_up_s=float(wrap_up) if wrap_up is not None else None)
    for dn, slot, offered in conn.execute(_ARRIVALS, params).fetchall():
        if dn in out:
            out[dn].arrivals[slot] = float(offered or 0)
    for dn, first in conn.execute(_FIRST, params).fetchall():
        if dn in out:
            out[dn].first_bucket = first
    for row in conn.execute(_SUMS, params).fetchall():
        h = out.get(row[0])
        if h is None:
            continue
        h.answered, h.abandoned = int(row[1] or 0), int(row[2] or 0)
        h.wait_answered_s, h.wait_abandoned_s = float(row[3] or 0), float(row[4] or 0)
        h.talk_s, h.talks = float(row[5] or 0), int(row[6] or 0)
        h.recent_talk_s, h.recent_talks = float(row[7] or 0), int(row[8] or 0)
    for dn, slot, logged_in, free in conn.execute(_AGENTS, params).fetchall():
        h = out.get(dn)
        if h is not None and h.agents is not None:
            h.agents[slot] = (logged_in, free)
    return out


_LIVE = """
    SELECT DISTINCT ON (queue_dn) queue_dn, ts, waiting, agents_logged_in, agents_free
    FROM queue_live
    WHERE pbx_id = %(pbx)s AND ts > %(since)s AND ts <= %(now)s
    ORDER BY queue_dn, ts DESC
"""


def read_live(conn: psycopg.Connection[Any], pbx_id: str, now: datetime,
              max_age_s: float = 120.0) -> dict[str, LiveAgents]:
    """The newest live gauges of each queue, if younger than ``max_age_s``."""
    params = {"pbx": pbx_id, "now": now, "since": now - timedelta(seconds=max_age_s)}
    return {
        dn: LiveAgents(ts, int(waiting or 0), logged_in, free)
        for dn, ts, waiting, logged_in, free in conn.execute(_LIVE, params).fetchall()
    }


_WAITING = """
    SELECT call_key, queue_dn, entered_at FROM queue_calls
    WHERE pbx_id = %(pbx)s AND outcome = 'waiting' AND entered_at > %(since)s
      AND entered_at <= %(now)s
"""


def read_waiting(conn: psycopg.Connection[Any], pbx_id: str,
                 now: datetime) -> list[tuple[str, str, datetime]]:
    """``(call_key, queue_dn, entered_at)`` of the visits waiting now (entered within a day)."""
    params = {"pbx": pbx_id, "now": now, "since": now - timedelta(days=1)}
    return [(k, dn, at) for k, dn, at in conn.execute(_WAITING, params).fetchall()]
