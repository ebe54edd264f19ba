"""Match CDR visits with the stored (live) visits of a period and plan the corrections. Pure.

Matching is one-to-one within a queue: a stored visit is a candidate for a CDR visit when it is
in the same queue, entered within ``tolerance_s`` and is not known to be another call (a CDR key
in our own format that differs, or a different call id); among candidates the same call key
wins, then the same call id, then the same caller number, then the nearest entry time. A matched
visit is rewritten from the CDR (``source='cdr'``), keeping the stored call key so that it still
joins ``call_events``; a CDR visit without a match is inserted (missed by live polling).

A stored live visit without a match is an *extra live visit*. It is removed only when the
evidence is complete: the CDR holds the whole call (:class:`CdrCall`: found by call key, or by
call id around the visit's time, with every ``GetCallLogData`` row backed by its
``CallHistoryView`` segment) and that call has no visit to this queue near the live one.
Otherwise it is kept and only flagged — history that lags behind, a call still running, a page
that went missing or a period with dead letters must never delete a genuine live visit. A live
visit whose call entered the same queue in the CDR just outside the period is left to the
neighbouring period, which matches it.

Every difference is a :class:`Diff` (a ``reconciliation_diffs`` row). Re-planning a period that
was already reconciled finds stored ``cdr`` rows equal to the CDR and plans nothing.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from queuepulse.domain.visits import QueueVisit

__all__ = [
    "DIFF_FIELDS",
    "SYNTHETIC_PREFIX",
    "Action",
    "CdrCall",
    "Diff",
    "Plan",
    "is_synthetic_key",
    "plan_corrections",
    "visit_key",
]

Action = Literal["corrected", "inserted", "flagged"]

#: The kinds of difference the audit records (``reconciliation_diffs.field``).
DIFF_FIELDS: tuple[str, ...] = (
    "missed_visit", "extra_live_visit", "outcome", "wait_s", "agent_dn", "entered_at",
    "talk_s", "ended_at",
)

VisitKey = tuple[str, str, str, datetime]
SYNTHETIC_PREFIX = "cdr:"


def visit_key(v: QueueVisit) -> VisitKey:
    """The natural key of ``queue_calls``: (pbx_id, call_key, queue_dn, entered_at)."""
    return (v.pbx_id, v.call_key, v.queue_dn, v.entered_at)


@dataclass(frozen=True, slots=True)
class Diff:
    """One difference between the stored view of a visit and the CDR, and what was done."""

    call_key: str | None
    queue_dn: str | None
    entered_at: datetime | None
    field: str
    live_value: str | None
    cdr_value: str | None
    action: Action


@dataclass(frozen=True, slots=True)
class CdrCall:
    """What the fetched CDR window says about one call: the evidence for removing live visits.

    ``start``/``end`` span its history segments (``None`` when only ``GetCallLogData`` rows
    were seen); ``complete`` is false when some of its rows are missing (a log row without its
    history segment, or no history at all); ``queue_entries`` are its queue segments
    (queue DN, start) anywhere in the window.
    """

    call_key: str | None
    call_id: int | None
    start: datetime | None
    end: datetime | None
    complete: bool
    queue_entries: tuple[tuple[str, datetime], ...] = ()

    def covers(self, at: datetime, tolerance: timedelta) -> bool:
        """Whether ``at`` lies within the call's span (unknown span: yes)."""
        if self.start is None or self.end is None:
            return True
        return self.start - tolerance <= at <= self.end + tolerance


@dataclass(frozen=True)
class Plan:
    """What reconciling one period changes.

    ``upserts`` are the visits to write (``source='cdr'``), ``deletes`` stored visits to remove
    (extra live visits, and live rows whose key the CDR corrects), ``old`` the stored versions
    of everything changed (their KPI buckets need recomputing too). Of the ``matched`` visits,
    ``corrected`` had a field live got wrong, ``confirmed`` were right and are only rewritten
    as ``source='cdr'``, ``unchanged`` were already reconciled.
    """

    upserts: list[QueueVisit] = field(default_factory=list)
    deletes: list[QueueVisit] = field(default_factory=list)
    old: list[QueueVisit] = field(default_factory=list)
    diffs: list[Diff] = field(default_factory=list)
    matched: int = 0
    corrected: int = 0
    confirmed: int = 0
    inserted: int = 0
    removed: int = 0
    flagged: int = 0
    unchanged: int = 0

    @property
    def changes(self) -> bool:
        """Whether applying the plan writes anything to ``queue_calls``."""
        return bool(self.upserts or self.deletes)


