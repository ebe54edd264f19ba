"""Mutable state of the simulated PBX (queues, agents, calls) and its ground-truth records.

Plain ``__slots__`` classes, not dataclasses with validation: the engine touches them on every
event and must stay cheap at 10,000 concurrent calls.
"""

from __future__ import annotations

from collections import deque

KIND_QUEUE = "queue"
KIND_INTERNAL = "internal"
KIND_OUTBOUND = "outbound"


class Queue:
    """A call queue: configuration plus its waiting line."""

    __slots__ = (
        "agents",
        "deleted",
        "dn",
        "id",
        "index",
        "label",
        "managers",
        "master_timeout_s",
        "max_callers",
        "n_waiting",
        "name",
        "overflow_to",
        "rr",
        "settings",
        "skills",
        "sla_s",
        "stats_reset_ms",
        "strategy",
        "waiting",
        "weight",
        "wrapup_s",
    )

    def __init__(self, index: int, dn: str, name: str, strategy: str, sla_s: int,
                 wrapup_s: int, max_callers: int, weight: float) -> None:
        self.index = index
        #: DN ids are shared by users and queues in 3CX; queues use 100001, 100002, ...
        self.id = 100_001 + index
        self.dn = dn
        self.name = name
        self.label = f"{dn} {name}"
        self.strategy = strategy
        self.sla_s = sla_s
        self.wrapup_s = wrapup_s
        self.max_callers = max_callers
        self.master_timeout_s = 0
        self.overflow_to = -1
        self.weight = weight
        self.agents: list[int] = []
        #: FIFO of (call, token); entries whose token no longer matches are skipped lazily.
        self.waiting: deque[tuple[Call, int]] = deque()
        self.n_waiting = 0
        self.rr = 0
        #: Deleted through the XAPI: kept in ``Engine.queues`` so indices stay valid, but gone
        #: from every view and from routing.
        self.deleted = False
        #: Queue fields written through the XAPI (spec names -> JSON values), shown as written.
        self.settings: dict[str, object] = {}
        #: Agent index -> skill group, for members given one.
        self.skills: dict[int, str | None] = {}
        #: Extension numbers of the queue's managers once written (None: the first member).
        self.managers: list[str] | None = None
        #: Simulated time of the last ResetQueueStatistics (-1: never).
        self.stats_reset_ms = -1


class Agent:
    """A user extension that is a member of one or more queues."""

    __slots__ = (
        "answered", "busy", "call", "dn", "first_name", "index", "label", "last_free_ms",
        "last_name", "logged_in", "login_since_ms", "name", "profile", "queues", "registered",
        "talk_ms", "user_id",
    )

    def __init__(self, index: int, user_id: int, dn: str, first: str, last: str) -> None:
        self.index = index
        self.user_id = user_id
        self.dn = dn
        self.first_name = first
        self.last_name = last
        self.name = f"{first} {last}"
        self.label = f"{dn} {self.name}"
        self.queues: list[int] = []
        self.logged_in = True
        self.registered = True
        self.profile = "Available"
        #: Reserved, talking or in wrap-up.
        self.busy = False
        self.call: Call | None = None
        self.last_free_ms = 0
        self.login_since_ms = 0
        self.answered = 0
        self.talk_ms = 0

    def available(self) -> bool:
        """Free to take a queue call: logged in, registered, Available and not busy."""
        return (self.logged_in and self.registered and not self.busy
                and self.profile == "Available")


class NoiseUser:
    """A back-office extension that makes internal and outbound calls (not a queue agent)."""

    __slots__ = ("dn", "first_name", "label", "last_name", "name", "registered", "user_id")

    def __init__(self, user_id: int, dn: str, first: str, last: str) -> None:
        self.user_id = user_id
        self.dn = dn
        self.first_name = first
        self.last_name = last
        self.name = f"{first} {last}"
        self.label = f"{dn} {self.name}"
        self.registered = True


class Visit:
    """One queue visit of one call (the truth behind a ``queue_calls`` row)."""

    __slots__ = (
        "agent_dn", "answered_ms", "call", "ended_ms", "entered_ms", "entry_queue_dn",
        "outcome", "polling_attempts", "queue", "ring_agent", "ring_ms", "sla_s", "talk_ms",
    )

    def __init__(self, call: CallRecord, queue: Queue, entered_ms: int,
                 entry_queue_dn: str) -> None:
        self.call = call
        self.queue = queue
        self.entered_ms = entered_ms
        self.entry_queue_dn = entry_queue_dn
        self.sla_s = queue.sla_s
        self.answered_ms = -1
        self.ended_ms = -1
        self.talk_ms = -1
        self.outcome = "waiting"
        self.agent_dn: str | None = None
        #: Agent whose phone rang when the caller hung up (for AbandonedQueueCalls).
        self.ring_agent: Agent | None = None
        self.ring_ms = 0
        self.polling_attempts = 0

    @property
    def wait_ms(self) -> int:
        """Entry to answer, or entry to the end of an unanswered visit (-1 while waiting)."""
        if self.answered_ms >= 0:
            return self.answered_ms - self.entered_ms
        if self.ended_ms >= 0:
            return self.ended_ms - self.entered_ms
        return -1


class CallRecord:
    """The true timeline of one call."""

    __slots__ = ("call_id", "caller", "caller_number", "end_reason", "ended_ms",
                 "established_ms", "events", "kind", "visits")

    def __init__(self, call_id: int, established_ms: int, caller: str, caller_number: str,
                 kind: str) -> None:
        self.call_id = call_id
        self.established_ms = established_ms
        self.caller = caller
        self.caller_number = caller_number
        self.kind = kind
        #: (ms, event_type, queue_dn, agent_dn)
        self.events: list[tuple[int, str, str | None, str | None]] = []
        self.visits: list[Visit] = []
        self.ended_ms = -1
        self.end_reason: str | None = None


class Segment:
    """A CDR segment (a CallHistoryView row) of a finished leg of a call."""

    __slots__ = ("action_id", "answered", "dst", "end_ms", "record", "segment_id", "src",
                 "start_ms", "type", "visit")

    def __init__(self, segment_id: int, record: CallRecord, start_ms: int, end_ms: int,
                 src: tuple[int, str, int, str, str], dst: tuple[int, str, int, str, str],
                 answered: bool, seg_type: int, action_id: int, visit: Visit | None) -> None:
        self.segment_id = segment_id
        self.record = record
        self.start_ms = start_ms
        self.end_ms = end_ms
        #: (party id, dn, dn type, caller number, display name)
        self.src = src
        self.dst = dst
        self.answered = answered
        self.type = seg_type
        self.action_id = action_id
        self.visit = visit


class Call:
    """A live call as ActiveCalls shows it, plus the engine's bookkeeping."""

    __slots__ = (
        "agent", "callee", "caller", "deadline_ms", "frag", "id", "kind", "queue", "record",
        "status", "status_ms", "token", "visit",
    )

    def __init__(self, call_id: int, record: CallRecord, kind: str) -> None:
        self.id = call_id
        self.record = record
        self.kind = kind
        self.caller = record.caller
        self.callee = ""
        self.status = ""
        self.status_ms = record.established_ms
        self.queue: Queue | None = None
        self.visit: Visit | None = None
        self.agent: Agent | None = None
        self.deadline_ms = 0
        #: Bumped on every transition; scheduled events carry the token they were made with.
        self.token = 0
        #: Cached JSON of this call up to the ServerNow value (None = stale).
        self.frag: str | None = None
