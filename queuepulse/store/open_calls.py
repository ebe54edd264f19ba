"""Reading the calls the database holds open for a PBX, for a start without recovery state.

A live flow that stopped (crash, SIGKILL, a stop without ``--recovery-dir``) leaves visits
without ``ended_at``: waiting or talking, as they were at its last poll. The next start reads
them here and hands them to the lifecycle (:func:`queuepulse.domain.lifecycle.restore`), so its
first poll continues the calls still there and ends the others when they were last seen.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from queuepulse.domain.lifecycle import RestoredCall
from queuepulse.domain.visits import QueueVisit

__all__ = ["load_open_calls"]

_OPEN_KEYS = """
SELECT DISTINCT call_key FROM queue_calls
WHERE pbx_id = %s AND ended_at IS NULL AND source = 'live'
"""
_VISITS = """
SELECT call_key, queue_dn, entered_at, answered_at, ended_at, outcome, wait_s, talk_s, agent_dn,
       caller_number, caller_name, source, entry_queue_dn, call_id, end_uncertainty_s
FROM queue_calls WHERE pbx_id = %s AND call_key = ANY(%s)
ORDER BY call_key, entered_at
"""
_EVENTS = """
SELECT call_key, count(*) AS events, max(occurred_at) AS last_at,
       (array_agg(status ORDER BY occurred_at DESC, observed_at DESC))[1] AS status
FROM call_events WHERE pbx_id = %s AND call_key = ANY(%s)
GROUP BY call_key
"""
# The PBX time of the last applied poll: its gauges are stamped with it.
# The PBX time of the last successful poll (queue_live is written on change only, so its newest
# row may be older than the last poll).
_LAST_SEEN = (
    "SELECT max(ts + coalesce(skew_s, 0) * interval '1 second') FROM pipeline_health "
    "WHERE pbx_id = %s AND component = 'live' AND errors = 0"
)
_LAST_EVENT = "SELECT max(occurred_at) FROM call_events WHERE pbx_id = %s"


def load_open_calls(
    conn: psycopg.Connection[Any], pbx_id: str,
) -> tuple[tuple[RestoredCall, ...], datetime | None]:
    """The calls with a visit the database holds open for ``pbx_id`` (each with all its visits
    and its event count), and the PBX time of the last poll it holds (``None`` when none)."""
    keys = [r[0] for r in conn.execute(_OPEN_KEYS, (pbx_id,)).fetchall()]
    if not keys:
        return (), None
    visits: dict[str, list[QueueVisit]] = defaultdict(list)
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_VISITS, (pbx_id, keys))
        for r in cur.fetchall():
            visits[r["call_key"]].append(QueueVisit(pbx_id=pbx_id, **r))
        cur.execute(_EVENTS, (pbx_id, keys))
        events = {r["call_key"]: r for r in cur.fetchall()}
    seen = [conn.execute(q, (pbx_id,)).fetchone() for q in (_LAST_SEEN, _LAST_EVENT)]
    times = [row[0] for row in seen if row is not None and row[0] is not None]
    calls = []
    for key in keys:
        ev = events.get(key)
        own = visits[key]
        last_at = ev["last_at"] if ev is not None else max(v.entered_at for v in own)
        calls.append(RestoredCall(
            call_key=key, call_id=own[-1].call_id, visits=tuple(own),
            events=int(ev["events"]) if ev is not None else 0, last_event_at=last_at,
            status=ev["status"] if ev is not None else None))
        times.append(last_at)
    return tuple(calls), max(times) if times else None
