"""Queue visits (rows of the ``queue_calls`` table) and their transitions.

A visit starts when a call enters a queue and ends when it is answered and the talk ends, when
the caller hangs up while waiting (abandoned), or when it moves on while waiting (transferred).
Transitions return new frozen visits; each one is applied once by the lifecycle.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from operator import attrgetter
from typing import Any, Literal

__all__ = ["Outcome", "QueueVisit", "seconds_between"]

Outcome = Literal["waiting", "answered", "abandoned", "transferred"]


def seconds_between(start: datetime, end: datetime) -> float:
    """``end - start`` in seconds, never negative."""
    return max((end - start).total_seconds(), 0.0)


@dataclass(frozen=True, slots=True)
class QueueVisit:
    """One visit of one call to one queue; natural key (pbx_id, call_key, queue_dn, entered_at).

    Beyond the ``queue_calls`` columns: ``entry_queue_dn`` (the first queue the call reached, for
    end-to-end SLA), ``call_id``, ``sla_s`` (the SLA threshold in force when it entered) and
    ``end_uncertainty_s`` (how long the end could have been before ``ended_at``: the span between
    the last poll that showed the call and the first that did not, gaps included).
    ``wait_s`` is set once the wait is over (answer, abandon or transfer).
    """

    pbx_id: str
    call_key: str
    queue_dn: str
    entered_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: Outcome = "waiting"
    wait_s: float | None = None
    talk_s: float | None = None
    agent_dn: str | None = None
    caller_number: str | None = None
    caller_name: str | None = None
    source: str = "live"
    entry_queue_dn: str | None = None
    call_id: int | None = None
    sla_s: int | None = None
    end_uncertainty_s: float | None = None

    def __reduce__(self) -> tuple[type[QueueVisit], tuple[Any, ...]]:
        # positional pickling: several times faster than the dataclass slots state protocol
        return (QueueVisit, _VISIT_FIELDS(self))

    @property
    def is_waiting(self) -> bool:
        """Still waiting in the queue."""
        return self.outcome == "waiting"

    @property
    def is_talking(self) -> bool:
        """Answered and the talk has not ended."""
        return self.outcome == "answered" and self.ended_at is None

    @property
    def is_closed(self) -> bool:
        """Nothing more will happen to this visit."""
        return self.ended_at is not None

    def _with(self, **changes: Any) -> QueueVisit:
        # dataclasses.replace without its per-call field introspection (a hot path)
        values = dict(zip(_VISIT_NAMES, _VISIT_FIELDS(self), strict=True))
        values.update(changes)
        return QueueVisit(**values)

    def answer(self, at: datetime, agent_dn: str | None) -> QueueVisit:
        """Answered at ``at`` (by ``agent_dn`` when known)."""
        return self._with(
            answered_at=at, outcome="answered",
            wait_s=seconds_between(self.entered_at, at), agent_dn=agent_dn,
        )

    def with_agent(self, agent_dn: str) -> QueueVisit:
        """The answering agent, identified later."""
        return self._with(agent_dn=agent_dn)

    def abandon(self, at: datetime, uncertainty_s: float | None = None) -> QueueVisit:
        """The caller hung up while waiting."""
        return self._with(
            ended_at=at, outcome="abandoned",
            wait_s=seconds_between(self.entered_at, at), end_uncertainty_s=uncertainty_s,
        )

    def transfer(self, at: datetime) -> QueueVisit:
        """The call moved on (another queue or destination) while waiting."""
        return self._with(
            ended_at=at, outcome="transferred", wait_s=seconds_between(self.entered_at, at)
        )

    def end_talk(self, at: datetime, uncertainty_s: float | None = None) -> QueueVisit:
        """The answered call ended or left the agent."""
        answered = self.answered_at if self.answered_at is not None else self.entered_at
        return self._with(
            ended_at=at, talk_s=seconds_between(answered, at), end_uncertainty_s=uncertainty_s,
        )


_VISIT_NAMES = tuple(f.name for f in fields(QueueVisit))
_VISIT_FIELDS = attrgetter(*_VISIT_NAMES)
