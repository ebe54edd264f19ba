"""The call-centre model: invariants, determinism, strategies, overflow, truth KPIs."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queuepulse.simulator.model import Engine, ModelConfig
from queuepulse.simulator.model.clock import SimClock
from queuepulse.simulator.model.truth import kpi_1m

pytestmark = pytest.mark.unit

T0 = 1_767_603_600_000  # 2026-01-05T09:00:00Z
QUIET = {"break_every_s": 1e9, "logout_every_s": 1e9, "unregister_every_s": 1e9,
         "logged_in_prob": 1.0, "noise_calls_per_min": 0.0}


def snapshot(engine: Engine) -> list[tuple[object, ...]]:
    return [(v.call.call_id, v.queue.dn, v.entered_ms, v.answered_ms, v.ended_ms, v.outcome,
             v.agent_dn) for v in engine.visits]


def check_invariants(engine: Engine) -> None:
    """State invariants that must hold after any event."""
    on_call = [a.call.id for a in engine.agents if a.call is not None]
    assert len(on_call) == len(set(on_call)), "an active call is held by two agents"
    holders = Counter(id(c.agent) for c in engine.active.values() if c.agent is not None)
    assert all(n == 1 for n in holders.values()), "an agent is on two calls"
    for call in engine.active.values():
        if call.agent is not None:
            assert call.agent.call is call
    # a call is active exactly while its record has no end (by identity: ids restart)
    active_records = {id(c.record) for c in engine.active.values()}
    assert len(active_records) == len(engine.active)
    for rec in engine.calls:
        assert (rec.ended_ms < 0) == (id(rec) in active_records), rec.call_id
    for q in engine.queues:
        live = sum(1 for c in engine.active.values()
                   if c.queue is q and c.agent is None and c.visit is not None
                   and c.visit.outcome == "waiting")
        assert q.n_waiting == live


def test_conservation_waits_and_timeline() -> None:
    engine = Engine(ModelConfig(queues=3, agents=8, calls_per_min_per_queue=4.0,
                                overflow_fraction=1.0, master_timeout_s=60, max_callers=5), T0)
    for step in range(1, 181):
        engine.advance_to(T0 + step * 20_000)
        check_invariants(engine)
    outcomes = Counter(v.outcome for v in engine.visits)
    assert outcomes["answered"] > 50
    assert outcomes["abandoned"] > 0
    assert outcomes["transferred"] > 0
    for v in engine.visits:
        assert v.entered_ms >= v.call.established_ms
        if v.outcome == "waiting":
            assert v.ended_ms < 0
            assert v.answered_ms < 0
        else:
            assert v.wait_ms >= 0
        if v.answered_ms >= 0:
            assert v.outcome == "answered"
            assert v.agent_dn is not None
            assert v.ended_ms < 0 or v.ended_ms >= v.answered_ms
    # every ended call has a reason; every queue call's visits are chained in time
    for rec in engine.calls:
        if rec.ended_ms >= 0:
            assert rec.end_reason in {"completed", "abandoned", "rejected", "unanswered"}
        times = [ms for ms, *_ in rec.events]
        assert times == sorted(times)
        for a, b in zip(rec.visits, rec.visits[1:], strict=False):
            assert a.ended_ms >= 0
            assert b.entered_ms >= a.ended_ms
            assert b.entry_queue_dn == rec.visits[0].queue.dn
    # conservation per queue: offered = answered + abandoned + transferred + still waiting
    for q in engine.queues:
        mine = [v for v in engine.visits if v.queue is q]
        by = Counter(v.outcome for v in mine)
        assert len(mine) == by["answered"] + by["abandoned"] + by["transferred"] + by["waiting"]


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), chunks=st.lists(st.integers(1, 400_000), min_size=1,
                                                    max_size=12))
def test_seeded_runs_identical_whatever_the_stepping(seed: int, chunks: list[int]) -> None:
    cfg = ModelConfig(seed=seed, queues=2, agents=5, calls_per_min_per_queue=3.0)
    end = T0 + sum(chunks)
    one = Engine(cfg, T0)
    one.advance_to(end)
    two = Engine(cfg, T0)
    t = T0
    for c in chunks:
        t += c
        two.advance_to(t)
        check_invariants(two)
    assert snapshot(one) == snapshot(two)
    assert one.agent_states == two.agent_states


def test_different_seeds_differ() -> None:
    a, b = Engine(ModelConfig(seed=1), T0), Engine(ModelConfig(seed=2), T0)
    a.advance_to(T0 + 3_600_000)
    b.advance_to(T0 + 3_600_000)
    assert snapshot(a) != snapshot(b)


def _run_strategy(strategy: str) -> Counter[str | None]:
    cfg = ModelConfig(queues=1, agents=4, queues_per_agent=1, strategies=(strategy,),
                      calls_per_min_per_queue=0.5, aht_s=20, wrapup_s=0, patience_s=10_000,
                      short_abandon_prob=0.0, transfer_prob=0.0, **QUIET)
    engine = Engine(cfg, T0)
    engine.advance_to(T0 + 4 * 3_600_000)
    return Counter(v.agent_dn for v in engine.visits if v.outcome == "answered")


def test_hunt_prefers_the_first_agent() -> None:
    answered = _run_strategy("Hunt")
    assert answered.most_common(1)[0][0] == "1000"
    assert answered["1000"] > 0.8 * sum(answered.values())


def test_longest_waiting_and_ring_all_spread_calls() -> None:
    for strategy in ("LongestWaiting", "RingAll", "NextAgent", "FewestAnswered"):
        answered = _run_strategy(strategy)
        assert len(answered) == 4, strategy
        assert max(answered.values()) < 0.5 * sum(answered.values()), strategy


def test_longest_waiting_rotates_in_order() -> None:
    cfg = ModelConfig(queues=1, agents=3, queues_per_agent=1, strategies=("LongestWaiting",),
                      calls_per_min_per_queue=0.2, aht_s=5, wrapup_s=0, patience_s=10_000,
                      short_abandon_prob=0.0, transfer_prob=0.0, **QUIET)
    engine = Engine(cfg, T0)
    engine.advance_to(T0 + 3 * 3_600_000)
    agents = [v.agent_dn for v in engine.visits if v.outcome == "answered"]
    # after the first three calls, each call goes to the agent idle the longest: a rotation
    assert agents[3:12] == agents[0:3] * 3


def _gaps_between_queue_calls(wrapup_s: int) -> list[int]:
    """Per agent, ms from the end of one answered queue call to the answer of the next."""
    cfg = ModelConfig(queues=1, agents=3, queues_per_agent=1, calls_per_min_per_queue=6.0,
                      aht_s=60, wrapup_s=wrapup_s, patience_s=10_000, short_abandon_prob=0.0,
                      transfer_prob=0.0, **QUIET)
    engine = Engine(cfg, T0)
    engine.advance_to(T0 + 2 * 3_600_000)
    by_agent: dict[str | None, list[tuple[int, int]]] = {}
    for v in engine.visits:
        if v.outcome == "answered" and v.talk_ms >= 0:
            by_agent.setdefault(v.agent_dn, []).append((v.answered_ms,
                                                        v.answered_ms + v.talk_ms))
    gaps = []
    for calls in by_agent.values():
        calls.sort()
        gaps += [nxt[0] - prev[1] for prev, nxt in pairwise(calls)]
    return gaps


def test_wrapup_keeps_an_agent_from_the_next_queue_call() -> None:
    loaded = _gaps_between_queue_calls(wrapup_s=0)
    assert len(loaded) > 50
    assert min(loaded) < 30_000  # without wrap-up, a busy agent gets the next call at once
    gaps = _gaps_between_queue_calls(wrapup_s=30)
    assert len(gaps) > 50
    assert min(gaps) >= 30_000


def test_overflow_moves_calls_on_and_keeps_entry_queue() -> None:
    cfg = ModelConfig(queues=2, agents=2, queues_per_agent=1, overflow_fraction=1.0,
                      master_timeout_s=30, calls_per_min_per_queue=2.0, patience_s=10_000,
                      short_abandon_prob=0.0, transfer_prob=0.0, **QUIET)
    engine = Engine(cfg, T0)
    # agent 0 serves queue 0 only, agent 1 queue 1 only: make queue 0 agentless
    engine.queues[0].agents.clear()
    engine.queues[1].overflow_to = -1
    for agent in engine.agents:
        agent.queues = [1]
        if agent.index not in engine.queues[1].agents:
            engine.queues[1].agents.append(agent.index)
    engine.advance_to(T0 + 3_600_000)
    moved = [v for v in engine.visits if v.queue.dn == "800"]
    assert moved
    assert all(v.outcome in ("transferred", "waiting") for v in moved)
    done = [v for v in moved if v.outcome == "transferred"]
    assert all(v.ended_ms - v.entered_ms == 30_000 for v in done)
    nxt = [r.visits[1] for r in engine.calls if len(r.visits) > 1 and r.visits[0].queue.dn == "800"]
    assert nxt
    assert all(v.queue.dn == "801" and v.entry_queue_dn == "800" for v in nxt)
    assert all(v.entered_ms - r.ended_ms == 1500 for v, r in
               ((r.visits[1], r.visits[0]) for r in engine.calls if len(r.visits) > 1
                and r.visits[0].queue.dn == "800"))


def test_max_callers_rejects_when_full_without_overflow() -> None:
    cfg = ModelConfig(queues=1, agents=0, max_callers=2, calls_per_min_per_queue=5.0,
                      patience_s=10_000, short_abandon_prob=0.0, noise_calls_per_min=0.0)
    engine = Engine(cfg, T0)
    engine.advance_to(T0 + 600_000)
    assert engine.queues[0].n_waiting == 2
    assert sum(1 for c in engine.calls if c.end_reason == "rejected") > 5
    assert len(engine.visits) == 2


def test_answered_callee_modes_and_statuses() -> None:
    for mode in ("queue", "agent"):
        cfg = ModelConfig(queues=2, agents=6, answered_callee=mode, waiting_status="Routing",
                          noise_calls_per_min=0.0, transfer_prob=0.0)
        engine = Engine(cfg, T0)
        engine.advance_to(T0 + 1_800_000)
        statuses = Counter(c.status for c in engine.active.values())
        assert set(statuses) <= {"Routing", "Talking", "Transferring", "Rerouting"}
        for c in engine.active.values():
            if c.status == "Routing":
                assert c.callee == c.queue.label
            if c.status == "Talking":
                want = c.queue.label if mode == "queue" else c.agent.label
                assert c.callee == want
                assert c.status_ms == c.visit.answered_ms


def test_drop_and_restart_start_ids_over() -> None:
    engine = Engine(ModelConfig(calls_per_min_per_queue=3.0), T0)
    engine.advance_to(T0 + 600_000)
    some = next(iter(engine.active))
    assert engine.drop_call(some)
    assert some not in engine.active
    assert not engine.drop_call(-5)
    assert engine.next_call_id > 10
    engine.restart()
    assert not engine.active
    assert engine.next_call_id == 1
    check_invariants(engine)
    assert all(c.ended_ms >= 0 for c in engine.calls)
    engine.advance_to(T0 + 900_000)
    after = [c.call_id for c in engine.calls if c.established_ms > T0 + 600_000]
    assert after[0] == 1


def test_truth_kpis_sum_to_visit_counts() -> None:
    engine = Engine(ModelConfig(queues=3, agents=8, calls_per_min_per_queue=4.0), T0)
    engine.advance_to(T0 + 2 * 3_600_000)
    lo, hi = T0 + 600_000, T0 + 3_600_000
    rows = kpi_1m(engine.visits, lo, hi, "p1", short_abandon_s=5)
    visits = engine.visits
    assert sum(r["offered"] for r in rows) == sum(1 for v in visits if lo <= v.entered_ms < hi)
    assert sum(r["answered"] for r in rows) == sum(
        1 for v in visits if v.answered_ms >= 0 and lo <= v.answered_ms < hi)
    assert sum(r["abandoned"] for r in rows) == sum(
        1 for v in visits if v.outcome == "abandoned" and lo <= v.ended_ms < hi)
    assert sum(r["short_abandoned"] for r in rows) == sum(
        1 for v in visits if v.outcome == "abandoned" and lo <= v.ended_ms < hi
        and v.wait_ms <= 5000)
    for r in rows:
        assert r["answered_in_sla"] <= r["answered"]
        denom = r["answered"] + r["abandoned"] - r["short_abandoned"]
        if denom:
            assert r["sla_pct"] == pytest.approx(100 * r["answered_in_sla"] / denom)
        else:
            assert r["sla_pct"] is None
        assert (r["asa_s"] is None) == (r["answered"] == 0)
        assert set(r) >= {"pbx_id", "queue_dn", "bucket", "offered", "answered", "abandoned",
                          "short_abandoned", "answered_in_sla", "sla_pct", "asa_s",
                          "max_wait_s", "avg_talk_s"}


def test_office_profile_shapes_arrivals() -> None:
    cfg = ModelConfig(queues=2, agents=10, profile="office", calls_per_min_per_queue=2.0)
    midnight = T0 - 9 * 3_600_000
    engine = Engine(cfg, midnight)
    engine.advance_to(midnight + 24 * 3_600_000)
    per_hour = Counter((v.entered_ms - midnight) // 3_600_000 for v in engine.visits
                       if v.entry_queue_dn == v.queue.dn and v is v.call.visits[0])
    assert per_hour[10] > 5 * max(per_hour[2], 1)


def test_agents_take_breaks_and_log_out() -> None:
    cfg = ModelConfig(queues=2, agents=10, break_every_s=600, break_mean_s=120,
                      logout_every_s=1800, logout_mean_s=300)
    engine = Engine(cfg, T0)
    engine.advance_to(T0 + 4 * 3_600_000)
    profiles = {p for _, _, _, p, _, _ in engine.agent_states}
    statuses = {s for _, _, s, _, _, _ in engine.agent_states}
    assert profiles == {"Available", "Away"}
    assert statuses == {"LoggedIn", "LoggedOut"}
    assert any(end >= 0 for _, _, end in engine.logins)
    # an agent on a call never logs out or breaks mid-call
    for v in engine.visits:
        if v.answered_ms >= 0 and v.ended_ms >= 0:
            dn = v.agent_dn
            changes = [s for s in engine.agent_states
                       if s[1] == dn and v.answered_ms < s[0] < v.ended_ms]
            assert all(s[2] == "LoggedIn" and s[3] == "Available" for s in changes)


def test_clock_speed_and_manual_mode() -> None:
    wall = [100.0]
    clock = SimClock(T0, speed=10.0, wall=lambda: wall[0])
    wall[0] += 1.5
    assert clock.now_ms() == T0 + 15_000
    assert clock.advance(5) == T0 + 20_000
    manual = SimClock(T0, manual=True, wall=lambda: wall[0])
    wall[0] += 100
    assert manual.now_ms() == T0
    assert manual.advance(2.5) == T0 + 2_500
    with pytest.raises(ValueError, match="forward"):
        manual.advance(-1)


def test_prune_forgets_old_history_only() -> None:
    engine = Engine(ModelConfig(queues=2, agents=8, calls_per_min_per_queue=3.0), T0)
    engine.advance_to(T0 + 3_600_000)
    cut = T0 + 1_800_000
    before = len(engine.calls)
    dropped = engine.prune(cut)
    assert 0 < dropped < before
    assert all(c.ended_ms < 0 or c.ended_ms >= cut for c in engine.calls)
    assert all(v.call.ended_ms < 0 or v.call.ended_ms >= cut for v in engine.visits)
    assert all(s.record.ended_ms < 0 or s.record.ended_ms >= cut for s in engine.segments)
    assert all(a[0] >= cut for a in engine.agent_states)
    check_invariants(engine)
    engine.advance_to(T0 + 4_000_000)
    check_invariants(engine)


def test_agents_make_outbound_calls_and_are_busy_meanwhile() -> None:
    engine = Engine(ModelConfig(queues=2, agents=6, noise_calls_per_min=6.0,
                                agent_noise_share=0.5), T0)
    agent_dns = {a.dn for a in engine.agents}
    seen = 0
    for step in range(1, 121):
        engine.advance_to(T0 + step * 15_000)
        check_invariants(engine)
        for c in engine.active.values():
            if c.kind == "outbound" and c.record.caller_number in agent_dns:
                seen += 1
                assert c.agent is not None
                assert c.agent.busy
                assert c.agent.call is c
    assert seen > 0
    mine = [c for c in engine.calls if c.kind == "outbound" and c.caller_number in agent_dns]
    assert any(c.ended_ms >= 0 for c in mine)
