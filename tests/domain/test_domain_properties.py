"""Property tests of the lifecycle over arbitrary (often nonsensical) poll sequences."""

from __future__ import annotations

import pickle
from collections import defaultdict
from datetime import datetime, timedelta

import pytest
from domain_scenarios import DIRECTORY, PBX, RULES, Run, at, run
from hypothesis import given, settings
from hypothesis import strategies as st

from queuepulse.domain.kpi import (
    entry_facts_from_visits,
    fold_facts,
    kpis_from_visits,
)
from queuepulse.domain.snapshot import ActiveCallRow, Poll

pytestmark = pytest.mark.unit

CALLEES = ["800 Sales", "801 Support", "101 Alice", "102 Bert", "103 Cleo", "5555 IVR", None, ""]
STATUSES = ["Ringing", "Routing", "Talking", "Transferring", "Rerouting", "Held", None]
CALLERS = ["+4930123 Bob", "101 Alice", "800 Sales", None]

row_spec = st.tuples(
    st.integers(1, 4),  # Id
    st.sampled_from([0.0, 0.0, 50.0]),  # EstablishedAt (50: a PBX restart reuses the Id)
    st.sampled_from(CALLEES),
    st.sampled_from(STATUSES),
    st.sampled_from([None, 0.0, 0.3, 1.0, 5.0]),  # LastChangeStatus: now minus this
    st.sampled_from(CALLERS),
    st.booleans(),  # ServerNow present
    st.booleans(),  # EstablishedAt present
)
poll_spec = st.tuples(
    st.sampled_from([0.5, 1.0, 1.0, 2.0, 12.0]),  # PBX seconds since the previous poll
    st.sampled_from(["ok", "ok", "ok", "ok", "failed", "stale", "late"]),
    st.lists(row_spec, max_size=5),
)


def build_polls(specs: list[tuple[float, str, list[tuple[object, ...]]]]) -> list[Poll]:
    polls: list[Poll] = []
    now = 0.0
    received = 0.0
    for dt, kind, rows in specs:
        if kind == "stale":
            server_now = now  # repeated ServerNow, received later
            received += 0.1
        elif kind == "late":
            server_now = now + dt
            received -= 0.5  # received before the last poll: out of order
        else:
            now += dt
            server_now = now
            received += dt
        built = tuple(
            ActiveCallRow(
                id=int(call_id),  # type: ignore[call-overload]
                caller=caller,  # type: ignore[arg-type]
                callee=callee,  # type: ignore[arg-type]
                status=status,  # type: ignore[arg-type]
                last_change_status=(
                    at(max(server_now - float(back), 0.0))  # type: ignore[arg-type]
                    if back is not None else None
                ),
                established_at=at(float(est)) if has_est else None,  # type: ignore[arg-type]
                server_now=at(server_now) if has_now else None,
            )
            for call_id, est, callee, status, back, caller, has_now, has_est in rows
        )
        polls.append(Poll(PBX, at(received), built, ok=kind != "failed",
                          error="boom" if kind == "failed" else None))
    # a final empty poll well after everything: every call ends
    polls.append(Poll(PBX, at(received + 5.0), ()))
    return polls


polls_strategy = st.lists(poll_spec, min_size=1, max_size=25).map(build_polls)


def _check_invariants(r: Run) -> None:
    ids = [e.event_id for e in r.events]
    assert len(ids) == len(set(ids)), "duplicate event ids"
    by_key: dict[str, list[str]] = defaultdict(list)
    last_time: dict[str, datetime] = {}
    for e in r.events:
        previous = last_time.get(e.call_key)
        assert previous is None or e.occurred_at >= previous, f"time went back for {e.call_key}"
        last_time[e.call_key] = e.occurred_at
        by_key[e.call_key].append(e.event_type)
    for key, types in by_key.items():
        if key == "pbx":
            continue
        assert types.count("call_ended") <= 1, f"{key} ended twice: {types}"
        if "call_ended" in types:
            after = types[types.index("call_ended") + 1:]
            assert set(after) <= {"anomaly"}, f"{key} has events after its end: {types}"
    fact_ids = [f.fact_id for f in r.facts]
    assert len(fact_ids) == len(set(fact_ids)), "a fact was emitted twice"
    for v in r.visits:
        assert v.wait_s is None or v.wait_s >= 0
        if v.answered_at is not None:
            assert v.answered_at >= v.entered_at
        if v.ended_at is not None:
            assert v.ended_at >= v.entered_at
            assert v.outcome != "waiting"


@settings(max_examples=150, deadline=None)
@given(polls_strategy)
def test_invariants_hold_for_any_poll_sequence(polls: list[Poll]) -> None:
    r = run(polls)
    _check_invariants(r)
    assert r.state is not None
    assert r.state.calls == {}, "the final empty poll ends every call"
    started = {e.call_key for e in r.events_of("call_started")}
    ended = {e.call_key for e in r.events_of("call_ended")}
    assert started == ended, "every call that started ends exactly once"


@settings(max_examples=100, deadline=None)
@given(polls_strategy)
def test_replaying_the_same_polls_gives_the_same_output(polls: list[Poll]) -> None:
    first, second = run(polls), run(polls)
    assert first.events == second.events
    assert first.visits == second.visits
    assert first.facts == second.facts
    assert [o.live for o in first.outputs] == [o.live for o in second.outputs]


@settings(max_examples=100, deadline=None)
@given(polls_strategy, st.integers(0, 30))
def test_resuming_from_pickled_state_at_any_point_is_identical(
    polls: list[Poll], split: int
) -> None:
    split = min(split, len(polls))
    whole = run(polls)
    head = run(polls[:split])
    resumed = run(polls[split:], state=pickle.loads(pickle.dumps(head.state)))  # noqa: S301 (our own bytes)
    assert head.outputs + resumed.outputs == whole.outputs
    assert resumed.state == whole.state


@settings(max_examples=100, deadline=None)
@given(polls_strategy)
def test_live_kpis_equal_kpis_from_the_final_visits(polls: list[Poll]) -> None:
    r = run(polls)
    sla = {dn: q.sla_s or RULES.default_sla_s for dn, q in DIRECTORY.queues.items()}
    live_queue = fold_facts(f for f in r.facts if f.scope == "queue")
    assert live_queue == kpis_from_visits(r.visits, sla, RULES)
    live_entry = sorted((f for f in r.facts if f.scope == "entry"), key=lambda f: f.fact_id)
    truth_entry = sorted(entry_facts_from_visits(r.visits, sla, RULES), key=lambda f: f.fact_id)
    assert live_entry == truth_entry


def test_ten_thousand_calls_step_quickly_enough_to_matter() -> None:
    """Not a timing assertion: checks the fast path keeps unchanged calls as the same objects."""
    rows = tuple(
        ActiveCallRow(i, f"+49{i} C", "800 Sales", "Ringing", at(0.5), at(0), at(1))
        for i in range(10_000)
    )
    r = run([Poll(PBX, at(1), rows)])
    later = tuple(
        ActiveCallRow(i, f"+49{i} C", "800 Sales", "Ringing", at(0.5), at(0), at(2))
        for i in range(10_000)
    )
    before = r.state
    assert before is not None
    r2 = run([Poll(PBX, at(2), later)], state=before)
    assert r2.state is not None
    same = sum(r2.state.calls[k] is before.calls[k] for k in before.calls)
    assert same == 10_000
    assert r2.outputs[0].events == ()
    assert r2.outputs[0].live[0].waiting == 10_000
    assert r2.outputs[0].live[0].longest_wait_s == (timedelta(seconds=1.5)).total_seconds()
