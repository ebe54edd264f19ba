"""Helpers for scripted ActiveCalls poll sequences (imported by the domain tests)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from queuepulse.domain.events import CallEvent
from queuepulse.domain.kpi import KpiFact
from queuepulse.domain.lifecycle import PbxState, StepOutput, step
from queuepulse.domain.parties import AgentInfo, Directory, QueueInfo
from queuepulse.domain.rules import Rules
from queuepulse.domain.snapshot import ActiveCallRow, Poll
from queuepulse.domain.visits import QueueVisit

T0 = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
PBX = "pbx-a"
CALLER = "+4930123456 Bob Caller"

DIRECTORY = Directory.build(
    [
        QueueInfo("800", "Sales", 20, ("101", "102")),
        QueueInfo("801", "Support", 30, ("103",)),
    ],
    [
        AgentInfo("101", "Alice", "LoggedIn", "Available", True),
        AgentInfo("102", "Bert", "LoggedIn", "Available", True),
        AgentInfo("103", "Cleo", "LoggedOut", "Away", True),
        AgentInfo("200", "Dora (no queue)", "LoggedIn", "Available", True),
    ],
)
RULES = Rules()


def at(seconds: float) -> datetime:
    """T0 plus some seconds."""
    return T0 + timedelta(seconds=seconds)


def row(
    call_id: int,
    callee: str | None,
    status: str | None,
    changed: float | None,
    now: float,
    *,
    caller: str | None = CALLER,
    established: float | None = 0.0,
) -> ActiveCallRow:
    """One ActiveCalls row; times are seconds after T0 (``None`` leaves the field null)."""
    return ActiveCallRow(
        id=call_id,
        caller=caller,
        callee=callee,
        status=status,
        last_change_status=at(changed) if changed is not None else None,
        established_at=at(established) if established is not None else None,
        server_now=at(now),
    )


def poll(now: float, *rows: ActiveCallRow, skew: float = 0.0, ok: bool = True) -> Poll:
    """A poll received at T0+now-skew (local clock ``skew`` s behind the PBX)."""
    return Poll(PBX, at(now - skew), tuple(rows), ok=ok, error=None if ok else "HTTP 503")


def failed(now: float) -> Poll:
    """A failed poll (gap marker) received at T0+now."""
    return Poll(PBX, at(now), (), ok=False, error="HTTP 503")


@dataclass
class Run:
    """Everything a sequence of polls produced."""

    state: PbxState | None = None
    outputs: list[StepOutput] = field(default_factory=list)

    @property
    def events(self) -> list[CallEvent]:
        return [e for o in self.outputs for e in o.events]

    @property
    def facts(self) -> list[KpiFact]:
        return [f for o in self.outputs for f in o.facts]

    @property
    def visits(self) -> list[QueueVisit]:
        """The latest version of each visit, in first-seen order."""
        latest: dict[tuple[str, str, datetime], QueueVisit] = {}
        for o in self.outputs:
            for v in o.visits:
                latest[(v.call_key, v.queue_dn, v.entered_at)] = v
        return list(latest.values())

    def types(self, call_id: int | None = None) -> list[str]:
        return [e.event_type for e in self.events if call_id is None or e.call_id == call_id]

    def events_of(self, event_type: str) -> list[CallEvent]:
        return [e for e in self.events if e.event_type == event_type]


def run(
    polls: Iterable[Poll],
    directory: Directory = DIRECTORY,
    rules: Rules = RULES,
    state: PbxState | None = None,
) -> Run:
    """Feed polls through :func:`step`."""
    result = Run(state)
    for p in polls:
        result.state, out = step(result.state, p, directory, rules)
        result.outputs.append(out)
    return result


def steps(polls: Sequence[Poll]) -> list[Poll]:
    """Identity, for readability."""
    return list(polls)
