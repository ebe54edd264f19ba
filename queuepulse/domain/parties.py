"""Who is on a call: Caller/Callee parsing and the queue/agent directory.

ActiveCalls' ``Caller`` and ``Callee`` are ``"<DN or number> <display name>"``: the DN is the
first whitespace-separated token. Whether a DN is a queue, an agent (a user extension) or
something else comes from the Queues/Users sync, held in a :class:`Directory`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from queuepulse.domain.pbx_config import PbxConfig

__all__ = [
    "AgentInfo",
    "Directory",
    "DnKind",
    "Party",
    "QueueInfo",
    "QueueStaffing",
    "parse_party",
    "party_dn",
]

DnKind = Literal["queue", "agent", "other"]


@dataclass(frozen=True, slots=True)
class Party:
    """One side of a call: ``dn`` is the first token (``None`` when the text is empty)."""

    dn: str | None
    name: str | None


_EMPTY = Party(None, None)


def parse_party(text: str | None) -> Party:
    """Split ``"<DN or number> <display name>"``; empty or ``None`` gives an empty party."""
    if not text:
        return _EMPTY
    parts = text.strip().split(None, 1)
    if not parts:
        return _EMPTY
    name = parts[1].strip() if len(parts) > 1 else None
    return Party(parts[0], name or None)


def party_dn(text: str | None) -> str | None:
    """Only the DN (first token) of a Caller/Callee string; the fast path of :func:`parse_party`."""
    if not text:
        return None
    head = text.split(None, 1)
    return head[0] if head else None


@dataclass(frozen=True, slots=True)
class QueueInfo:
    """A queue from the Queues sync: its DN (``Number``), name, ``SLATime`` and agent DNs."""

    dn: str
    name: str | None = None
    sla_s: int | None = None
    agents: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AgentInfo:
    """A user (extension) from the Users sync and the queues it belongs to."""

    dn: str
    name: str | None = None
    queue_status: str | None = None
    profile: str | None = None
    registered: bool | None = None
    queues: tuple[str, ...] = ()

    @property
    def logged_in(self) -> bool:
        """``QueueStatus`` is ``LoggedIn``."""
        return self.queue_status == "LoggedIn"


@dataclass(frozen=True, slots=True)
class QueueStaffing:
    """The agents of one queue by state: all, logged in, and free unless on a call."""

    agents: tuple[str, ...]
    logged_in: tuple[str, ...]
    available: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Directory:
    """Which DNs are queues and which are agents, with SLA times and memberships.

    Build it with :meth:`build` or :meth:`from_config`. The mappings are owned by the directory
    and never mutated after construction (a dict keeps it picklable and fast).
    """

    queues: Mapping[str, QueueInfo] = field(default_factory=dict)
    agents: Mapping[str, AgentInfo] = field(default_factory=dict)
    _staffing: dict[tuple[str, ...], dict[str, QueueStaffing]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def build(cls, queues: Iterable[QueueInfo], agents: Iterable[AgentInfo] = ()) -> Directory:
        """Index queues and agents by DN and make memberships agree in both directions.

        An agent listed in a queue but absent from the users gets an entry with unknown state.
        """
        q_by_dn = {q.dn: q for q in queues}
        a_by_dn = {a.dn: a for a in agents}
        memberships: dict[str, list[str]] = {dn: list(a.queues) for dn, a in a_by_dn.items()}
        for q in q_by_dn.values():
            for agent_dn in q.agents:
                listed = memberships.setdefault(agent_dn, [])
                if q.dn not in listed:
                    listed.append(q.dn)
        members: dict[str, list[str]] = {dn: list(q.agents) for dn, q in q_by_dn.items()}
        for agent_dn, queue_dns in memberships.items():
            for queue_dn in queue_dns:
                if queue_dn in members and agent_dn not in members[queue_dn]:
                    members[queue_dn].append(agent_dn)
        final_q = {
            dn: QueueInfo(q.dn, q.name, q.sla_s, tuple(members[dn])) for dn, q in q_by_dn.items()
        }
        final_a: dict[str, AgentInfo] = {}
        for agent_dn, queue_dns in memberships.items():
            base = a_by_dn.get(agent_dn, AgentInfo(agent_dn))
            final_a[agent_dn] = AgentInfo(
                base.dn, base.name, base.queue_status, base.profile, base.registered,
                tuple(queue_dns),
            )
        return cls(final_q, final_a)

    @classmethod
    def from_config(cls, config: PbxConfig) -> Directory:
        """The directory of one PBX configuration (from
        :func:`queuepulse.domain.pbx_config.parse_config`, or what the database holds): queues
        with ``SLATime`` and members, agents with their display name (else first and last name),
        state and memberships."""
        members: dict[str, list[str]] = {}
        for queue_dn, agent_dn in config.memberships:
            members.setdefault(queue_dn, []).append(agent_dn)
        queues = [
            QueueInfo(dn, q.name, q.sla_time_s, tuple(sorted(members.get(dn, ()))))
            for dn, q in config.queues.items()
        ]
        agents = []
        for dn, agent in config.agents.items():
            state = config.states.get(dn)
            name = agent.display_name or " ".join(
                p for p in (agent.first_name, agent.last_name) if p)
            agents.append(AgentInfo(
                dn, name or None,
                state.queue_status if state else None,
                state.profile if state else None,
                state.registered if state else None,
            ))
        return cls.build(queues, agents)

    def kind(self, dn: str | None) -> DnKind:
        """Classify a DN: ``queue``, ``agent`` or ``other`` (``None`` is other)."""
        if dn is None:
            return "other"
        if dn in self.queues:
            return "queue"
        if dn in self.agents:
            return "agent"
        return "other"

    def is_queue(self, dn: str | None) -> bool:
        """The DN is a queue."""
        return dn is not None and dn in self.queues

    def is_agent(self, dn: str | None) -> bool:
        """The DN is a user extension (an agent, whether or not in a queue)."""
        return dn is not None and dn in self.agents

    def sla_s(self, queue_dn: str, default: int) -> int:
        """The queue's ``SLATime`` in seconds, or ``default`` when unset or unknown."""
        q = self.queues.get(queue_dn)
        if q is None or q.sla_s is None or q.sla_s <= 0:
            return default
        return q.sla_s

    def staffing(self, available_profiles: tuple[str, ...]) -> Mapping[str, QueueStaffing]:
        """Per queue: its agents, those logged in, and those who are free unless on a call
        (logged in, registered, profile in ``available_profiles``). Computed once per profile
        list and kept (the directory never changes)."""
        cached = self._staffing.get(available_profiles)
        if cached is not None:
            return cached
        result: dict[str, QueueStaffing] = {}
        for dn, q in self.queues.items():
            logged: list[str] = []
            free: list[str] = []
            for agent_dn in q.agents:
                info = self.agents.get(agent_dn)
                if info is None or not info.logged_in:
                    continue
                logged.append(agent_dn)
                if info.registered is True and info.profile in available_profiles:
                    free.append(agent_dn)
            result[dn] = QueueStaffing(q.agents, tuple(logged), tuple(free))
        self._staffing[available_profiles] = result
        return result

    def members(self, queue_dn: str) -> tuple[str, ...]:
        """The agent DNs of a queue (empty for an unknown queue)."""
        q = self.queues.get(queue_dn)
        return q.agents if q is not None else ()

