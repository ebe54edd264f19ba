"""Pure diffing of a PBX's configuration (Queues, Users, memberships) against the last known.

The sync keeps three slowly changing dimensions (``queues``, ``agents``, ``queue_agents``) as
SCD type 2: a row is open while ``valid_to`` is NULL; when something about it changes the open row
is closed (``valid_to`` = the sync time) and a new row opens (``valid_from`` = the sync time).
Unchanged entities produce no rows. Agent state (``QueueStatus``, profile, registered, on a call)
goes to ``agent_states`` only when it differs from the last state written.

No I/O here: the decoded rows of the Queues and Users bodies come in (:func:`parse_config`, the
one reader of those bodies, for the live flow, replay and ``run sync`` alike), table rows come
out. The lifecycle reads a configuration through
:meth:`queuepulse.domain.parties.Directory.from_config`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from queuepulse.domain.inputs import INT32_MAX, MAX_ID_LEN, clean_text, int_in_range

T = TypeVar("T")
Row = dict[str, Any]


@dataclass(frozen=True)
class QueueConfig:
    """The monitored configuration of one queue (columns of ``queues`` besides validity)."""

    queue_dn: str
    queue_id: int | None = None
    name: str | None = None
    sla_time_s: int | None = None
    polling_strategy: str | None = None
    max_callers: int | None = None
    ring_timeout_s: int | None = None
    master_timeout_s: int | None = None
    wrap_up_time_s: int | None = None
    priority_queue: bool | None = None


@dataclass(frozen=True)
class AgentConfig:
    """One user extension (columns of ``agents`` besides validity)."""

    agent_dn: str
    user_id: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    display_name: str | None = None
    enabled: bool | None = None


@dataclass(frozen=True)
class Membership:
    """An agent's membership of a queue (``Queue.Agents``)."""

    queue_dn: str
    agent_dn: str
    skill_group: str | None = None


@dataclass(frozen=True)
class AgentState:
    """An agent's live state; ``on_call`` is None when the source does not know it."""

    agent_dn: str
    queue_status: str | None = None
    profile: str | None = None
    registered: bool | None = None
    on_call: bool | None = None

    @property
    def logged_in(self) -> bool:
        """``QueueStatus`` is ``LoggedIn``."""
        return self.queue_status == "LoggedIn"


@dataclass(frozen=True)
class PbxConfig:
    """One fetch of a PBX's configuration."""

    queues: Mapping[str, QueueConfig] = field(default_factory=dict)
    agents: Mapping[str, AgentConfig] = field(default_factory=dict)
    memberships: Mapping[tuple[str, str], Membership] = field(default_factory=dict)
    states: Mapping[str, AgentState] = field(default_factory=dict)


@dataclass(frozen=True)
class Versioned(Generic[T]):
    """A dimension value and the ``valid_from`` of its open row."""

    value: T
    valid_from: datetime


@dataclass(frozen=True)
class KnownConfig:
    """What the database holds as current: open dimension rows and the last agent states."""

    queues: Mapping[str, Versioned[QueueConfig]] = field(default_factory=dict)
    agents: Mapping[str, Versioned[AgentConfig]] = field(default_factory=dict)
    memberships: Mapping[tuple[str, str], Versioned[Membership]] = field(default_factory=dict)
    states: Mapping[str, AgentState] = field(default_factory=dict)
    #: calls the database holds open for the PBX (a visit without ``ended_at``), for a start
    #: without recovery state (:func:`queuepulse.domain.lifecycle.restore`)
    open_calls: tuple[Any, ...] = ()
    #: PBX time of the last poll the database holds for the PBX (when the open calls were last
    #: seen)
    last_seen: datetime | None = None

    def current(self) -> PbxConfig:
        """The known configuration without validity times."""
        return PbxConfig(
            queues={k: v.value for k, v in self.queues.items()},
            agents={k: v.value for k, v in self.agents.items()},
            memberships={k: v.value for k, v in self.memberships.items()},
            states=dict(self.states),
        )


@dataclass(frozen=True)
class SyncChanges:
    """Rows to upsert, per table, and a count of what changed."""

    queues: list[Row] = field(default_factory=list)
    agents: list[Row] = field(default_factory=list)
    queue_agents: list[Row] = field(default_factory=list)
    agent_states: list[Row] = field(default_factory=list)
    opened: int = 0
    closed: int = 0

    def table_rows(self) -> dict[str, list[Row]]:
        """``{table: rows}`` for the non-empty tables (what a writer takes)."""
        tables = {
            "queues": self.queues,
            "agents": self.agents,
            "queue_agents": self.queue_agents,
            "agent_states": self.agent_states,
        }
        return {name: rows for name, rows in tables.items() if rows}

    @property
    def empty(self) -> bool:
        """Nothing changed."""
        return not (self.queues or self.agents or self.queue_agents or self.agent_states)


