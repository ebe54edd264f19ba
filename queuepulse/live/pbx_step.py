"""The live flow's per-PBX step: source items in, table rows and KPI facts out.

:class:`PbxStepper` is the ``stateful_map`` mapper of the flow (state: one :class:`LiveState` per
PBX). It is glue around the pure domain: the lifecycle (:func:`queuepulse.domain.lifecycle.step`)
for polls, the configuration diff (:func:`queuepulse.domain.pbx_config.diff_config`) for
Queues/Users fetches, and row shaping for the sink. The directory and the known configuration live
in the state, so a flow resumed from a Bytewax recovery snapshot continues exactly where it stopped,
and a replay yields the same rows as the live run it recorded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from queuepulse.domain.gauges import QueueLive
from queuepulse.domain.kpi import KpiFact
from queuepulse.domain.lifecycle import PbxState, StepOutput, restore, step
from queuepulse.domain.parties import Directory
from queuepulse.domain.pbx_config import (
    AgentState,
    KnownConfig,
    PbxConfig,
    agent_state_rows,
    diff_config,
    parse_config,
    parse_presence,
)
from queuepulse.domain.rules import Rules
from queuepulse.domain.visits import seconds_between
from queuepulse.live.items import (
    ConfigItem,
    KnownConfigItem,
    PollItem,
    PresenceItem,
    SourceItem,
)
from queuepulse.store.sites import SiteZone, site_row
from queuepulse.store.tables import TableRow

__all__ = ["QUEUE_LIVE_HEARTBEAT_S", "LiveOutput", "LiveState", "PbxStepper", "changed_gauges"]


@dataclass(frozen=True, slots=True)
class LiveState:
    """Everything the flow remembers about one PBX (picklable)."""

    pbx_id: str
    lifecycle: PbxState | None = None
    directory: Directory = field(default_factory=Directory)
    known: KnownConfig = field(default_factory=KnownConfig)
    #: Per queue: the gauge values last written to ``queue_live`` and when (PBX time).
    live_sent: Mapping[str, tuple[tuple[object, ...], datetime]] = field(default_factory=dict)

    def __deepcopy__(self, memo: dict[int, Any]) -> LiveState:
        # Immutable all the way down (frozen dataclasses, mappings never mutated once built):
        # Bytewax deep-copies operator state at every snapshot; sharing it is safe and saves
        # copying ~10,000 call tracks per epoch at 10x scale.
        return self


@dataclass(frozen=True, slots=True)
class LiveOutput:
    """What one item produced: rows for the sink, KPI facts for the windows, and the step's
    output (``None`` for configuration items) with the poll item, for metrics."""

    pbx_id: str
    rows: tuple[TableRow, ...] = ()
    facts: tuple[KpiFact, ...] = ()
    step: StepOutput | None = None
    poll: PollItem | None = None
    config_rows: int = 0


def _wall_clock() -> float:
    return time.time()


#: Seconds after which an unchanged queue's gauges are written again (the heartbeat), so that
#: "the newest ``queue_live`` row of each queue" stays a short index walk.
QUEUE_LIVE_HEARTBEAT_S = 60.0


def _gauge_key(g: QueueLive) -> tuple[object, ...]:
    """What makes a gauge row news: the counts, and the entry time of the longest-waiting call
    (its wait grows by itself; a reader adds the time since the row)."""
    oldest = (round(g.ts.timestamp() - g.longest_wait_s, 1) if g.waiting else None)
    return (g.waiting, oldest, g.talking, g.agents_logged_in, g.agents_talking, g.agents_free)


def changed_gauges(
    gauges: Iterable[QueueLive],
    sent: Mapping[str, tuple[tuple[object, ...], datetime]],
    heartbeat_s: float = QUEUE_LIVE_HEARTBEAT_S,
) -> tuple[list[QueueLive], Mapping[str, tuple[tuple[object, ...], datetime]]]:
    """The gauges to write (changed since the last written row of their queue, or a heartbeat
    due) and the new record of what was written."""
    out: list[QueueLive] = []
    new_sent: dict[str, tuple[tuple[object, ...], datetime]] | None = None
    for g in gauges:
        key = _gauge_key(g)
        last = sent.get(g.queue_dn)
        if last is not None and last[0] == key and seconds_between(last[1], g.ts) < heartbeat_s:
            continue
        out.append(g)
        if new_sent is None:
            new_sent = dict(sent)
        new_sent[g.queue_dn] = (key, g.ts)
    return out, (sent if new_sent is None else new_sent)


def _gap_s(lifecycle: PbxState, item: PollItem, out: StepOutput) -> float | None:
    """Seconds without a successful poll that this poll's health row reports: for a failed
    poll, the gap so far (from the last successful poll to this one, PBX time); for the poll
    that ends a gap (after failures, or a pause longer than ``gap_after_s``), the whole gap;
    otherwise None."""
    for event in out.events:
        if event.event_type == "gap_ended":
            duration = event.details.get("duration_s")
            return float(duration) if duration is not None else None
    gap = lifecycle.gap
    if not item.poll.ok and gap is not None:
        pbx_now = item.poll.received_at + timedelta(seconds=lifecycle.skew_s or 0.0)
        return seconds_between(gap.started_at, pbx_now)
    return None


class PbxStepper:
    """``(LiveState | None, SourceItem) -> (LiveState, LiveOutput)`` for ``op.stateful_map``.

    ``clock`` (epoch seconds) only feeds the ``lag_s`` column of ``pipeline_health`` (processing
    time minus receive time); everything else is a function of the items. With
    ``write_config=False`` configuration fetches still update the directory but write no
    dimension or sync-time ``agent_states`` rows (when ``run sync`` runs separately).
    ``queue_live`` gets a queue's gauges only when they changed, or every ``live_heartbeat_s``
    (PBX time) while they do not (:func:`changed_gauges`).
    """

    def __init__(
        self, rules: Rules, clock: Callable[[], float] = _wall_clock, *,
        write_config: bool = True, live_heartbeat_s: float = QUEUE_LIVE_HEARTBEAT_S,
        sites: Callable[[str], SiteZone] | None = None,
    ) -> None:
        self.rules = rules
        self.clock = clock
        self.write_config = write_config
        self.live_heartbeat_s = live_heartbeat_s
        self.sites = sites
        self._sites_written: set[str] = set()

    def __call__(self, state: LiveState | None, item: SourceItem) -> tuple[LiveState, LiveOutput]:
        if state is None:
            state = LiveState(item.pbx_id)
        if isinstance(item, PollItem):
            new_state, out = self._poll(state, item)
        elif isinstance(item, ConfigItem):
            new_state, out = self._config(state, item)
        elif isinstance(item, PresenceItem):
            new_state, out = self._presence(state, item)
        else:
            new_state, out = self._known(state, item)
        if self.sites is not None and item.pbx_id not in self._sites_written:
            # The flow started for this PBX (in this process: a restart from a snapshot
            # writes it again, so a changed setting takes effect): its site row first, from
            # the setting alone; without one it is the UTC default, which the upsert never lets
            # replace the PBX's own zone that start-up or `run sync` read (store/sites.py).
            self._sites_written.add(item.pbx_id)
            at = datetime.fromtimestamp(self.clock(), UTC)
            out = replace(out, rows=(site_row(item.pbx_id, self.sites(item.pbx_id), at),
                                     *out.rows))
        return new_state, out

    # -- polls ------------------------------------------------------------------------------

    def _poll(self, state: LiveState, item: PollItem) -> tuple[LiveState, LiveOutput]:
        lifecycle, out = step(state.lifecycle, item.poll, state.directory, self.rules)
        pbx_id = state.pbx_id
        rows: list[TableRow] = []
        rows.extend(("call_events", ev) for ev in out.events)
        rows.extend(("queue_calls", v) for v in out.visits)
        gauges, live_sent = changed_gauges(out.live, state.live_sent, self.live_heartbeat_s)
        rows.extend(("queue_live", g) for g in gauges)
        known = state.known
        if out.agent_changes:
            states = dict(known.states)
            for change in out.agent_changes:
                current = states.get(change.agent_dn)
                if current is not None:
                    states[change.agent_dn] = replace(current, on_call=change.on_call)
                queue_status = current.queue_status if current else None
                profile = current.profile if current else None
                registered = current.registered if current else None
                rows.append(("agent_states", {
                    "pbx_id": pbx_id, "agent_dn": change.agent_dn, "ts": change.ts,
                    "queue_status": queue_status, "profile": profile, "registered": registered,
                    "on_call": change.on_call,
                    "state": self.rules.agent_state(queue_status, profile, registered,
                                                    change.on_call),
                }))
            known = replace(known, states=states)
        rows.append(("pipeline_health",
                     self._health(pbx_id, item, out, _gap_s(lifecycle, item, out))))
        new_state = replace(state, lifecycle=lifecycle, known=known, live_sent=live_sent)
        return new_state, LiveOutput(pbx_id, tuple(rows), out.facts, out, item)

    def _health(
        self, pbx_id: str, item: PollItem, out: StepOutput, gap_s: float | None
    ) -> dict[str, Any]:
        """The poll's ``pipeline_health`` row. ``rows_written`` and ``write_errors`` are 0 here:
        the sink stamps them when the row is written
        (:class:`~queuepulse.live.commit_latency.CommitRecorder`)."""
        poll, delta = item.poll, out.delta
        lag = self.clock() - poll.received_at.timestamp()
        details: dict[str, Any] = {"calls": len(poll.calls)}
        if out.skipped:
            details["skipped"] = out.skipped
        if poll.problems:
            details["parse_problems"] = poll.problems
        if delta.clock_anomalies:
            details["clock_anomalies"] = delta.clock_anomalies
        if poll.error:
            details["error"] = poll.error[:200]
        if item.interval_s is not None:
            details["poll_interval_s"] = item.interval_s
        return {
            "pbx_id": pbx_id,
            "component": "live",
            "ts": poll.received_at,
            "poll_latency_ms": item.latency_ms,
            "polls": 1,
            "errors": 0 if poll.ok else 1,
            "error_kind": item.error_kind if not poll.ok else None,
            "stale_polls": delta.stale + delta.out_of_order,
            "gaps": delta.gaps,
            "gap_s": gap_s,
            "lag_s": round(max(lag, 0.0), 3),
            "rows_written": 0,
            "write_errors": 0,
            "token_failures": item.token_failures,
            "breaker_state": item.breaker_state,
            "skew_s": out.skew_s,
            "details": details,
        }

    # -- configuration ----------------------------------------------------------------------

    def _state_of(self, agent: AgentState) -> str:
        return self.rules.agent_state(agent.queue_status, agent.profile, agent.registered,
                                      agent.on_call)

    def _pbx_time(self, state: LiveState, received_at: datetime) -> datetime:
        skew = state.lifecycle.skew_s if state.lifecycle is not None else None
        return received_at + timedelta(seconds=skew or 0.0)

    def _config(self, state: LiveState, item: ConfigItem) -> tuple[LiveState, LiveOutput]:
        lifecycle = state.lifecycle
        on_call = lifecycle.on_call if lifecycle is not None else None
        config = parse_config(item.queues, item.users or (), on_call)
        if item.users is None:  # no Users body yet: keep the agents we know
            current = state.known.current()
            config = PbxConfig(config.queues, current.agents, config.memberships,
                               current.states)
        at = self._pbx_time(state, item.received_at)
        changes, known = diff_config(state.pbx_id, state.known, config, at, self._state_of)
        directory = Directory.from_config(config)
        rows: list[TableRow] = [
            (table, row) for table, table_rows in changes.table_rows().items()
            for row in table_rows
        ] if self.write_config else []
        new_state = replace(state, directory=directory, known=known)
        return new_state, LiveOutput(state.pbx_id, tuple(rows), config_rows=len(rows))

    def _presence(self, state: LiveState, item: PresenceItem) -> tuple[LiveState, LiveOutput]:
        """Queue status, profile and registration of the agents the configuration knows (other
        numbers wait for the next full sync); changed states become ``agent_states`` rows and
        the directory follows, so the next poll's gauges use them."""
        known = state.known
        states = known.states
        changed: dict[str, AgentState] = {}
        for dn, fresh in parse_presence(item.users).items():
            current = states.get(dn)
            if current is None or (
                current.queue_status == fresh.queue_status and current.profile == fresh.profile
                and current.registered == fresh.registered
            ):
                continue
            changed[dn] = replace(current, queue_status=fresh.queue_status,
                                  profile=fresh.profile, registered=fresh.registered)
        if not changed:
            return state, LiveOutput(state.pbx_id)
        at = self._pbx_time(state, item.received_at)
        rows: list[TableRow] = [
            ("agent_states", row) for row in agent_state_rows(
                state.pbx_id, known.states, changed, at, self._state_of)
        ] if self.write_config else []
        known = replace(known, states={**states, **changed})
        agents = dict(state.directory.agents)
        for dn, new in changed.items():
            info = agents.get(dn)
            if info is not None:
                agents[dn] = replace(info, queue_status=new.queue_status, profile=new.profile,
                                     registered=new.registered)
        directory = Directory(state.directory.queues, agents)
        new_state = replace(state, known=known, directory=directory)
        return new_state, LiveOutput(state.pbx_id, tuple(rows), config_rows=len(rows))

    def _known(self, state: LiveState, item: KnownConfigItem) -> tuple[LiveState, LiveOutput]:
        directory = state.directory
        if not directory.queues:
            directory = Directory.from_config(item.known.current())
        lifecycle = state.lifecycle
        known = item.known
        if lifecycle is None and known.open_calls and known.last_seen is not None:
            # a start without recovery state: the first poll continues or ends these calls
            lifecycle = restore(state.pbx_id, known.open_calls, known.last_seen)
        if known.open_calls:
            known = replace(known, open_calls=(), last_seen=None)  # not kept in the state
        return (replace(state, known=known, directory=directory, lifecycle=lifecycle),
                LiveOutput(state.pbx_id))

