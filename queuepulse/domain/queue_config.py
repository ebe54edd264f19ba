"""Queue configuration as data: the settable fields, a queue's configuration, and the plan that
turns the PBX's queues into the ones a file describes (pure: no I/O).

A queue is identified by its extension number (3CX refuses to change it). A file states only
the fields it manages: a field left out of a queue is never changed; ``agents: []`` empties a
queue, no ``agents`` key leaves its members alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from queuepulse.domain.parties import party_dn
from queuepulse.domain.rules import Rules

FieldKind = Literal["str", "int", "bool", "enum", "enum_list"]

POLLING_STRATEGIES: tuple[str, ...] = (
    "Hunt", "RingAll", "HuntRandomStart", "NextAgent", "LongestWaiting", "LeastTalkTime",
    "FewestAnswered", "HuntBy3s", "First3Available", "SkillBasedRouting_RingAll",
    "SkillBasedRouting_HuntRandomStart", "SkillBasedRouting_RoundRobin",
    "SkillBasedRouting_FewestAnswered",
)
RECORDING_MODES: tuple[str, ...] = ("Disabled", "AllowToOptOut", "AskToOptIn")
NOTIFY_CODES: tuple[str, ...] = (
    "Callback", "CallbackFail", "SLATimeBreached", "CallLost", "AgentAutoLogout"
)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One settable queue field: its file key, its ``Pbx.Queue`` property, its type."""

    key: str
    api: str
    kind: FieldKind
    help: str
    choices: tuple[str, ...] = ()


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", "Name", "str", "display name"),
    FieldSpec("polling_strategy", "PollingStrategy", "enum", "ring strategy", POLLING_STRATEGIES),
    FieldSpec("sla_time", "SLATime", "int", "service level target, seconds"),
    FieldSpec("ring_timeout", "RingTimeout", "int", "seconds an agent's phone rings"),
    FieldSpec("master_timeout", "MasterTimeout", "int",
              "seconds a caller waits before the no-answer destination"),
    FieldSpec("wrap_up_time", "WrapUpTime", "int", "seconds after a call before the next"),
    FieldSpec("max_callers_in_queue", "MaxCallersInQueue", "int", "waiting callers at most"),
    FieldSpec("priority_queue", "PriorityQueue", "bool", "served before other queues"),
    FieldSpec("agent_availability_mode", "AgentAvailabilityMode", "bool",
              "agents log in/out of this queue only"),
    FieldSpec("auto_logout_missed_calls", "AutoLogoutMissedCalls", "int",
              "missed calls before an agent is logged out"),
    FieldSpec("announce_queue_position", "AnnounceQueuePosition", "bool",
              "tell callers their position"),
    FieldSpec("announcement_interval", "AnnouncementInterval", "int",
              "seconds between position announcements"),
    FieldSpec("announce_estimated_wait_time", "AnnounceEstimatedWaitTime", "bool",
              "tell callers their estimated wait"),
    FieldSpec("announce_estimated_wait_time_interval", "AnnounceEstimatedWaitTimeInterval",
              "int", "seconds between wait announcements"),
    FieldSpec("callback_enable_time", "CallbackEnableTime", "int",
              "seconds of waiting before a callback is offered"),
    FieldSpec("callback_offer_only", "CallbackOfferOnly", "bool", "offer callbacks only"),
    FieldSpec("callback_prefix", "CallbackPrefix", "str", "dial prefix of callbacks"),
    FieldSpec("recording", "Recording", "enum", "call recording", RECORDING_MODES),
    FieldSpec("notify_codes", "NotifyCodes", "enum_list", "events managers are told about",
              NOTIFY_CODES),
)
FIELD_BY_KEY: dict[str, FieldSpec] = {f.key: f for f in FIELDS}
MEMBER_KEYS: tuple[str, ...] = ("agents", "managers")


@dataclass(frozen=True, slots=True)
class Member:
    """A queue agent: extension number and (optional) skill group."""

    number: str
    skill_group: str | None = None


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """A queue's configuration. ``values`` holds the managed fields (file key -> value);
    ``agents``/``managers`` are None when not managed. ``queue_id`` is the PBX's Id (None in a
    file)."""

    number: str
    values: Mapping[str, Any] = field(default_factory=dict)
    agents: tuple[Member, ...] | None = None
    managers: tuple[str, ...] | None = None
    queue_id: int | None = None

    def get(self, key: str) -> Any:
        """A field's value by file key (``agents`` and ``managers`` included)."""
        if key == "agents":
            return self.agents
        if key == "managers":
            return self.managers
        return self.values.get(key)

    def managed(self) -> tuple[str, ...]:
        """The keys this configuration states, in file order."""
        keys = [f.key for f in FIELDS if f.key in self.values]
        keys += [k for k in MEMBER_KEYS if self.get(k) is not None]
        return tuple(keys)


def _norm(key: str, value: Any) -> Any:
    if key == "notify_codes" and value is not None:
        return tuple(sorted(value))
    if key == "agents" and value is not None:
        return tuple(sorted(value, key=lambda m: m.number))
    if key == "managers" and value is not None:
        return tuple(sorted(value))
    return value


