"""CDR segments → queue visits (``source='cdr'``). Pure: no I/O.

Each queue segment (:class:`~queuepulse.reconcile.cdr_rules.CdrRules`) whose start lies in the
period is one visit: entered at the segment start; by its action answered (at the segment end,
the talk segment of the same call that starts there giving the agent and the end of the talk),
abandoned or transferred (at the segment end). Segments outside the period only give context: a
call's first queue (``entry_queue_dn``) and talks that end after the period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from queuepulse.domain.lifecycle import call_key_of
from queuepulse.domain.privacy import CallerPolicy, protect_name, protect_number
from queuepulse.domain.snapshot import parse_datetime
from queuepulse.domain.visits import QueueVisit
from queuepulse.reconcile.cdr_rules import CdrRules
from queuepulse.reconcile.matcher import SYNTHETIC_PREFIX, CdrCall
from queuepulse.reconcile.segments import (
    HISTORY_ENDPOINT,
    CallRef,
    CdrSegment,
    DeadLetter,
)

__all__ = ["BuildResult", "build_visits", "call_key_from_history", "is_queue_segment"]


@dataclass(frozen=True, slots=True)
class BuildResult:
    """Visits built from a period's CDR, the rows that could not be used, how many answered
    visits have no talk segment yet (talk still running or beyond the fetched window), and
    what the window says about each call (the evidence for removing extra live visits)."""

    visits: list[QueueVisit] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    open_talks: int = 0
    queue_segments: int = 0
    calls: list[CdrCall] = field(default_factory=list)


def call_key_from_history(ref: CallRef, separator: str, first_start: datetime) -> str:
    """Our call key for a CDR call.

    ``<Id>@<date-time>`` (the simulator's ``MainCallHistoryId``) is the live flow's own key
    (:func:`~queuepulse.domain.lifecycle.call_key_of`, canonical time format); any other id
    becomes ``cdr:<id>``; without an id, ``cdr:<CallId>@<first segment start>``.
    """
    hid = ref.history_id
    if hid:
        head, sep, tail = hid.partition(separator)
        if sep and head.isdigit():
            at = parse_datetime(tail)
            if at is not None:
                return call_key_of(int(head), at)
        return f"{SYNTHETIC_PREFIX}{hid}"
    return f"{SYNTHETIC_PREFIX}{ref.call_id}@{first_start.isoformat()}"


def is_queue_segment(seg: CdrSegment, rules: CdrRules, queue_dns: frozenset[str]) -> bool:
    """A call waiting in a queue: the destination is a queue, the type a queue segment's."""
    if rules.queue_segment_types and seg.seg_type not in rules.queue_segment_types:
        return False
    if seg.dst_dn is None:
        return False
    return seg.dst_dn in queue_dns or seg.dst_dn_type in rules.queue_dn_types


def _is_talk_segment(seg: CdrSegment, rules: CdrRules, queue_dns: frozenset[str]) -> bool:
    if rules.talk_segment_types and seg.seg_type not in rules.talk_segment_types:
        return False
    if seg.dst_dn is None or seg.dst_dn in queue_dns:
        return False
    return seg.dst_dn_type in rules.agent_dn_types


def _outcome(seg: CdrSegment, rules: CdrRules) -> str | None:
    action = seg.action_id
    if action in rules.answered_actions:
        return "answered"
    if action in rules.abandoned_actions:
        return "abandoned"
    if action in rules.transferred_actions:
        return "transferred"
    if rules.unknown_action_uses_answered_flag and seg.answered is not None:
        return "answered" if seg.answered else "abandoned"
    return None


def build_visits(
    pbx_id: str,
    segments: Iterable[CdrSegment],
    refs: Mapping[int, CallRef],
    period_from: datetime,
    period_to: datetime,
    rules: CdrRules,
    queue_dns: Iterable[str] = (),
    sla_by_queue: Mapping[str, float] | None = None,
    caller_policy: CallerPolicy | None = None,
) -> BuildResult:
    """Queue visits entering in ``[period_from, period_to)`` from the segments of a window
    around it (see the module doc). Queue segments without a ``GetCallLogData`` row, or with an
    action the rules do not know, are dead-lettered."""
    queues = frozenset(queue_dns)
    policy = caller_policy or CallerPolicy()
    slas = sla_by_queue or {}
    tolerance = timedelta(seconds=rules.talk_link_tolerance_s)
    dead: list[DeadLetter] = []
    by_call: dict[str, list[CdrSegment]] = defaultdict(list)
    ref_of_call: dict[str, CallRef] = {}
    segments = list(segments)
    for seg in segments:
        ref = refs.get(seg.segment_id)
        queue_seg = is_queue_segment(seg, rules, queues)
        if ref is None:
            if queue_seg and period_from <= seg.start < period_to:
                dead.append(DeadLetter(
                    HISTORY_ENDPOINT,
                    f"queue segment {seg.segment_id} has no GetCallLogData row, so its call "
                    "is unknown", seg.raw))
            continue
        call = ref.history_id or f"callid:{ref.call_id}"
        by_call[call].append(seg)
        ref_of_call.setdefault(call, ref)

    visits: list[QueueVisit] = []
    open_talks = queue_segments = 0
    for call, segs in by_call.items():
        segs.sort(key=lambda s: (s.start, s.segment_id))
        queue_segs = [s for s in segs if is_queue_segment(s, rules, queues)]
        if not queue_segs:
            continue
        talks = [s for s in segs if _is_talk_segment(s, rules, queues)]
        used: set[int] = set()
        entry_queue = queue_segs[0].dst_dn
        key = call_key_from_history(ref_of_call[call], rules.call_key_separator, segs[0].start)
        for q in queue_segs:
            if not period_from <= q.start < period_to:
                continue
            queue_segments += 1
            outcome = _outcome(q, rules)
            if outcome is None:
                dead.append(DeadLetter(
                    HISTORY_ENDPOINT,
                    f"queue segment {q.segment_id} has SegmentActionId {q.action_id}, which "
                    "no CDR rule maps to answered/abandoned/transferred", q.raw))
                continue
            assert q.dst_dn is not None
            ref = refs[q.segment_id]
            sla = slas.get(q.dst_dn)
            visit = QueueVisit(
                pbx_id=pbx_id, call_key=key, queue_dn=q.dst_dn, entered_at=q.start,
                caller_number=protect_number(q.src_number, policy),
                caller_name=protect_name(q.src_name, policy), source="cdr",
                entry_queue_dn=entry_queue, call_id=ref.call_id,
                sla_s=int(sla) if sla else None,
            )
            if outcome == "answered":
                talk = next((t for t in talks if t.segment_id not in used
                             and abs(t.start - q.end) <= tolerance), None)
                agent = talk.dst_dn if talk is not None else ref.agent_dn
                visit = visit.answer(q.end, agent)
                if talk is not None:
                    used.add(talk.segment_id)
                    visit = visit.end_talk(talk.end)
                else:
                    open_talks += 1
            elif outcome == "abandoned":
                visit = visit.abandon(q.end)
            else:
                visit = visit.transfer(q.end)
            visits.append(replace(visit, end_uncertainty_s=None))
    visits.sort(key=lambda v: (v.entered_at, v.queue_dn, v.call_key))
    calls = _calls(segments, refs, by_call, ref_of_call, rules, queues)
    return BuildResult(visits, dead, open_talks, queue_segments, calls)


def _calls(
    segments: list[CdrSegment],
    refs: Mapping[int, CallRef],
    by_call: Mapping[str, list[CdrSegment]],
    ref_of_call: Mapping[str, CallRef],
    rules: CdrRules,
    queues: frozenset[str],
) -> list[CdrCall]:
    """Every call the window's rows mention; incomplete when a ``GetCallLogData`` row has no
    ``CallHistoryView`` segment (history lagging or a page missing)."""
    seen = {seg.segment_id for seg in segments}
    missing: set[str] = set()
    only_refs: dict[str, CallRef] = {}
    for ref in refs.values():
        call = ref.history_id or f"callid:{ref.call_id}"
        if ref.segment_id not in seen:
            missing.add(call)
        if call not in by_call:
            only_refs.setdefault(call, ref)
    out: list[CdrCall] = []
    for call, segs in by_call.items():
        ref = ref_of_call[call]
        out.append(CdrCall(
            call_key=call_key_from_history(ref, rules.call_key_separator, segs[0].start),
            call_id=ref.call_id, start=segs[0].start, end=max(s.end for s in segs),
            complete=call not in missing,
            queue_entries=tuple((s.dst_dn, s.start) for s in segs
                                if s.dst_dn is not None and is_queue_segment(s, rules, queues)),
        ))
    for ref in only_refs.values():
        key = (call_key_from_history(ref, rules.call_key_separator, datetime.min)
               if ref.history_id else None)
        out.append(CdrCall(key, ref.call_id, None, None, complete=False))
    return out
