"""What a snapshot source yields into the live flow (one PBX per item, keyed by ``pbx_id``).

Every source — ActiveCalls polling, a JSON Lines replay, or a future Call Control adapter — turns
what it receives into these items:

* :class:`PollItem`: one ActiveCalls poll (a failed poll is ``Poll(ok=False)``: a gap marker),
  with what the poller measured about it (latency, error kind, breaker state);
* :class:`ConfigItem`: one Queues (with agents) + Users fetch, as the decoded body rows;
* :class:`PresenceItem`: one light Users poll (presence fields only), between full fetches;
* :class:`KnownConfigItem`: the configuration the database already holds, sent once at start by
  a live source so that dimension history continues across restarts.

All are frozen and picklable (they cross Bytewax workers and recovery snapshots).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from queuepulse.domain.pbx_config import KnownConfig
from queuepulse.domain.snapshot import Poll

__all__ = ["ConfigItem", "KnownConfigItem", "PollItem", "PresenceItem", "SourceItem"]


@dataclass(frozen=True, slots=True)
class PollItem:
    """One ActiveCalls poll and how it went."""

    poll: Poll
    latency_ms: float | None = None
    error_kind: str | None = None
    breaker_state: str | None = None
    token_failures: int = 0
    #: The poller's interval (seconds); the wall board calls data stale after three of them.
    interval_s: float | None = None

    @property
    def pbx_id(self) -> str:
        """The PBX polled."""
        return self.poll.pbx_id


@dataclass(frozen=True, slots=True)
class ConfigItem:
    """One configuration fetch: the decoded rows of ``GET /Queues?$expand=Agents`` and
    ``GET /Users`` (read by :func:`queuepulse.domain.pbx_config.parse_config`), received at
    ``received_at`` (the Queues answer's receive time).

    ``users`` is ``None`` when the source has not seen a Users body yet (a replay file may hold
    queues first).
    """

    pbx_id: str
    received_at: datetime
    queues: tuple[Any, ...]
    users: tuple[Any, ...] | None = None


@dataclass(frozen=True, slots=True)
class PresenceItem:
    """One presence poll: the decoded rows of ``GET /Users`` with ``$select`` of Number,
    QueueStatus, CurrentProfileName and IsRegistered only, received at ``received_at``."""

    pbx_id: str
    received_at: datetime
    users: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class KnownConfigItem:
    """The database's current configuration of one PBX (open dimension rows, last states)."""

    pbx_id: str
    known: KnownConfig


SourceItem = PollItem | ConfigItem | PresenceItem | KnownConfigItem
"""Anything a snapshot source yields."""