def _fmt(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _floats_differ(a: float | None, b: float | None, tol: float) -> bool:
    if a is None or b is None:
        return a is not b
    return not math.isclose(a, b, abs_tol=tol)


def _times_differ(a: datetime | None, b: datetime | None, tol: float) -> bool:
    if a is None or b is None:
        return a is not b
    return abs((a - b).total_seconds()) > tol


def _field_diffs(stored: QueueVisit, cdr: QueueVisit, tol: float) -> list[tuple[str, object,
                                                                                  object]]:
    out: list[tuple[str, object, object]] = []
    if _times_differ(stored.entered_at, cdr.entered_at, tol):
        out.append(("entered_at", stored.entered_at, cdr.entered_at))
    if stored.outcome != cdr.outcome:
        out.append(("outcome", stored.outcome, cdr.outcome))
    if _floats_differ(stored.wait_s, cdr.wait_s, tol):
        out.append(("wait_s", stored.wait_s, cdr.wait_s))
    if (stored.agent_dn or None) != (cdr.agent_dn or None):
        out.append(("agent_dn", stored.agent_dn, cdr.agent_dn))
    if _floats_differ(stored.talk_s, cdr.talk_s, tol):
        out.append(("talk_s", stored.talk_s, cdr.talk_s))
    if _times_differ(stored.ended_at, cdr.ended_at, tol):
        out.append(("ended_at", stored.ended_at, cdr.ended_at))
    return out


def _same_row(stored: QueueVisit, new: QueueVisit, tol: float) -> bool:
    """Whether writing ``new`` over ``stored`` would change nothing."""
    return (
        visit_key(stored) == visit_key(new)
        and stored.source == new.source
        and not _field_diffs(stored, new, tol)
        and not _times_differ(stored.answered_at, new.answered_at, tol)
        and stored.caller_number == new.caller_number
        and stored.caller_name == new.caller_name
        and stored.entry_queue_dn == new.entry_queue_dn
        and stored.call_id == new.call_id
    )


def _summary(v: QueueVisit) -> str:
    wait = f"{v.wait_s:.3f}" if v.wait_s is not None else "-"
    return f"{v.outcome} entered {v.entered_at.isoformat()} wait {wait} agent {v.agent_dn or '-'}"


def is_synthetic_key(call_key: str) -> bool:
    """A key the builder made up (``cdr:...``) because the CDR id is not our call key."""
    return call_key.startswith(SYNTHETIC_PREFIX)


def _different_calls(cdr: QueueVisit, stored: QueueVisit) -> bool:
    """Known to be different calls: both keys real and unequal, or both call ids known and
    unequal."""
    if not is_synthetic_key(cdr.call_key) and cdr.call_key != stored.call_key:
        return True
    return cdr.call_id is not None and stored.call_id is not None \
        and cdr.call_id != stored.call_id


def _match(
    cdr: Sequence[QueueVisit], stored: Sequence[QueueVisit], tolerance_s: float
) -> dict[int, int]:
    """CDR index → stored index, one-to-one, best candidates first."""
    by_queue: dict[str, list[int]] = {}
    for j in sorted(range(len(stored)), key=lambda j: stored[j].entered_at):
        by_queue.setdefault(stored[j].queue_dn, []).append(j)
    times = {q: [stored[j].entered_at for j in js] for q, js in by_queue.items()}
    window = timedelta(seconds=tolerance_s)
    candidates: list[tuple[tuple[int, int, int, float], int, int]] = []
    for i, c in enumerate(cdr):
        c_number = c.caller_number
        js = by_queue.get(c.queue_dn, [])
        at = times.get(c.queue_dn, [])
        lo = bisect_left(at, c.entered_at - window)
        hi = bisect_right(at, c.entered_at + window)
        for j in js[lo:hi]:
            s = stored[j]
            delta = abs((s.entered_at - c.entered_at).total_seconds())
            if delta > tolerance_s or _different_calls(c, s):
                continue
            score = (
                0 if s.call_key == c.call_key else 1,
                0 if c.call_id is not None and s.call_id == c.call_id else 1,
                0 if c_number is not None and s.caller_number == c_number else 1,
                delta,
            )
            candidates.append((score, i, j))
    candidates.sort()
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    for _score, i, j in candidates:
        if i in pairs or j in taken:
            continue
        pairs[i] = j
        taken.add(j)
    return pairs


class _Calls:
    """The CDR calls of a window, found by call key or by call id."""

    def __init__(self, calls: Sequence[CdrCall]) -> None:
        self.by_key: dict[str, list[CdrCall]] = {}
        self.by_id: dict[int, list[CdrCall]] = {}
        for c in calls:
            if c.call_key is not None:
                self.by_key.setdefault(c.call_key, []).append(c)
            if c.call_id is not None:
                self.by_id.setdefault(c.call_id, []).append(c)

    def of(self, v: QueueVisit, tolerance: timedelta) -> list[CdrCall]:
        found = list(self.by_key.get(v.call_key, ()))
        if v.call_id is not None:
            found += [c for c in self.by_id.get(v.call_id, ())
                      if c not in found and c.covers(v.entered_at, tolerance)]
        return found


def _extra_verdict(
    s: QueueVisit, calls: list[CdrCall], period_from: datetime, period_to: datetime,
    tolerance: timedelta,
) -> str | None:
    """Why the unmatched live visit ``s`` must be kept (``None``: the CDR proves it extra;
    ``""``: not extra here, a neighbouring period's CDR visit matches it)."""
    if not calls:
        return ("kept: the call is not in the CDR window (history may lag, the call may still "
                "run, or a page may be missing)")
    if not all(c.complete for c in calls):
        return "kept: the CDR rows of this call are incomplete"
    for c in calls:
        for queue_dn, at in c.queue_entries:
            if queue_dn == s.queue_dn and abs(at - s.entered_at) <= tolerance \
                    and not period_from <= at < period_to:
                return ""
    return None


def plan_corrections(
    cdr_visits: Sequence[QueueVisit],
    stored_visits: Sequence[QueueVisit],
    period_from: datetime,
    period_to: datetime,
    *,
    cdr_calls: Sequence[CdrCall] = (),
    tolerance_s: float = 120.0,
    value_tolerance_s: float = 0.001,
    remove_extra: bool = True,
) -> Plan:
    """Plan the corrections of one period.

    ``stored_visits`` are what ``queue_calls`` holds around the period (entered within
    ``tolerance_s`` of it); only those entered inside ``[period_from, period_to)`` can be extra.
    ``cdr_calls`` is the evidence about every call of the fetched CDR window: an extra live
    visit is removed only when it proves the visit extra (see the module doc) and
    ``remove_extra`` is set (the runner clears it when the period had dead letters); otherwise
    it is flagged. ``value_tolerance_s`` absorbs float noise in times and durations.
    """
    pairs = _match(cdr_visits, stored_visits, tolerance_s)
    # a call's CDR key → the stored key, learnt from any matched visit of that call
    key_map: dict[str, str] = {}
    for i, j in pairs.items():
        if is_synthetic_key(cdr_visits[i].call_key):
            key_map.setdefault(cdr_visits[i].call_key, stored_visits[j].call_key)
    tol = value_tolerance_s
    upserts: list[QueueVisit] = []
    deletes: list[QueueVisit] = []
    old: list[QueueVisit] = []
    diffs: list[Diff] = []
    missed: list[QueueVisit] = []
    matched = corrected = confirmed = unchanged = removed = flagged = 0
    for i, c in enumerate(cdr_visits):
        c = replace(c, call_key=key_map.get(c.call_key, c.call_key), source="cdr")
        found = pairs.get(i)
        if found is None:
            missed.append(c)
            continue
        s = stored_visits[found]
        new = replace(
            c,
            entry_queue_dn=c.entry_queue_dn or s.entry_queue_dn,
            call_id=c.call_id if c.call_id is not None else s.call_id,
        )
        matched += 1
        if _same_row(s, new, tol):
            unchanged += 1
            continue
        found_diffs = _field_diffs(s, new, tol)
        for name, live_value, cdr_value in found_diffs:
            diffs.append(Diff(s.call_key, s.queue_dn, s.entered_at, name,
                              _fmt(live_value), _fmt(cdr_value), "corrected"))
        upserts.append(new)
        old.append(s)
        if visit_key(s) != visit_key(new):
            deletes.append(s)
        if found_diffs:
            corrected += 1
        else:
            confirmed += 1  # live had it right: only the source (and ids) are rewritten
    for c in missed:
        upserts.append(c)
        diffs.append(Diff(c.call_key, c.queue_dn, c.entered_at, "missed_visit", None,
                          _summary(c), "inserted"))
    matched_stored = set(pairs.values())
    window = timedelta(seconds=tolerance_s)
    known = _Calls(cdr_calls)
    for j, s in enumerate(stored_visits):
        if j in matched_stored or not period_from <= s.entered_at < period_to:
            continue
        if s.source == "cdr":
            continue  # an earlier reconciliation's row: never removed by a later one
        verdict = _extra_verdict(s, known.of(s, window), period_from, period_to, window)
        if verdict == "":
            continue
        if verdict is None and not remove_extra:
            verdict = "kept: the period had dead letters, so the CDR may be incomplete"
        if verdict is not None:
            diffs.append(Diff(s.call_key, s.queue_dn, s.entered_at, "extra_live_visit",
                              _summary(s), verdict, "flagged"))
            flagged += 1
            continue
        diffs.append(Diff(s.call_key, s.queue_dn, s.entered_at, "extra_live_visit",
                          _summary(s), None, "corrected"))
        deletes.append(s)
        old.append(s)
        removed += 1
    return Plan(upserts=upserts, deletes=deletes, old=old, diffs=diffs, matched=matched,
                corrected=corrected, confirmed=confirmed, inserted=len(missed),
                removed=removed, flagged=flagged, unchanged=unchanged)