# --- reading the Queues / Users bodies -----------------------------------------------------


def collection_rows(body: object) -> tuple[Mapping[str, Any], ...]:
    """The object rows of a decoded collection body (``{"value": [...]}`` or a bare list).

    Anything else gives no rows; rows that are not JSON objects are left out.
    """
    if isinstance(body, Mapping):
        body = body.get("value")
    if not isinstance(body, list | tuple):
        return ()
    return tuple(row for row in body if isinstance(row, Mapping))


_INT64_MAX = 2**63 - 1


def _int(value: Any, high: int = INT32_MAX) -> int | None:
    """A non-negative integer up to ``high`` (the column's range: ``integer`` columns hold
    int32, ids ``bigint``); anything else (a float, a huge number, text) is None."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    if isinstance(value, str) and not (0 < len(value) <= 20 and value.strip().isdigit()):
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return int_in_range(number, 0, high)


def _str(value: Any, max_len: int = 256) -> str | None:
    """Text as it may be stored: strings and numbers only, without control characters, cut to
    ``max_len`` characters."""
    if isinstance(value, str):
        return clean_text(value, max_len)[0]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return clean_text(str(value) if not isinstance(value, int) or value.bit_length() < 64
                          else "", max_len)[0]
    return None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _dn(row: object) -> str | None:
    number = row.get("Number") if isinstance(row, Mapping) else None
    return _str(number, MAX_ID_LEN) or None


def _queue(row: Mapping[str, Any], dn: str) -> QueueConfig:
    return QueueConfig(
        queue_dn=dn,
        queue_id=_int(row.get("Id"), _INT64_MAX),
        name=_str(row.get("Name")),
        sla_time_s=_int(row.get("SLATime")),
        polling_strategy=_str(row.get("PollingStrategy")),
        max_callers=_int(row.get("MaxCallersInQueue")),
        ring_timeout_s=_int(row.get("RingTimeout")),
        master_timeout_s=_int(row.get("MasterTimeout")),
        wrap_up_time_s=_int(row.get("WrapUpTime")),
        priority_queue=_bool(row.get("PriorityQueue")),
    )


def _memberships(row: Mapping[str, Any], dn: str) -> list[Membership]:
    agents = row.get("Agents")
    out = []
    for agent in agents if isinstance(agents, list) else ():
        agent_dn = _dn(agent)
        if agent_dn:
            out.append(Membership(dn, agent_dn, _str(agent.get("SkillGroup"))))
    return out


def _agent(row: Mapping[str, Any], dn: str) -> AgentConfig:
    return AgentConfig(
        agent_dn=dn,
        user_id=_int(row.get("Id"), _INT64_MAX),
        first_name=_str(row.get("FirstName")),
        last_name=_str(row.get("LastName")),
        display_name=_str(row.get("DisplayName")),
        enabled=_bool(row.get("Enabled")),
    )


def _state(row: Mapping[str, Any], dn: str, on_call: bool | None) -> AgentState:
    return AgentState(
        agent_dn=dn,
        queue_status=_str(row.get("QueueStatus")),
        profile=_str(row.get("CurrentProfileName")),
        registered=_bool(row.get("IsRegistered")),
        on_call=on_call,
    )


def parse_config(
    queue_rows: Iterable[object],
    user_rows: Iterable[object],
    on_call_dns: frozenset[str] | None = None,
) -> PbxConfig:
    """The :class:`PbxConfig` of the decoded rows of ``GET /Queues?$expand=Agents`` and
    ``GET /Users`` (XAPI field names, e.g. ``SLATime``).

    Tolerant: a row that is not an object or has no ``Number`` is left out, a missing or
    malformed field is None. Values are checked as they enter: numbers must fit their column
    (non-negative; ids int64, times and counts int32), text loses control characters (NUL
    included) and is cut to 256 characters (a ``Number`` to 64). ``on_call_dns`` (DNs seen on
    an active call) sets ``AgentState.on_call``; when None, ``on_call`` stays unknown (None).
    """
    queues: dict[str, QueueConfig] = {}
    memberships: dict[tuple[str, str], Membership] = {}
    for row in queue_rows:
        dn = _dn(row)
        if dn is None or not isinstance(row, Mapping):
            continue
        queues[dn] = _queue(row, dn)
        for m in _memberships(row, dn):
            memberships[(m.queue_dn, m.agent_dn)] = m
    agents: dict[str, AgentConfig] = {}
    states: dict[str, AgentState] = {}
    for row in user_rows:
        dn = _dn(row)
        if dn is None or not isinstance(row, Mapping):
            continue
        agents[dn] = _agent(row, dn)
        states[dn] = _state(row, dn, None if on_call_dns is None else dn in on_call_dns)
    return PbxConfig(queues=queues, agents=agents, memberships=memberships, states=states)


def parse_presence(user_rows: Iterable[object]) -> dict[str, AgentState]:
    """The agent states of a presence poll's rows (``GET /Users`` with ``$select`` of Number,
    QueueStatus, CurrentProfileName, IsRegistered); ``on_call`` unknown (None)."""
    states: dict[str, AgentState] = {}
    for row in user_rows:
        dn = _dn(row)
        if dn is None or not isinstance(row, Mapping):
            continue
        states[dn] = _state(row, dn, None)
    return states


# --- diffing ---------------------------------------------------------------------------------

K = TypeVar("K")


def _diff_dimension(
    pbx_id: str,
    known: Mapping[K, Versioned[T]],
    current: Mapping[K, T],
    at: datetime,
) -> tuple[list[Row], dict[K, Versioned[T]], int, int]:
    rows: list[Row] = []
    new_known: dict[K, Versioned[T]] = {}
    opened = closed = 0
    for key, old in known.items():
        value = current.get(key)
        if value == old.value:
            new_known[key] = old
            continue
        if value is not None and at <= old.valid_from:
            # Changed again at (or before) the time its row opened: rewrite the open row.
            rows.append(_row(pbx_id, value, old.valid_from, None))
            new_known[key] = Versioned(value, old.valid_from)
            continue
        rows.append(_row(pbx_id, old.value, old.valid_from, at))
        closed += 1
        if value is not None:
            rows.append(_row(pbx_id, value, at, None))
            new_known[key] = Versioned(value, at)
            opened += 1
    for key, value in current.items():
        if key not in known:
            rows.append(_row(pbx_id, value, at, None))
            new_known[key] = Versioned(value, at)
            opened += 1
    return rows, new_known, opened, closed


def _row(pbx_id: str, value: Any, valid_from: datetime, valid_to: datetime | None) -> Row:
    row: Row = {"pbx_id": pbx_id}
    row.update(dataclasses.asdict(value))
    row["valid_from"] = valid_from
    row["valid_to"] = valid_to
    return row


StateOf = Callable[[AgentState], str]
"""The rule that names an agent's state (:meth:`queuepulse.domain.rules.Rules.agent_state`)."""


