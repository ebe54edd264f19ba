"""Configurable attribution rules: what a status means and where a call is.

ActiveCalls has no queue or agent field, so which queue a call waits in and which agent answered
it are inferred from ``Callee`` and ``Status``. Everything inferred is a rule here, mirrored by
:class:`queuepulse.settings.RulesSettings`, so that a site can calibrate it against recorded polls:

* a status is *waiting* (``Ringing``, ``Routing``), *talking* (``Talking``), *moving*
  (``Transferring``, ``Rerouting``: an already connected call being redirected, never waiting;
  when it talks again at the same queue or with the same agent it is still the same visit) or
  *unknown* (kept verbatim and counted by the lifecycle);
* a call waits in a queue when ``Callee`` is the queue's DN with a waiting status;
* a queue call is answered in either shape: ``Callee`` stays the queue's DN with a talking status,
  or ``Callee`` becomes the agent's DN with a talking status;
* when the agent is not visible in the call itself, a queue's agent is on a call when its DN
  appears in any active call's Caller/Callee, and that identifies the agent when unambiguous.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from queuepulse.domain.parties import Directory
from queuepulse.domain.privacy import CallerPolicy

if TYPE_CHECKING:
    from queuepulse.settings import PrivacySettings, RulesSettings

__all__ = [
    "AGENT_STATES",
    "AgentStateName",
    "Placement",
    "PlacementKind",
    "Rules",
    "StatusKind",
    "infer_agent",
    "place",
]

StatusKind = Literal["waiting", "talking", "moving", "unknown"]
AgentStateName = Literal["free", "talking", "away", "logged out", "offline"]
#: Every agent state, in the order they are decided (the first that applies wins).
AGENT_STATES: tuple[AgentStateName, ...] = ("offline", "talking", "logged out", "away", "free")
PlacementKind = Literal[
    "queue_waiting",  # Callee is a queue, status waiting
    "queue_talking",  # Callee is a queue, status talking (answered, agent not visible)
    "agent_talking",  # Callee is an agent, status talking (answered, agent visible)
    "agent_ringing",  # Callee is an agent, status waiting (an agent's phone rings)
    "moving",  # status Transferring/Rerouting: leaving wherever it was
    "elsewhere",  # Callee is neither queue nor agent (IVR, voicemail, external), known status
    "unknown",  # status not in any list (or missing): nothing is inferred from it
]


def _fold(statuses: Collection[str]) -> frozenset[str]:
    return frozenset(s.casefold() for s in statuses)


@dataclass(frozen=True, slots=True)
class Rules:
    """The attribution rules; statuses match case-insensitively.

    The XAPI defines no status values (``Status`` is a free string), so the default status lists
    are assumptions a site calibrates against its recorded polls.
    """

    waiting_statuses: tuple[str, ...] = ("Ringing", "Routing")
    talking_statuses: tuple[str, ...] = ("Talking",)
    moving_statuses: tuple[str, ...] = ("Transferring", "Rerouting")
    short_abandon_s: float = 5.0
    default_sla_s: int = 20
    #: ``CurrentProfileName`` values under which a logged-in, registered agent counts as free.
    available_profiles: tuple[str, ...] = ("Available",)
    #: A pause longer than this between two successful polls is recorded as a gap.
    gap_after_s: float = 10.0
    #: How long an ended call's key is remembered, so a reappearing row is flagged, not restarted.
    tombstone_ttl_s: float = 600.0
    caller_policy: CallerPolicy = field(default_factory=CallerPolicy)
    _kinds: dict[str, StatusKind] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kinds: dict[str, StatusKind] = {}
        for s in _fold(self.moving_statuses):
            kinds[s] = "moving"
        for s in _fold(self.talking_statuses):
            kinds.setdefault(s, "talking")
        for s in _fold(self.waiting_statuses):
            kinds.setdefault(s, "waiting")
        object.__setattr__(self, "_kinds", kinds)

    @classmethod
    def from_settings(
        cls, rules: RulesSettings, privacy: PrivacySettings | None = None
    ) -> Rules:
        """Mirror :class:`queuepulse.settings.RulesSettings` (and the caller privacy policy)."""
        return cls(
            waiting_statuses=tuple(rules.waiting_statuses),
            talking_statuses=tuple(rules.talking_statuses),
            moving_statuses=tuple(rules.moving_statuses),
            short_abandon_s=float(rules.short_abandon_s),
            default_sla_s=int(rules.default_sla_s),
            available_profiles=tuple(rules.available_profiles),
            gap_after_s=float(rules.gap_after_s),
            tombstone_ttl_s=float(rules.tombstone_ttl_s),
            caller_policy=(
                CallerPolicy.from_settings(privacy) if privacy is not None else CallerPolicy()
            ),
        )

    def status_kind(self, status: str | None) -> StatusKind:
        """Classify a status; ``None`` and unlisted statuses are ``unknown``.

        A status listed under several kinds counts as moving first, then talking, then waiting.
        """
        if status is None:
            return "unknown"
        return self._kinds.get(status.casefold(), "unknown")

    def is_short_abandon(self, wait_s: float) -> bool:
        """An abandon within ``short_abandon_s`` (inclusive)."""
        return wait_s <= self.short_abandon_s

    def in_sla(self, wait_s: float, sla_s: float) -> bool:
        """An answer within the queue's SLA time (inclusive)."""
        return wait_s <= sla_s

    def is_free(self, logged_in: bool, registered: bool | None, profile: str | None) -> bool:
        """Logged in, registered and in an available profile (on-call is checked apart)."""
        return logged_in and registered is True and profile in self.available_profiles

    def agent_state(
        self, queue_status: str | None, profile: str | None, registered: bool | None,
        on_call: bool | None,
    ) -> AgentStateName:
        """The one state of an agent at PBX level, decided in :data:`AGENT_STATES` order:
        ``offline`` (phone not registered), ``talking`` (on a call), ``logged out`` (queue
        status not ``LoggedIn``), ``away`` (not free: a profile outside ``available_profiles``,
        or registration unknown), else ``free``. The flow stores it; dashboards read it."""
        if registered is False:
            return "offline"
        if on_call:
            return "talking"
        if queue_status != "LoggedIn":
            return "logged out"
        if not self.is_free(True, registered, profile):
            return "away"
        return "free"


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one ActiveCalls row puts the call."""

    kind: PlacementKind
    queue_dn: str | None = None
    agent_dn: str | None = None


def place(
    callee_dn: str | None, status: str | None, directory: Directory, rules: Rules
) -> Placement:
    """Classify a row by its Callee DN and Status."""
    sk = rules.status_kind(status)
    queue_dn = callee_dn if directory.is_queue(callee_dn) else None
    agent_dn = callee_dn if queue_dn is None and directory.is_agent(callee_dn) else None
    if sk == "unknown":
        return Placement("unknown", queue_dn, agent_dn)
    if sk == "moving":
        return Placement("moving", queue_dn, agent_dn)
    if queue_dn is not None:
        return Placement("queue_waiting" if sk == "waiting" else "queue_talking", queue_dn)
    if agent_dn is not None:
        return Placement("agent_ringing" if sk == "waiting" else "agent_talking", None, agent_dn)
    return Placement("elsewhere")


def infer_agent(
    queue_dn: str,
    directory: Directory,
    on_call: Collection[str],
    busy: Collection[str] = (),
    newly_on_call: Collection[str] = (),
) -> tuple[str | None, tuple[str, ...]]:
    """Identify the agent who answered a queue call whose ``Callee`` stays the queue.

    Candidates are the queue's agents whose DN appears in any active call (``on_call``) and who
    are not already attributed to another answered call (``busy``). One candidate, or exactly one
    among those who just went on a call (``newly_on_call``), is the answer; otherwise ``None``.
    Returns ``(agent_dn, candidates)``.
    """
    candidates = tuple(
        dn for dn in directory.members(queue_dn) if dn in on_call and dn not in busy
    )
    if len(candidates) == 1:
        return candidates[0], candidates
    fresh = [dn for dn in candidates if dn in newly_on_call]
    if len(fresh) == 1:
        return fresh[0], candidates
    return None, candidates
