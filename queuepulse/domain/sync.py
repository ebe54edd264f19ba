"""Pure diffing of a PBX's configuration (Queues, Users, memberships) against the last known.

The sync keeps three slowly changing dimensions (``queues``, ``agents``, ``queue_agents``) as
SCD type 2: a row is open while ``valid_to`` is NULL; when something about it changes the open row
is closed (``valid_to`` = the sync time) and a new row opens (``valid_from`` = the sync time).
Unchanged entities produce no rows. Agent state (``QueueStatus``, profile, registered, on a call)
goes to ``agent_states`` only when it differs from the last state written.

No I/O here: the XAPI objects come in (pydantic models, or raw JSON dicts from recordings),
rows come out. :class:`PbxDirectory` is the read view the live flow uses to tell queues from
agents and to find a queue's ``SLATime``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from queuepulse.domain.parties import AgentInfo, Directory, QueueInfo

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


# --- reading XAPI objects ------------------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def _snake(name: str) -> str:
    return _CAMEL.sub("_", name).lower()


def field_of(obj: Any, name: str) -> Any:
    """Read the XAPI field ``name`` (e.g. ``SLATime``) from a dict or a model.

    Works on raw JSON dicts (exact name), models with the XAPI names as attributes, and models
    with snake_case attributes (``sla_time``). Absent fields read as None.
    """
    if isinstance(obj, Mapping):
        return obj.get(name)
    if hasattr(obj, name):
        return getattr(obj, name)
    return getattr(obj, _snake(name), None)


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    if value is None:
        return None
    enum_value = getattr(value, "value", value)
    return str(enum_value)


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def queue_from_xapi(queue: Any) -> QueueConfig | None:
    """A :class:`QueueConfig` from an XAPI ``Queue``; None when it has no ``Number``."""
    dn = _str(field_of(queue, "Number"))
    if not dn:
        return None
    return QueueConfig(
        queue_dn=dn,
        queue_id=_int(field_of(queue, "Id")),
        name=_str(field_of(queue, "Name")),
        sla_time_s=_int(field_of(queue, "SLATime")),
        polling_strategy=_str(field_of(queue, "PollingStrategy")),
        max_callers=_int(field_of(queue, "MaxCallersInQueue")),
        ring_timeout_s=_int(field_of(queue, "RingTimeout")),
        master_timeout_s=_int(field_of(queue, "MasterTimeout")),
        wrap_up_time_s=_int(field_of(queue, "WrapUpTime")),
        priority_queue=_bool(field_of(queue, "PriorityQueue")),
    )


def memberships_from_xapi(queue: Any) -> list[Membership]:
    """The memberships in an XAPI ``Queue`` fetched with ``$expand=Agents``."""
    dn = _str(field_of(queue, "Number"))
    if not dn:
        return []
    out = []
    for agent in field_of(queue, "Agents") or ():
        agent_dn = _str(field_of(agent, "Number"))
        if agent_dn:
            out.append(Membership(dn, agent_dn, _str(field_of(agent, "SkillGroup"))))
    return out


def agent_from_xapi(user: Any) -> AgentConfig | None:
    """An :class:`AgentConfig` from an XAPI ``User``; None when it has no ``Number``."""
    dn = _str(field_of(user, "Number"))
    if not dn:
        return None
    return AgentConfig(
        agent_dn=dn,
        user_id=_int(field_of(user, "Id")),
        first_name=_str(field_of(user, "FirstName")),
        last_name=_str(field_of(user, "LastName")),
        display_name=_str(field_of(user, "DisplayName")),
        enabled=_bool(field_of(user, "Enabled")),
    )


def state_from_xapi(user: Any, on_call: bool | None = None) -> AgentState | None:
    """An :class:`AgentState` from an XAPI ``User``; None when it has no ``Number``."""
    dn = _str(field_of(user, "Number"))
    if not dn:
        return None
    return AgentState(
        agent_dn=dn,
        queue_status=_str(field_of(user, "QueueStatus")),
        profile=_str(field_of(user, "CurrentProfileName")),
        registered=_bool(field_of(user, "IsRegistered")),
        on_call=on_call,
    )


def config_from_xapi(
    queues: Iterable[Any], users: Iterable[Any], on_call_dns: frozenset[str] | None = None
) -> PbxConfig:
    """Build a :class:`PbxConfig` from XAPI Queues (with Agents) and Users.

    ``on_call_dns`` — DNs seen on an active call — sets ``AgentState.on_call``; when None the
    state's ``on_call`` stays unknown (None).
    """
    qmap: dict[str, QueueConfig] = {}
    mmap: dict[tuple[str, str], Membership] = {}
    for q in queues:
        cfg = queue_from_xapi(q)
        if cfg is None:
            continue
        qmap[cfg.queue_dn] = cfg
        for m in memberships_from_xapi(q):
            mmap[(m.queue_dn, m.agent_dn)] = m
    amap: dict[str, AgentConfig] = {}
    smap: dict[str, AgentState] = {}
    for u in users:
        agent = agent_from_xapi(u)
        if agent is None:
            continue
        amap[agent.agent_dn] = agent
        on_call = None if on_call_dns is None else agent.agent_dn in on_call_dns
        state = state_from_xapi(u, on_call)
        if state is not None:
            smap[agent.agent_dn] = state
    return PbxConfig(queues=qmap, agents=amap, memberships=mmap, states=smap)


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


def agent_state_rows(
    pbx_id: str,
    known: Mapping[str, AgentState],
    current: Mapping[str, AgentState],
    ts: datetime,
) -> list[Row]:
    """``agent_states`` rows for the agents whose state differs from the known one."""
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
                }
            )
    return rows


def diff_config(
    pbx_id: str, known: KnownConfig, current: PbxConfig, at: datetime
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
    s_rows = agent_state_rows(pbx_id, known.states, current.states, at)
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


# --- the live flow's view --------------------------------------------------------------------

DnKind = Literal["queue", "agent", "other"]


@dataclass(frozen=True)
class PbxDirectory:
    """The current configuration as the live flow reads it (immutable, picklable)."""

    pbx_id: str
    queues: Mapping[str, QueueConfig] = field(default_factory=dict)
    agents: Mapping[str, AgentConfig] = field(default_factory=dict)
    states: Mapping[str, AgentState] = field(default_factory=dict)
    queue_agents: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def from_config(cls, pbx_id: str, config: PbxConfig) -> PbxDirectory:
        """The directory of one fetched (or known) configuration."""
        members: dict[str, set[str]] = {}
        for queue_dn, agent_dn in config.memberships:
            members.setdefault(queue_dn, set()).add(agent_dn)
        return cls(
            pbx_id=pbx_id,
            queues=dict(config.queues),
            agents=dict(config.agents),
            states=dict(config.states),
            queue_agents={q: frozenset(a) for q, a in members.items()},
        )

    def kind(self, dn: str) -> DnKind:
        """Whether ``dn`` is a queue, an agent (user extension) or something else."""
        if dn in self.queues:
            return "queue"
        if dn in self.agents:
            return "agent"
        return "other"

    def is_queue(self, dn: str) -> bool:
        """``dn`` is a queue."""
        return dn in self.queues

    def is_agent(self, dn: str) -> bool:
        """``dn`` is a user extension."""
        return dn in self.agents

    def sla_s(self, queue_dn: str, default: int = 20) -> int:
        """The queue's ``SLATime`` in seconds, ``default`` when unknown or unset (0)."""
        queue = self.queues.get(queue_dn)
        if queue is None or not queue.sla_time_s:
            return default
        return queue.sla_time_s

    def agents_of(self, queue_dn: str) -> frozenset[str]:
        """The DNs of the queue's agents."""
        return self.queue_agents.get(queue_dn, frozenset())

    def state_of(self, agent_dn: str) -> AgentState | None:
        """The agent's last synced state."""
        return self.states.get(agent_dn)

    def to_directory(self) -> Directory:
        """The lifecycle's :class:`~queuepulse.domain.parties.Directory` of this configuration
        (queues with ``SLATime`` and agents, agents with state and memberships)."""
        queues = [
            QueueInfo(q.queue_dn, q.name, q.sla_time_s, tuple(sorted(self.agents_of(dn))))
            for dn, q in self.queues.items()
        ]
        agents = []
        for dn, agent in self.agents.items():
            state = self.states.get(dn)
            agents.append(
                AgentInfo(
                    dn,
                    agent.display_name
                    or " ".join(p for p in (agent.first_name, agent.last_name) if p)
                    or None,
                    state.queue_status if state else None,
                    state.profile if state else None,
                    state.registered if state else None,
                )
            )
        return Directory.build(queues, agents)