def agent_state_rows(
    pbx_id: str,
    known: Mapping[str, AgentState],
    current: Mapping[str, AgentState],
    ts: datetime,
    state_of: StateOf | None = None,
) -> list[Row]:
    """``agent_states`` rows for the agents whose state differs from the known one; ``state_of``
    fills the ``state`` column (None without it)."""
    rows = []
    for dn, state in current.items():
        if known.get(dn) != state:
            rows.append(
                {
                    "pbx_id": pbx_id,
                    "agent_dn": dn,
                    "ts": ts,
                    "queue_status": state.queue_status,
                    "profile": state.profile,
                    "registered": state.registered,
                    "on_call": state.on_call,
                    "state": state_of(state) if state_of is not None else None,
                }
            )
    return rows


def diff_config(
    pbx_id: str, known: KnownConfig, current: PbxConfig, at: datetime,
    state_of: StateOf | None = None,
) -> tuple[SyncChanges, KnownConfig]:
    """Rows that bring the database from ``known`` to ``current`` at time ``at``, and the new
    known configuration. Unchanged entities give no rows; a removed one is closed only.
    Agent states of agents no longer configured are forgotten, not written.
    """
    q_rows, q_known, q_open, q_closed = _diff_dimension(pbx_id, known.queues, current.queues, at)
    a_rows, a_known, a_open, a_closed = _diff_dimension(pbx_id, known.agents, current.agents, at)
    m_rows, m_known, m_open, m_closed = _diff_dimension(
        pbx_id, known.memberships, current.memberships, at
    )
    s_rows = agent_state_rows(pbx_id, known.states, current.states, at, state_of)
    changes = SyncChanges(
        queues=q_rows,
        agents=a_rows,
        queue_agents=m_rows,
        agent_states=s_rows,
        opened=q_open + a_open + m_open,
        closed=q_closed + a_closed + m_closed,
    )
    new_known = KnownConfig(
        queues=q_known, agents=a_known, memberships=m_known, states=dict(current.states)
    )
    return changes, new_known