def config_from_entity(entity: Mapping[str, Any]) -> QueueConfig:
    """A queue's configuration from its ``Pbx.Queue`` JSON (with ``Agents`` and ``Managers``
    expanded): every settable field, members by extension number."""
    values: dict[str, Any] = {}
    for f in FIELDS:
        value = entity.get(f.api)
        if f.kind == "enum_list":
            value = list(value or [])
        values[f.key] = value
    agents = tuple(
        Member(str(a.get("Number")), a.get("SkillGroup") or None)
        for a in entity.get("Agents") or []
    )
    managers = tuple(str(m.get("Number")) for m in entity.get("Managers") or [])
    qid = entity.get("Id")
    return QueueConfig(
        number=str(entity.get("Number") or ""),
        values=values,
        agents=_norm("agents", agents),
        managers=_norm("managers", managers),
        queue_id=qid if isinstance(qid, int) else None,
    )


Action = Literal["create", "update", "delete"]


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field's change: file key, value on the PBX (None on create), value wanted."""

    key: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class QueueChange:
    """What the plan does to one queue. ``before`` is the queue as the plan saw it (None for a
    create): apply stops when the PBX no longer shows exactly that."""

    action: Action
    number: str
    fields: tuple[FieldChange, ...] = ()
    queue_id: int | None = None
    before: QueueConfig | None = None

    def api_body(self) -> dict[str, Any]:
        """The ``Pbx.Queue`` write body of this change (spec names)."""
        body: dict[str, Any] = {}
        if self.action == "create":
            body["Number"] = self.number
        for change in self.fields:
            if change.key == "agents":
                body["Agents"] = [
                    {"Number": m.number, **({"SkillGroup": m.skill_group} if m.skill_group
                                            else {})}
                    for m in change.new
                ]
            elif change.key == "managers":
                body["Managers"] = [{"Number": n} for n in change.new]
            else:
                spec = FIELD_BY_KEY[change.key]
                value = change.new
                body[spec.api] = list(value) if spec.kind == "enum_list" else value
        return body


@dataclass(frozen=True, slots=True)
class Plan:
    """Every change, creates first, then updates, then deletes; empty = nothing to do."""

    changes: tuple[QueueChange, ...]

    @property
    def empty(self) -> bool:
        """No change at all."""
        return not self.changes

    def counts(self) -> dict[str, int]:
        """How many queues each action touches."""
        out = {"create": 0, "update": 0, "delete": 0}
        for c in self.changes:
            out[c.action] += 1
        return out


def plan(
    wanted: Sequence[QueueConfig], current: Sequence[QueueConfig], *, prune: bool = False,
    only: Iterable[str] | None = None,
) -> Plan:
    """The changes that make ``current`` (the PBX) match ``wanted`` (the file), field by field.

    Queues on the PBX but not in the file are deleted only with ``prune``. ``only`` limits the
    plan to those queue numbers.
    """
    limit = set(only) if only is not None else None
    have = {c.number: c for c in current}
    creates: list[QueueChange] = []
    updates: list[QueueChange] = []
    for w in wanted:
        if limit is not None and w.number not in limit:
            continue
        pbx = have.get(w.number)
        if pbx is None:
            creates.append(QueueChange("create", w.number, tuple(
                FieldChange(k, None, _norm(k, w.get(k))) for k in w.managed())))
            continue
        diffs = tuple(
            FieldChange(k, _norm(k, pbx.get(k)), _norm(k, w.get(k)))
            for k in w.managed()
            if _norm(k, pbx.get(k)) != _norm(k, w.get(k))
        )
        if diffs:
            updates.append(QueueChange("update", w.number, diffs, pbx.queue_id, pbx))
    deletes: list[QueueChange] = []
    if prune:
        named = {w.number for w in wanted}
        for c in current:
            if c.number not in named and (limit is None or c.number in limit):
                deletes.append(QueueChange("delete", c.number, (), c.queue_id, c))
    return Plan((*creates, *updates, *deletes))


def changed_fields(before: QueueConfig, now: QueueConfig) -> list[FieldChange]:
    """Fields whose PBX value moved between the plan and now (every settable field)."""
    keys = [f.key for f in FIELDS] + list(MEMBER_KEYS)
    return [
        FieldChange(k, _norm(k, before.get(k)), _norm(k, now.get(k)))
        for k in keys
        if _norm(k, before.get(k)) != _norm(k, now.get(k))
    ]


def waiting_by_queue(rows: Iterable[Mapping[str, Any]], rules: Rules) -> dict[str, int]:
    """Calls waiting per queue number in an ActiveCalls body's rows: the callee is the queue
    and the status is a waiting one."""
    out: dict[str, int] = {}
    for row in rows:
        dn = party_dn(row.get("Callee"))
        status = row.get("Status")
        if dn and rules.status_kind(status if isinstance(status, str) else None) == "waiting":
            out[dn] = out.get(dn, 0) + 1
    return out


def show_value(value: Any) -> str:
    """A value for a plan line: members by number (``1001/B`` with a skill group)."""
    if value is None:
        return "(unset)"
    if isinstance(value, tuple | list):
        parts = [
            f"{v.number}/{v.skill_group}" if isinstance(v, Member) and v.skill_group
            else v.number if isinstance(v, Member) else str(v)
            for v in value
        ]
        return "[" + ", ".join(parts) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    return str(value)
