"""The ActiveCalls lifecycle: consecutive polls of one PBX in, events, visits and KPI facts out.

:func:`step` is a pure function ``(state | None, poll, directory, rules) -> (state, output)`` over
frozen, picklable state, shaped for Bytewax's ``stateful_map`` (one state per PBX). It

* orders polls by receipt: a poll received before the last accepted one is *out of order*, a poll
  repeating the ``ServerNow`` of a recently applied one is *stale* (a cached answer); both are
  counted and skipped;
* does not trust one ``ServerNow`` blindly (see :func:`_judge_clock`): a poll is expected at the
  last applied poll's PBX time plus the receive time elapsed since (times the PBX clock's rate,
  the median ratio of recent agreeing polls: 1 for a real PBX). A poll whose ``ServerNow`` is
  off that expectation by more than ``_CLOCK_TOLERANCE_S`` (an NTP step, a mis-set node behind
  a load balancer) is a *clock anomaly*: recorded as an ``anomaly`` event (``kind:
  clock_jump``) and applied at the expected PBX time, never skipped; when ``_STEP_POLLS`` such
  polls in a row agree with each other, the clock stepped and is followed from there (``kind:
  clock_step``). The PBX time of a poll never goes below the
  ``LastChangeStatus`` of its rows (a change cannot be later than "now") nor back in time;
* translates receive times to PBX time with that skew estimate when a poll carries no calls;
* keys calls by (``Id``, ``EstablishedAt``), emits ``call_started``, ``status_changed``,
  ``queue_entered``, ``answered``, ``transferred``, ``abandoned``, ``call_ended`` at
  ``LastChangeStatus`` (else ``ServerNow``), clamped so each call's events never go back in time;
* keeps a talking call that briefly shows a moving status (``Transferring``, ``Rerouting``) and
  then talks again at the same queue or with the same agent in its one visit; a call that moves
  anywhere else (another queue, waiting again, another agent, elsewhere, or it ends) ended its
  talk when the move began, and the ``transferred`` event is emitted once that is known;
* ends a vanished call at the first absent poll's PBX time, with the uncertainty (the span since
  the last poll that showed it, gaps included) in the event details;
* records failed polls and long pauses as gaps (``gap_started``/``gap_ended``), never as calls
  ending: a call seen before and after a gap continues;
* flags impossible input (a row repeated in one poll, an ended call reappearing) as ``anomaly``
  events, which never touch visits or KPIs;
* gives every event a deterministic id (UUIDv5 of PBX, call key, type, per-call sequence), so a
  replay or a resumed flow yields the same ids.

An applied poll goes through named phases (:func:`_apply_poll`): end or record a gap, sort the
rows, apply the new and changed ones, end the vanished calls, identify agents late, keep the
tombstones, compute the gauges.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from operator import attrgetter
from typing import Any, Literal

from queuepulse.domain.events import PBX_CALL_KEY, CallEvent, event_id
from queuepulse.domain.gauges import QueueLive, queue_gauges
from queuepulse.domain.kpi import KpiFact, facts_for_visit_change, make_entry_fact
from queuepulse.domain.parties import Directory, party_dn
from queuepulse.domain.privacy import protect_caller, protect_number
from queuepulse.domain.rules import Placement, Rules, infer_agent, place
from queuepulse.domain.snapshot import ActiveCallRow, Poll, format_datetime
from queuepulse.domain.visits import Outcome, QueueVisit, seconds_between

__all__ = [
    "AgentCallChange",
    "CallTrack",
    "Counters",
    "GapState",
    "PbxState",
    "RestoredCall",
    "StepOutput",
    "Tombstone",
    "call_key_of",
    "initial_state",
    "restore",
    "step",
]

_TINY = timedelta(microseconds=1)
#: How far a poll's ServerNow may stray from the estimated PBX clock before it is an anomaly.
_CLOCK_TOLERANCE_S = 5.0
#: Consecutive anomalous polls agreeing with each other that make a clock step.
_STEP_POLLS = 3
#: Ratios kept for the PBX clock's rate (their median).
_RATE_WINDOW = 9
#: Recently applied ServerNow values remembered to recognise a repeated (stale) answer.
_RECENT_SERVER_NOWS = 8
#: How long after an answer an unidentified agent is still looked for (see rules.infer_agent).
_ATTRIBUTION_WINDOW_S = 10.0


@dataclass(frozen=True, slots=True)
class Counters:
    """Cumulative (in :class:`PbxState`) or per-step (``StepOutput.delta``) counts."""

    polls: int = 0
    applied: int = 0
    stale: int = 0
    out_of_order: int = 0
    failed: int = 0
    gaps: int = 0
    unknown_status: int = 0
    anomalies: int = 0
    parse_problems: int = 0
    calls_started: int = 0
    calls_ended: int = 0
    clock_anomalies: int = 0

    def __add__(self, other: Counters) -> Counters:
        return Counters(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def __sub__(self, other: Counters) -> Counters:
        return Counters(*(getattr(self, f.name) - getattr(other, f.name) for f in fields(self)))


@dataclass(frozen=True, slots=True)
class CallTrack:
    """What the lifecycle remembers about one active call."""

    call_key: str
    call_id: int
    caller_raw: str | None
    callee_raw: str | None
    status: str | None
    last_change: datetime | None
    caller_dn: str | None
    callee_dn: str | None
    caller_number: str | None  # after the privacy policy
    caller_name: str | None  # after the privacy policy
    seq: int  # next event sequence number of this call
    last_event_at: datetime
    visit: QueueVisit | None = None  # the open visit: waiting, or answered and talking
    entry_queue_dn: str | None = None
    entry_at: datetime | None = None
    entry_sla_s: int | None = None
    answered_any: bool = False
    last_outcome: Outcome | None = None  # outcome of the last closed visit
    last_closed_at: datetime | None = None
    last_entered_at: datetime | None = None
    #: When the talking visit began to move (``Transferring``/``Rerouting``), until the call
    #: shows where it went: back to talking where it was continues the visit.
    moving_since: datetime | None = None

    def __reduce__(self) -> tuple[type[CallTrack], tuple[Any, ...]]:
        # positional pickling: several times faster than the dataclass slots state protocol
        return (CallTrack, _CALL_TRACK_FIELDS(self))


_CALL_TRACK_FIELDS = attrgetter(*(f.name for f in fields(CallTrack)))


@dataclass(frozen=True, slots=True)
class Tombstone:
    """An ended call key, remembered for ``rules.tombstone_ttl_s``."""

    ended_at: datetime
    seq: int
    flagged: bool = False


@dataclass(frozen=True, slots=True)
class GapState:
    """An open gap: polls failing since ``started_at`` (PBX time)."""

    started_at: datetime
    failed_polls: int
    error: str | None


@dataclass(frozen=True, slots=True)
class PbxState:
    """The lifecycle state of one PBX (picklable; the mappings are never mutated once built)."""

    pbx_id: str
    calls: Mapping[str, CallTrack] = field(default_factory=dict)
    tombstones: Mapping[str, Tombstone] = field(default_factory=dict)
    last_server_now: datetime | None = None  # PBX time of the last applied poll
    last_received_at: datetime | None = None  # receive time of the last accepted poll
    skew_s: float | None = None  # ServerNow - received_at, last measured
    gap: GapState | None = None
    pbx_seq: int = 0
    pbx_last_event_at: datetime | None = None
    on_call: frozenset[str] = frozenset()
    unattributed: frozenset[str] = frozenset()  # answered calls whose agent is not known yet
    attributed: frozenset[str] = frozenset()  # agents of answered, still talking visits
    counters: Counters = Counters()
    applied_received_at: datetime | None = None  # receive time of the last applied poll
    #: recent PBX-time-per-receive-time ratios of consecutive agreeing polls (their median is
    #: the PBX clock's rate: 1 for a real PBX, the speed of a sped-up simulator)
    clock_rates: tuple[float, ...] = ()
    odd_offsets: tuple[float, ...] = ()  # offsets of the anomalous polls in a row so far
    recent_server_nows: tuple[datetime, ...] = ()  # raw ServerNow of recently applied polls
    #: calls restored from the database at a restart without recovery, and when each was
    #: last seen: the first poll continues them or ends them at that time
    restored: Mapping[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AgentCallChange:
    """An agent went on or off a call (its DN appeared in / left every active call)."""

    agent_dn: str
    on_call: bool
    ts: datetime


@dataclass(frozen=True, slots=True)
class StepOutput:
    """What one poll produced.

    ``visits`` are upserts of ``queue_calls`` rows (the latest version of each visit touched),
    ``live`` the gauges of every directory queue at ``server_time`` (empty for skipped or failed
    polls), ``counters`` the cumulative counts, ``delta`` this poll's, ``skipped`` why a poll was
    not applied.
    """

    events: tuple[CallEvent, ...] = ()
    visits: tuple[QueueVisit, ...] = ()
    facts: tuple[KpiFact, ...] = ()
    live: tuple[QueueLive, ...] = ()
    agent_changes: tuple[AgentCallChange, ...] = ()
    counters: Counters = Counters()
    delta: Counters = Counters()
    server_time: datetime | None = None
    skew_s: float | None = None
    skipped: Literal["stale", "out_of_order"] | None = None


def initial_state(pbx_id: str) -> PbxState:
    """The state before the first poll."""
    return PbxState(pbx_id)


@dataclass(frozen=True, slots=True)
class RestoredCall:
    """What the database holds about a call with an open visit: its visits (oldest first, the
    open one last), how many events it has (the next event's sequence number), its last event's
    time and status."""

    call_key: str
    call_id: int | None
    visits: tuple[QueueVisit, ...]
    events: int
    last_event_at: datetime
    status: str | None = None


def restore(pbx_id: str, calls: tuple[RestoredCall, ...], last_seen: datetime) -> PbxState:
    """The state of a start without recovery state, from the calls the database holds open
    (a restart after a crash or a stop without ``--recovery-dir``). The first poll reconciles
    them: a call it still shows continues its visit (its row is compared with what was known,
    so an answer or a move since is applied); a call it no longer shows ends at ``last_seen``
    (the last poll the database holds), the time since recorded as the end's uncertainty."""
    tracks: dict[str, CallTrack] = {}
    for call in calls:
        open_visits = [v for v in call.visits if not v.is_closed]
        if not open_visits or call.call_id is None:
            continue
        visit = open_visits[-1]
        first = call.visits[0]
        closed = [v for v in call.visits if v.is_closed]
        last_event = max(call.last_event_at, max(v.entered_at for v in call.visits))
        tracks[call.call_key] = CallTrack(
            call_key=call.call_key, call_id=call.call_id, caller_raw=None, callee_raw=None,
            status=call.status, last_change=None, caller_dn=None, callee_dn=None,
            caller_number=visit.caller_number, caller_name=visit.caller_name,
            seq=call.events, last_event_at=last_event, visit=visit,
            entry_queue_dn=first.entry_queue_dn or first.queue_dn, entry_at=first.entered_at,
            entry_sla_s=first.sla_s,
            answered_any=any(v.answered_at is not None for v in call.visits),
            last_outcome=closed[-1].outcome if closed else None,
            last_closed_at=closed[-1].ended_at if closed else None,
            last_entered_at=max(v.entered_at for v in call.visits),
        )
    return PbxState(pbx_id, calls=tracks, restored=dict.fromkeys(tracks, last_seen))


@lru_cache(maxsize=1 << 16)
def call_key_of(call_id: int, established_at: datetime) -> str:
    """The call key: ``"<Id>@<EstablishedAt>"``, the time as :func:`format_datetime` writes it
    (UTC, ``Z``, six fractional digits only when there is a fraction:
    ``17@2026-01-05T09:00:00Z``, ``17@2026-01-05T09:00:00.250000Z``).

    Memoised: it is asked for every row of every poll.
    """
    return f"{call_id}@{format_datetime(established_at)}"


# --- one step: skip, record a failed poll, or apply the poll in phases -------------------------


def step(
    state: PbxState | None, poll: Poll, directory: Directory, rules: Rules
) -> tuple[PbxState, StepOutput]:
    """Apply one poll; return the new state and what it produced. Never raises on bad input.

    Times must be timezone-aware (``parse_datetime`` gives UTC; a naive ``received_at`` is read
    as UTC). A poll received before the last one is skipped as out of order, a failed poll is
    recorded as (part of) a gap, a poll no newer in PBX time than the last is skipped as stale;
    any other poll is applied.
    """
    if state is None:
        state = initial_state(poll.pbx_id)
    if poll.received_at.tzinfo is None:  # a naive receive time is read as UTC
        poll = replace(poll, received_at=poll.received_at.replace(tzinfo=UTC))
    if state.last_received_at is not None and poll.received_at < state.last_received_at:
        return _finish(state, {"polls": 1, "out_of_order": 1, "parse_problems": poll.problems},
                       skipped="out_of_order", skew_s=state.skew_s)
    if not poll.ok:
        return _record_failed_poll(state, poll)
    raw_time, measured_skew = _poll_server_time(poll, state.skew_s)
    if measured_skew is not None and raw_time in state.recent_server_nows:
        return _finish(state, {"polls": 1, "stale": 1, "parse_problems": poll.problems},
                       skipped="stale", skew_s=state.skew_s)
    clock = _judge_clock(state, poll, raw_time, measured_skew)
    return _apply_poll(state, poll, clock, directory, rules)


def _apply_poll(
    state: PbxState, poll: Poll, clock: _ClockVerdict, directory: Directory, rules: Rules,
) -> tuple[PbxState, StepOutput]:
    """Apply a poll that is in order and not a repeat, phase by phase."""
    server_time = clock.server_time
    ctx = _PollContext(state, poll, server_time, directory, rules)
    if clock.rebased_prev is not None:
        ctx.prev_server_time = clock.rebased_prev
    pbx = _PbxEvents(state, poll.received_at)
    if clock.anomaly is not None:
        ctx.count("clock_anomalies")
        pbx.emit("anomaly", server_time, clock.anomaly)
    in_gap = _end_or_record_gap(ctx, pbx, state.gap)
    rows = _sort_rows(ctx, poll.calls, state.tombstones)
    drafts = _apply_changed_rows(ctx, rows)
    ended = _end_vanished_calls(ctx, rows, drafts, in_gap)
    calls = rows.unchanged  # the new state's calls: unchanged ones as they were, then the drafts
    for key, draft in drafts.items():
        calls[key] = draft.freeze()
    unattributed = _attribute_agents_late(ctx, calls, drafts, state.unattributed)
    tombstones = _remember_ended_calls(ctx, rows, ended)
    live, attributed = _gauges(ctx, calls)
    on_call = frozenset(ctx.on_call)
    skew = clock.skew_s
    new_state = PbxState(
        pbx_id=state.pbx_id,
        calls=calls,
        tombstones=tombstones,
        last_server_now=server_time,
        last_received_at=poll.received_at,
        skew_s=skew,
        gap=None,
        pbx_seq=pbx.seq,
        pbx_last_event_at=pbx.last_at,
        on_call=on_call,
        unattributed=unattributed,
        attributed=attributed,
        counters=state.counters,
        applied_received_at=poll.received_at,
        odd_offsets=clock.odd_offsets,
        clock_rates=clock.rates,
        recent_server_nows=clock.recent,
    )
    return _finish(
        new_state,
        ctx.delta,
        events=tuple(pbx.events) + tuple(ctx.events),
        visits=tuple(ctx.visits.values()),
        facts=tuple(ctx.facts),
        live=live,
        agent_changes=_agent_changes(on_call, state.on_call, server_time),
        server_time=server_time,
        skew_s=skew,
    )


def _finish(
    state: PbxState, delta: Mapping[str, int], **out: Any
) -> tuple[PbxState, StepOutput]:
    """Add this poll's counts to the state's and build the output."""
    counted = Counters(**delta)
    total = state.counters + counted
    return replace(state, counters=total), StepOutput(counters=total, delta=counted, **out)


# --- events about the PBX itself: gaps ---------------------------------------------------------


class _PbxEvents:
    """The events about the PBX rather than one call that a step emits, numbered on from the
    state's ``pbx_seq`` and never back in time."""

    __slots__ = ("events", "last_at", "observed_at", "pbx_id", "seq")

    def __init__(self, state: PbxState, observed_at: datetime) -> None:
        self.pbx_id = state.pbx_id
        self.seq = state.pbx_seq
        self.last_at = state.pbx_last_event_at
        self.observed_at = observed_at
        self.events: list[CallEvent] = []

    def emit(self, event_type: str, at: datetime, details: dict[str, Any]) -> None:
        if self.last_at is not None and at < self.last_at:
            at = self.last_at
        self.events.append(CallEvent(
            event_id=event_id(self.pbx_id, PBX_CALL_KEY, event_type, self.seq),
            pbx_id=self.pbx_id, call_key=PBX_CALL_KEY, call_id=None, event_type=event_type,
            occurred_at=at, observed_at=self.observed_at, details=details,
        ))
        self.seq += 1
        self.last_at = at


def _record_failed_poll(state: PbxState, poll: Poll) -> tuple[PbxState, StepOutput]:
    """A failed poll opens a gap (at the last applied poll's PBX time) or extends the open one;
    the calls stay as they are."""
    delta = {"polls": 1, "failed": 1, "parse_problems": poll.problems}
    pbx = _PbxEvents(state, poll.received_at)
    gap = state.gap
    if gap is None:
        started = state.last_server_now or (
            poll.received_at + timedelta(seconds=state.skew_s or 0.0)
        )
        delta["gaps"] = 1
        pbx.emit("gap_started", started, {"reason": "poll_failed", "error": poll.error})
        gap = GapState(started, 1, poll.error)
    else:
        gap = replace(gap, failed_polls=gap.failed_polls + 1)
    new_state = replace(state, gap=gap, last_received_at=poll.received_at, pbx_seq=pbx.seq,
                        pbx_last_event_at=pbx.last_at)
    return _finish(new_state, delta, events=tuple(pbx.events), skew_s=state.skew_s)


def _end_or_record_gap(ctx: _PollContext, pbx: _PbxEvents, gap: GapState | None) -> bool:
    """End the open gap, or record a pause longer than ``rules.gap_after_s`` since the last
    applied poll as a gap; return whether this poll follows a gap."""
    server_time, prev = ctx.server_time, ctx.prev_server_time
    if gap is not None:
        pbx.emit("gap_ended", server_time, {
            "started_at": format_datetime(gap.started_at),
            "duration_s": seconds_between(gap.started_at, server_time),
            "failed_polls": gap.failed_polls, "error": gap.error,
        })
        return True
    if prev is None or (server_time - prev).total_seconds() <= ctx.rules.gap_after_s:
        return False
    ctx.count("gaps")
    pbx.emit("gap_started", prev, {"reason": "pause"})
    pbx.emit("gap_ended", server_time, {"started_at": format_datetime(prev), "reason": "pause",
                                        "duration_s": seconds_between(prev, server_time)})
    return True


# --- the rows of one poll ----------------------------------------------------------------------


class _SortedRows:
    """A poll's rows sorted by what they need: calls unchanged since the last poll (kept as the
    same objects), new or changed calls, repeated rows; and the tombstones, copied on the first
    change."""

    __slots__ = ("_own_tombstones", "changed", "duplicates", "tombstones", "unchanged")

    def __init__(self, tombstones: Mapping[str, Tombstone]) -> None:
        self.unchanged: dict[str, CallTrack] = {}
        self.changed: dict[str, tuple[ActiveCallRow, CallTrack | None]] = {}
        self.duplicates: list[tuple[str, ActiveCallRow]] = []
        self.tombstones = tombstones
        self._own_tombstones: dict[str, Tombstone] | None = None

    def own_tombstones(self) -> dict[str, Tombstone]:
        """The tombstones as this step's own copy, to change."""
        if self._own_tombstones is None:
            self._own_tombstones = dict(self.tombstones)
            self.tombstones = self._own_tombstones
        return self._own_tombstones


def _sort_rows(
    ctx: _PollContext, rows: tuple[ActiveCallRow, ...], tombstones: Mapping[str, Tombstone]
) -> _SortedRows:
    """Sort the rows by call (see :class:`_SortedRows`), flag rows of ended calls, and note every
    agent on a call. The hot path: one pass over every row of the poll."""
    out = _SortedRows(tombstones)
    unchanged, changed, on_call = out.unchanged, out.changed, ctx.on_call
    old_calls, agents = ctx.old_calls, ctx.directory.agents
    for row in rows:
        if row.established_at is not None:
            key = call_key_of(row.id, row.established_at)
        else:
            key = ctx.key_without_established_at(row.id)
        if key in unchanged or key in changed:
            out.duplicates.append((key, row))
            continue
        track = old_calls.get(key)
        if track is None and key in out.tombstones:
            _flag_reappeared(ctx, out, key, row)
            continue
        if (
            track is not None
            and track.status == row.status
            and track.callee_raw == row.callee
            and track.last_change == row.last_change_status
            and track.caller_raw == row.caller
        ):
            unchanged[key] = track
            if track.caller_dn in agents:
                on_call.add(track.caller_dn)  # type: ignore[arg-type]
            if track.callee_dn in agents:
                on_call.add(track.callee_dn)  # type: ignore[arg-type]
            continue
        changed[key] = (row, track)
        for dn in (party_dn(row.caller), party_dn(row.callee)):
            if dn is not None and dn in agents:
                on_call.add(dn)
    ctx.newly_on_call = {dn for dn in on_call if dn not in ctx.prev_on_call}
    return out


def _flag_reappeared(
    ctx: _PollContext, rows: _SortedRows, key: str, row: ActiveCallRow
) -> None:
    """A row of an ended call never restarts it: flag it as an anomaly, once."""
    tomb = rows.tombstones[key]
    if tomb.flagged:
        return
    tombstones = rows.own_tombstones()
    ctx.count("anomalies")
    ctx.events.append(CallEvent(
        event_id=event_id(ctx.pbx_id, key, "anomaly", tomb.seq),
        pbx_id=ctx.pbx_id, call_key=key, call_id=row.id, event_type="anomaly",
        occurred_at=max(ctx.server_time, tomb.ended_at), observed_at=ctx.observed_at,
        status=row.status,
        details={"kind": "reappeared_after_end", "ended_at": format_datetime(tomb.ended_at)},
    ))
    tombstones[key] = replace(tomb, seq=tomb.seq + 1, flagged=True)


def _apply_changed_rows(ctx: _PollContext, rows: _SortedRows) -> dict[str, _CallDraft]:
    """Start the new calls, move the changed ones on, flag repeated rows; return the drafts of
    every call touched."""
    drafts = {key: _apply_row(ctx, row, key, track) for key, (row, track) in rows.changed.items()}
    for key, row in rows.duplicates:
        draft = drafts.get(key)
        if draft is None:
            draft = drafts[key] = _CallDraft(rows.unchanged.pop(key))
        draft.anomaly(ctx, "duplicate_row",
                      {"status": row.status, "callee_dn": ctx.safe_dn(party_dn(row.callee))})
    return drafts


def _end_vanished_calls(
    ctx: _PollContext, rows: _SortedRows, drafts: Mapping[str, _CallDraft], in_gap: bool
) -> list[_CallDraft]:
    """End every call of the last poll that this poll no longer shows, at this poll's PBX time;
    return their drafts."""
    prev, server_time = ctx.prev_server_time, ctx.server_time
    ended: list[_CallDraft] = []
    restored = ctx.restored
    for key, track in ctx.old_calls.items():
        if key in rows.unchanged or key in drafts:
            continue
        draft = _CallDraft(track)
        seen = restored.get(key, prev)
        details: dict[str, Any] = {
            "last_seen": format_datetime(seen) if seen is not None else None,
            "uncertainty_s": seconds_between(seen, server_time) if seen is not None else None,
            "gap": in_gap,
        }
        if key in restored:  # gone while queuepulse was not running: ended when last seen
            details["restart"] = True
            draft.end(ctx, min(seen or server_time, server_time), details)
        else:
            draft.end(ctx, server_time, details)
        ended.append(draft)
    return ended


# --- after the rows: late agents, tombstones, gauges --------------------------------------------


def _attribute_agents_late(
    ctx: _PollContext, calls: dict[str, CallTrack], drafts: Mapping[str, _CallDraft],
    unattributed: frozenset[str],
) -> frozenset[str]:
    """Identify the agent of an answered, still talking visit whose agent is not known yet, for
    ``_ATTRIBUTION_WINDOW_S`` after the answer; return the calls still without one."""
    still_unknown: set[str] = set()
    pending = sorted(unattributed | {
        key for key, draft in drafts.items()
        if draft.visit is not None and draft.visit.is_talking and draft.visit.agent_dn is None
    })
    for key in pending:
        track = calls.get(key)
        if track is None or track.visit is None or not track.visit.is_talking:
            continue
        visit = track.visit
        answered_at = visit.answered_at
        if visit.agent_dn is not None or (
            answered_at is not None
            and (ctx.server_time - answered_at).total_seconds() > _ATTRIBUTION_WINDOW_S
        ):
            continue
        if track.moving_since is not None:  # not while it moves; perhaps once it is back
            still_unknown.add(key)
            continue
        agent, _ = infer_agent(visit.queue_dn, ctx.directory, ctx.on_call, ctx.busy(),
                               ctx.newly_on_call)
        if agent is None:
            still_unknown.add(key)
            continue
        ctx.busy().add(agent)
        visit = visit.with_agent(agent)
        ctx.put_visit(visit)
        calls[key] = replace(track, visit=visit)
    return frozenset(still_unknown)


def _remember_ended_calls(
    ctx: _PollContext, rows: _SortedRows, ended: list[_CallDraft]
) -> Mapping[str, Tombstone]:
    """Add a tombstone per ended call; forget those older than ``rules.tombstone_ttl_s``."""
    tombstones = rows.tombstones
    if not ended and not tombstones:
        return tombstones
    horizon = ctx.server_time - timedelta(seconds=ctx.rules.tombstone_ttl_s)
    expired = 0
    for tomb in tombstones.values():  # in the order the calls ended
        if tomb.ended_at >= horizon:
            break
        expired += 1
    if not ended and not expired:
        return tombstones
    kept = dict(list(tombstones.items())[expired:]) if expired else rows.own_tombstones()
    for draft in ended:
        kept[draft.call_key] = Tombstone(ctx.server_time, draft.seq)
    return kept


def _gauges(
    ctx: _PollContext, calls: Mapping[str, CallTrack]
) -> tuple[tuple[QueueLive, ...], frozenset[str]]:
    """The gauges of every directory queue, and the agents of answered, still talking visits."""
    waiting: dict[str, int] = {}
    talking: dict[str, int] = {}
    oldest: dict[str, datetime] = {}
    attributed: set[str] = set()
    for track in calls.values():
        v = track.visit
        if v is None:
            continue
        q = v.queue_dn
        if v.outcome == "waiting":
            waiting[q] = waiting.get(q, 0) + 1
            o = oldest.get(q)
            if o is None or v.entered_at < o:
                oldest[q] = v.entered_at
        elif track.moving_since is None:  # a call on the move is not talking here
            talking[q] = talking.get(q, 0) + 1
            if v.agent_dn is not None:
                attributed.add(v.agent_dn)
    live = queue_gauges(ctx.pbx_id, ctx.server_time, ctx.directory, ctx.rules, waiting, oldest,
                        talking, ctx.on_call)
    return live, frozenset(attributed)


def _agent_changes(
    on_call: frozenset[str], before: frozenset[str], at: datetime
) -> tuple[AgentCallChange, ...]:
    """The agents who went on or off a call since the last applied poll, by DN."""
    changed = sorted(on_call.symmetric_difference(before))
    return tuple(AgentCallChange(dn, dn in on_call, at) for dn in changed)


# --- the context of one applied poll, and the working copy of one call --------------------------


class _PollContext:
    """What applying one poll reads and accumulates (local to the step, never stored)."""

    __slots__ = (
        "_busy", "_id_index", "attributed", "delta", "directory", "events", "facts",
        "newly_on_call", "observed_at", "old_calls", "on_call", "pbx_id", "prev_on_call",
        "prev_server_time", "restored", "rules", "server_time", "visits",
    )

    def __init__(
        self, state: PbxState, poll: Poll, server_time: datetime, directory: Directory,
        rules: Rules,
    ) -> None:
        self.pbx_id = state.pbx_id
        self.observed_at = poll.received_at
        self.server_time = server_time
        self.prev_server_time = state.last_server_now
        self.directory = directory
        self.rules = rules
        self.old_calls = state.calls
        self.restored = state.restored
        self.prev_on_call = state.on_call
        self.attributed = state.attributed
        self.events: list[CallEvent] = []
        self.visits: dict[tuple[str, str, datetime], QueueVisit] = {}
        self.facts: list[KpiFact] = []
        self.delta: dict[str, int] = {"polls": 1, "applied": 1}
        if poll.problems:
            self.delta["parse_problems"] = poll.problems
        self.on_call: set[str] = set()
        self.newly_on_call: set[str] = set()
        self._busy: set[str] | None = None
        self._id_index: dict[int, list[str]] | None = None

    def count(self, name: str, n: int = 1) -> None:
        self.delta[name] = self.delta.get(name, 0) + n

    def busy(self) -> set[str]:
        """Agents attributed to an answered, still talking visit (built on first need)."""
        if self._busy is None:
            self._busy = set(self.attributed)
        return self._busy

    def key_without_established_at(self, call_id: int) -> str:
        """The key of a row without ``EstablishedAt``: the one known call with its ``Id``, else
        a key of its own (``<Id>@seen:<PBX time>``)."""
        if self._id_index is None:
            index: dict[int, list[str]] = {}
            for key, track in self.old_calls.items():
                index.setdefault(track.call_id, []).append(key)
            self._id_index = index
        known = self._id_index.get(call_id, [])
        if len(known) == 1:
            return known[0]
        return f"{call_id}@seen:{format_datetime(self.server_time)}"

    def safe_dn(self, dn: str | None) -> str | None:
        """A DN for event details: queues and agents as they are, any other number (an outbound
        call's callee is personal data too) through the caller privacy policy."""
        policy = self.rules.caller_policy
        if dn is None or policy.mode == "keep" or self.directory.kind(dn) != "other":
            return dn
        return protect_number(dn, policy)

    def put_visit(self, visit: QueueVisit) -> None:
        self.visits[(visit.call_key, visit.queue_dn, visit.entered_at)] = visit


class _CallDraft:
    """The mutable working copy of one call's :class:`CallTrack` while a poll is applied;
    :meth:`freeze` makes the track the new state keeps."""

    __slots__ = (
        "answered_any", "call_id", "call_key", "callee_dn", "callee_raw", "caller_dn",
        "caller_name", "caller_number", "caller_raw", "entry_at", "entry_queue_dn",
        "entry_sla_s",
        "last_change", "last_closed_at", "last_entered_at", "last_event_at", "last_outcome",
        "moving_since", "seq", "status", "visit",
    )

    def __init__(self, t: CallTrack) -> None:
        self.call_key = t.call_key
        self.call_id = t.call_id
        self.caller_raw = t.caller_raw
        self.callee_raw = t.callee_raw
        self.status = t.status
        self.last_change = t.last_change
        self.caller_dn = t.caller_dn
        self.callee_dn = t.callee_dn
        self.caller_number = t.caller_number
        self.caller_name = t.caller_name
        self.seq = t.seq
        self.last_event_at = t.last_event_at
        self.visit = t.visit
        self.entry_queue_dn = t.entry_queue_dn
        self.entry_at = t.entry_at
        self.entry_sla_s = t.entry_sla_s
        self.answered_any = t.answered_any
        self.last_outcome = t.last_outcome
        self.last_closed_at = t.last_closed_at
        self.last_entered_at = t.last_entered_at
        self.moving_since = t.moving_since

    def freeze(self) -> CallTrack:
        return CallTrack(
            self.call_key, self.call_id, self.caller_raw, self.callee_raw, self.status,
            self.last_change, self.caller_dn, self.callee_dn, self.caller_number,
            self.caller_name, self.seq,
            self.last_event_at, self.visit, self.entry_queue_dn, self.entry_at,
            self.entry_sla_s, self.answered_any, self.last_outcome, self.last_closed_at,
            self.last_entered_at, self.moving_since,
        )

    # -- events ---------------------------------------------------------------------------

    def emit(
        self, ctx: _PollContext, event_type: str, at: datetime, *, queue_dn: str | None = None,
        agent_dn: str | None = None, details: dict[str, Any] | None = None,
    ) -> datetime:
        """Append an event (time clamped to this call's last event); return its time."""
        if at < self.last_event_at:
            at = self.last_event_at
        self.last_event_at = at
        ctx.events.append(
            CallEvent(
                event_id=event_id(ctx.pbx_id, self.call_key, event_type, self.seq),
                pbx_id=ctx.pbx_id,
                call_key=self.call_key,
                call_id=self.call_id,
                event_type=event_type,
                occurred_at=at,
                observed_at=ctx.observed_at,
                queue_dn=queue_dn,
                agent_dn=agent_dn,
                status=self.status,
                details=details if details is not None else {},
            )
        )
        self.seq += 1
        return at

    def anomaly(
        self, ctx: _PollContext, kind: str, details: dict[str, Any], at: datetime | None = None
    ) -> None:
        ctx.count("anomalies")
        self.emit(ctx, "anomaly", at if at is not None else ctx.server_time,
                  details={"kind": kind, **details})

    # -- visits ---------------------------------------------------------------------------

    def _set_visit(self, ctx: _PollContext, old: QueueVisit | None, new: QueueVisit) -> None:
        ctx.facts.extend(facts_for_visit_change(old, new, ctx.rules))
        ctx.put_visit(new)
        if new.is_closed:
            self.visit = None
            self.last_outcome = new.outcome
            self.last_closed_at = new.ended_at
        else:
            self.visit = new

    def open_visit(
        self, ctx: _PollContext, queue_dn: str, at: datetime,
        details: dict[str, Any] | None = None,
    ) -> None:
        if self.last_entered_at is not None and at <= self.last_entered_at:
            at = self.last_entered_at + _TINY  # two entries at one instant: keep keys distinct
        at = self.emit(ctx, "queue_entered", at, queue_dn=queue_dn, details=details)
        self.last_entered_at = at
        sla = ctx.directory.sla_s(queue_dn, ctx.rules.default_sla_s)
        if self.entry_queue_dn is None:
            self.entry_queue_dn, self.entry_at, self.entry_sla_s = queue_dn, at, sla
            ctx.facts.append(make_entry_fact(ctx.pbx_id, self.call_key, queue_dn, "offered", at,
                                             ctx.rules))
        visit = QueueVisit(
            pbx_id=ctx.pbx_id, call_key=self.call_key, queue_dn=queue_dn, entered_at=at,
            caller_number=self.caller_number, caller_name=self.caller_name,
            entry_queue_dn=self.entry_queue_dn, call_id=self.call_id,
            sla_s=sla,
        )
        self._set_visit(ctx, None, visit)

    def answer(self, ctx: _PollContext, at: datetime, agent_dn: str | None) -> None:
        visit = self.visit
        assert visit is not None
        details: dict[str, Any] = {}
        if agent_dn is None:
            agent_dn, candidates = infer_agent(
                visit.queue_dn, ctx.directory, ctx.on_call, ctx.busy(), ctx.newly_on_call
            )
            details["agent_inferred"] = agent_dn is not None
            if agent_dn is None:
                details["agent_candidates"] = list(candidates)
        elif agent_dn not in ctx.directory.members(visit.queue_dn):
            details["agent_not_member"] = True
        if agent_dn is not None:
            ctx.busy().add(agent_dn)
        at = self.emit(ctx, "answered", at, queue_dn=visit.queue_dn, agent_dn=agent_dn,
                       details=details)
        self._set_visit(ctx, visit, visit.answer(at, agent_dn))
        if not self.answered_any:
            self.answered_any = True
            if self.entry_queue_dn is not None and self.entry_at is not None:
                ctx.facts.append(make_entry_fact(
                    ctx.pbx_id, self.call_key, self.entry_queue_dn, "answered", at, ctx.rules,
                    seconds_between(self.entry_at, at), self.entry_sla_s,
                ))

    def move_on(self, ctx: _PollContext, at: datetime, details: dict[str, Any]) -> None:
        """The call leaves its open visit without ending (transfer, overflow, redirect)."""
        visit = self.visit
        if visit is None:
            return
        details = {"outcome": "transferred" if visit.is_waiting else "answered", **details}
        at = self.emit(ctx, "transferred", at, queue_dn=visit.queue_dn, agent_dn=visit.agent_dn,
                       details=details)
        new = visit.transfer(at) if visit.is_waiting else visit.end_talk(at)
        self._set_visit(ctx, visit, new)

    def end(self, ctx: _PollContext, at: datetime, details: dict[str, Any]) -> None:
        """The call vanished: abandon or end its visit, then ``call_ended``."""
        if self.moving_since is not None:
            self.end_move(ctx)
        visit = self.visit
        uncertainty = details.get("uncertainty_s")
        if visit is not None:
            if visit.is_waiting:
                at = self.emit(ctx, "abandoned", at, queue_dn=visit.queue_dn, details=details)
                self._set_visit(ctx, visit, visit.abandon(at, uncertainty))
            else:
                self._set_visit(ctx, visit, visit.end_talk(at, uncertainty))
        if not self.answered_any and self.entry_queue_dn is not None and self.entry_at:
            outcome = self.last_outcome
            closed = self.last_closed_at
            if closed is not None and (outcome == "abandoned" or outcome == "transferred"):
                ctx.facts.append(make_entry_fact(
                    ctx.pbx_id, self.call_key, self.entry_queue_dn, outcome, closed, ctx.rules,
                    seconds_between(self.entry_at, closed),
                ))
        last_agent = visit.agent_dn if visit is not None else None
        self.emit(ctx, "call_ended", at, queue_dn=visit.queue_dn if visit else None,
                  agent_dn=last_agent, details=details)
        ctx.count("calls_ended")

    def apply(
        self, ctx: _PollContext, p: Placement, at: datetime, entry_floor: datetime
    ) -> None:
        """Move the visit state to where the row puts the call."""
        visit = self.visit
        kind = p.kind
        if kind == "unknown":
            return
        if kind == "queue_waiting":
            assert p.queue_dn is not None
            if visit is not None and visit.queue_dn == p.queue_dn and visit.is_waiting:
                return
            if visit is not None:
                self.move_on(ctx, at, {"to_queue": p.queue_dn})
            self.open_visit(ctx, p.queue_dn, at)
        elif kind == "queue_talking":
            assert p.queue_dn is not None
            if visit is not None and visit.queue_dn == p.queue_dn:
                if visit.is_waiting:
                    self.answer(ctx, at, None)
                return
            if visit is not None:
                self.move_on(ctx, at, {"to_queue": p.queue_dn})
            entered = min(max(entry_floor, self.last_event_at), at)
            self.open_visit(ctx, p.queue_dn, entered, {"entry_unseen": True})
            self.answer(ctx, at, None)
        elif kind == "agent_talking":
            if visit is None:
                return
            if visit.is_waiting:
                self.answer(ctx, at, p.agent_dn)
            elif visit.agent_dn is None and p.agent_dn is not None:
                self._set_visit(ctx, visit, visit.with_agent(p.agent_dn))
            elif visit.agent_dn != p.agent_dn:
                self.move_on(ctx, at, {"to_agent": p.agent_dn})
        elif kind == "agent_ringing":
            if visit is None or visit.is_waiting or visit.agent_dn == p.agent_dn:
                return
            self.move_on(ctx, at, {"to_agent": p.agent_dn})
        elif visit is not None:  # moving, elsewhere
            if kind == "moving" and visit.is_talking:
                if self.moving_since is None:
                    self.moving_since = at  # where to: the next row tells (settle_move)
                return
            self.move_on(ctx, at, {"reason": kind})

    def settle_move(self, ctx: _PollContext, p: Placement) -> None:
        """The next row of a talking call that began to move: talking again at its queue or
        with its agent continues the visit (the same visit, not a new one); anywhere else ends
        the talk when the move began. A further moving or unknown status decides nothing yet."""
        visit = self.visit
        assert visit is not None
        if p.kind == "moving" or p.kind == "unknown":
            return
        if (p.kind == "queue_talking" or p.kind == "agent_talking") and (
            p.queue_dn == visit.queue_dn
            or (p.agent_dn is not None and p.agent_dn == visit.agent_dn)
        ):
            self.moving_since = None
            return
        self.end_move(ctx)

    def end_move(self, ctx: _PollContext) -> None:
        """The call moved on from its talking visit: the talk ended when the move began."""
        began, visit = self.moving_since, self.visit
        assert began is not None
        assert visit is not None
        self.moving_since = None
        self.emit(ctx, "transferred", began, queue_dn=visit.queue_dn, agent_dn=visit.agent_dn,
                  details={"outcome": "answered", "reason": "moving"})
        self._set_visit(ctx, visit, visit.end_talk(began))


# --- one new or changed row --------------------------------------------------------------------


def _apply_row(
    ctx: _PollContext, row: ActiveCallRow, key: str, track: CallTrack | None
) -> _CallDraft:
    """Process a new or changed row of one call; return its draft."""
    if track is None:
        return _start_call(ctx, row, key)
    return _change_call(ctx, row, _CallDraft(track))


def _start_call(ctx: _PollContext, row: ActiveCallRow, key: str) -> _CallDraft:
    """A call not seen before: ``call_started`` (at ``EstablishedAt`` when known), then where
    its row puts it."""
    rules, prev = ctx.rules, ctx.prev_server_time
    callee_dn = party_dn(row.callee)
    at, source = _row_time(row, ctx.server_time, None)
    started = row.established_at if row.established_at is not None else at
    started = min(started, at)
    caller = protect_caller(row.caller, rules.caller_policy)
    draft = _CallDraft(CallTrack(
        call_key=key, call_id=row.id, caller_raw=row.caller, callee_raw=row.callee,
        status=row.status, last_change=row.last_change_status, caller_dn=party_dn(row.caller),
        callee_dn=callee_dn, caller_number=caller.number, caller_name=caller.name, seq=0,
        last_event_at=started,
    ))
    ctx.count("calls_started")
    draft.emit(ctx, "call_started", started, details={
        "callee_dn": ctx.safe_dn(callee_dn), "caller_number": draft.caller_number,
        "caller_name": draft.caller_name,
        "established_at_known": row.established_at is not None, "time_source": source,
    })
    if rules.status_kind(row.status) == "unknown":
        ctx.count("unknown_status")
    floor = started if prev is None else max(started, prev)
    draft.apply(ctx, place(callee_dn, row.status, ctx.directory, rules), at, floor)
    return draft


def _change_call(ctx: _PollContext, row: ActiveCallRow, draft: _CallDraft) -> _CallDraft:
    """A known call whose row changed: ``status_changed``, then where its row puts it."""
    rules, prev = ctx.rules, ctx.prev_server_time
    callee_dn = party_dn(row.callee)
    kind = rules.status_kind(row.status)
    lower = draft.last_event_at if prev is None else max(draft.last_event_at, prev)
    at, source = _row_time(row, ctx.server_time, lower)
    placement = place(callee_dn, row.status, ctx.directory, rules)
    if draft.moving_since is not None:
        draft.settle_move(ctx, placement)
    old_status, old_callee, old_change = draft.status, draft.callee_dn, draft.last_change
    if row.caller != draft.caller_raw:
        draft.caller_raw = row.caller
        draft.caller_dn = party_dn(row.caller)
        draft.caller_number, draft.caller_name = protect_caller(row.caller, rules.caller_policy)
    draft.callee_raw = row.callee
    draft.callee_dn = callee_dn
    draft.last_change = row.last_change_status
    draft.status = row.status
    if old_status == row.status and old_callee == callee_dn and old_change == draft.last_change:
        return draft  # only the caller text changed
    if kind == "unknown" and row.status != old_status:
        ctx.count("unknown_status")
    details: dict[str, Any] = {
        "from_status": old_status, "from_callee_dn": ctx.safe_dn(old_callee),
        "callee_dn": ctx.safe_dn(callee_dn), "time_source": source,
    }
    if kind == "unknown":
        details["unknown_status"] = True
    draft.emit(ctx, "status_changed", at,
               queue_dn=callee_dn if ctx.directory.is_queue(callee_dn) else None,
               details=details)
    if (
        row.status != old_status
        and row.last_change_status is not None
        and old_change is not None
        and row.last_change_status < old_change
    ):  # a new status cannot have begun before the previous one
        draft.anomaly(ctx, "last_change_went_back", {
            "last_change": format_datetime(row.last_change_status),
            "previous_last_change": format_datetime(old_change),
        }, at)
    draft.apply(ctx, placement, at, lower)
    return draft


def _row_time(
    row: ActiveCallRow, server_time: datetime, lower: datetime | None
) -> tuple[datetime, str]:
    """When a row's change happened, and from what: ``LastChangeStatus``, else ``ServerNow``,
    else the poll's PBX time; never after the poll, never before ``lower``."""
    if row.last_change_status is not None:
        at, source = row.last_change_status, "last_change"
    elif row.server_now is not None:
        at, source = row.server_now, "server_now"
    else:
        at, source = server_time, "poll"
    if at > server_time:
        at, source = server_time, "capped"
    if lower is not None and at < lower:
        at, source = lower, "clamped"
    return at, source


@dataclass(frozen=True, slots=True)
class _ClockVerdict:
    """The PBX time a poll is applied at, and what the poll did to the clock estimate."""

    server_time: datetime
    skew_s: float | None
    odd_offsets: tuple[float, ...]
    recent: tuple[datetime, ...]
    rates: tuple[float, ...]
    anomaly: dict[str, Any] | None = None
    #: the last applied poll's PBX time on the new clock, when this poll follows a step
    rebased_prev: datetime | None = None


def _median(values: tuple[float, ...]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _judge_clock(
    state: PbxState, poll: Poll, raw_time: datetime, measured: float | None
) -> _ClockVerdict:
    """Decide the PBX time of an accepted poll from what is robust (see the module doc): its
    ``ServerNow`` when it agrees with the last applied poll's PBX time advanced by the receive
    time elapsed since, else that expectation; never below its rows' ``LastChangeStatus``
    (within the tolerance), never back in time (but after a step)."""
    odd, recent, rates = state.odd_offsets, state.recent_server_nows, state.clock_rates
    prev, prev_received = state.last_server_now, state.applied_received_at
    anomaly: dict[str, Any] | None = None
    skew = measured if measured is not None else state.skew_s
    if measured is None:  # no rows, no ServerNow: receive time + the last skew
        server_time = raw_time
    else:
        recent = (*recent[-(_RECENT_SERVER_NOWS - 1):], raw_time)
        elapsed = ((poll.received_at - prev_received).total_seconds()
                   if prev_received is not None else 0.0)
        rate = _median(rates) if rates else 1.0
        expected = (prev + timedelta(seconds=rate * elapsed)
                    if prev is not None and prev_received is not None else raw_time)
        off = (raw_time - expected).total_seconds()
        if abs(off) <= _CLOCK_TOLERANCE_S:
            odd = ()
            server_time = raw_time
            if prev is not None and elapsed >= 0.05 and not state.odd_offsets:
                rates = (*rates[-(_RATE_WINDOW - 1):],
                         (raw_time - prev).total_seconds() / elapsed)
        else:
            odd = (*odd[-(_STEP_POLLS - 1):], off)
            anomaly = {"kind": "clock_jump", "server_now": format_datetime(raw_time),
                       "offset_s": round(off, 3)}
            if len(odd) >= _STEP_POLLS and max(odd) - min(odd) <= 2 * _CLOCK_TOLERANCE_S:
                # the clock stepped: follow it from here, the last poll translated to it
                anomaly["kind"] = "clock_step"
                assert prev is not None
                return _ClockVerdict(raw_time, measured, (), recent, rates, anomaly,
                                     prev + timedelta(seconds=off))
            server_time = expected
            skew = state.skew_s
    floor = _last_change_floor(poll, server_time)
    if floor is not None and floor > server_time:
        server_time = floor
    if prev is not None and server_time <= prev:
        server_time = prev + _TINY
    return _ClockVerdict(server_time, skew, odd, recent, rates, anomaly)


def _last_change_floor(poll: Poll, server_time: datetime) -> datetime | None:
    """The latest ``LastChangeStatus`` of the poll's rows that lies within the tolerance of
    ``server_time``: the PBX's "now" cannot be before a change it reports."""
    limit = server_time + timedelta(seconds=_CLOCK_TOLERANCE_S)
    latest: datetime | None = None
    for row in poll.calls:
        lc = row.last_change_status
        if lc is not None and lc <= limit and (latest is None or lc > latest):
            latest = lc
    return latest


def _poll_server_time(poll: Poll, skew_s: float | None) -> tuple[datetime, float | None]:
    """The poll's PBX time and the skew it measures (``None`` when it carries no ServerNow)."""
    latest: datetime | None = None
    for row in poll.calls:
        sn = row.server_now
        if sn is not None and (latest is None or sn > latest):
            latest = sn
    if latest is not None:
        return latest, (latest - poll.received_at).total_seconds()
    return poll.received_at + timedelta(seconds=skew_s or 0.0), None
