"""Live per-queue gauges (rows of the ``queue_live`` table)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from queuepulse.domain.parties import Directory
from queuepulse.domain.rules import Rules
from queuepulse.domain.visits import seconds_between

__all__ = ["QueueLive", "queue_gauges"]


@dataclass(frozen=True, slots=True)
class QueueLive:
    """The state of one queue at one poll (``ts`` is the poll's PBX time).

    ``longest_wait_s`` is ``ts`` minus the entry time of the longest-waiting call (the entry time
    is that call's ``LastChangeStatus`` when it began waiting here), 0 when nobody waits.
    """

    pbx_id: str
    queue_dn: str
    ts: datetime
    waiting: int
    longest_wait_s: float
    talking: int
    agents_logged_in: int
    agents_talking: int
    agents_free: int


def queue_gauges(
    pbx_id: str,
    ts: datetime,
    directory: Directory,
    rules: Rules,
    waiting: Mapping[str, int],
    oldest_entry: Mapping[str, datetime],
    talking: Mapping[str, int],
    on_call: set[str] | frozenset[str],
) -> tuple[QueueLive, ...]:
    """One :class:`QueueLive` per directory queue, sorted by queue DN.

    ``waiting``/``talking`` count calls per queue, ``oldest_entry`` is the earliest entry of a
    waiting call per queue, ``on_call`` holds every DN that appears in an active call. An agent
    talks when on a call; it is free when logged in, registered, in an available profile and not
    on a call.
    """
    staffing = directory.staffing(rules.available_profiles)
    out: list[QueueLive] = []
    for queue_dn in sorted(staffing):
        staff = staffing[queue_dn]
        if on_call:
            busy = len(on_call.intersection(staff.agents))
            free = len(staff.available) - len(on_call.intersection(staff.available))
        else:
            busy, free = 0, len(staff.available)
        oldest = oldest_entry.get(queue_dn)
        out.append(
            QueueLive(
                pbx_id=pbx_id,
                queue_dn=queue_dn,
                ts=ts,
                waiting=waiting.get(queue_dn, 0),
                longest_wait_s=seconds_between(oldest, ts) if oldest is not None else 0.0,
                talking=talking.get(queue_dn, 0),
                agents_logged_in=len(staff.logged_in),
                agents_talking=busy,
                agents_free=free,
            )
        )
    return tuple(out)
