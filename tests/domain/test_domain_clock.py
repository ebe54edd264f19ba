"""A jumpy PBX clock: single polls off by +30 s / -20 s, and clock steps, keep every call.

A seeded call centre (a call every 3 s, half answered, half abandoned) is polled every second;
``ServerNow`` is falsified on some polls. Every call must be kept with the right outcome and a
wait within one poll interval of the truth, every odd poll recorded as a clock anomaly, and no
good poll skipped as stale.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from domain_scenarios import CALLER, PBX, at, run

from queuepulse.domain.lifecycle import call_key_of
from queuepulse.domain.snapshot import ActiveCallRow, Poll

pytestmark = pytest.mark.unit

POLL_S = 1.0


def _truth(calls: int) -> list[tuple[int, float, float, bool]]:
    """(call id, arrival, wait, answered) per call (seconds after T0)."""
    return [(i + 1, 3.0 * i + 0.3, 4.0 + (i % 7) + 0.25, i % 2 == 0) for i in range(calls)]


def _polls(
    calls: int, duration: int, server_now_offset: Callable[[int], float],
    pbx_clock_offset: Callable[[int], float] = lambda _t: 0.0,
) -> list[Poll]:
    """Polls at T0+1, +2, ... s (receive time = the real time). ``pbx_clock_offset(t)`` shifts
    every PBX time (an NTP step moves the whole clock); ``server_now_offset(t)`` only
    ``ServerNow`` (a bad poll)."""
    truth = _truth(calls)
    out = []
    for t in range(1, duration + 1):
        shift = pbx_clock_offset(t)
        rows = []
        for call_id, arrive, wait, answered in truth:
            end = arrive + wait + (10.0 if answered else 0.0)
            if not arrive <= t < end:
                continue
            talking = answered and t >= arrive + wait
            changed = arrive + wait if talking else arrive
            rows.append(ActiveCallRow(
                id=call_id, caller=CALLER, callee="800 Sales",
                status="Talking" if talking else "Ringing",
                last_change_status=at(changed + shift), established_at=at(arrive + shift),
                server_now=at(t + shift + server_now_offset(t)),
            ))
        out.append(Poll(PBX, at(t), tuple(rows)))
    return out


def _check_every_call(polls: list[Poll], calls: int, *, settled_after: float = 0.0) -> None:
    r = run(polls)
    assert r.state is not None
    assert r.state.counters.stale == 0
    visits = {v.call_id: v for v in r.visits}
    assert sorted(visits) == [c for c, *_ in _truth(calls)]  # every call, one visit each
    for call_id, arrive, wait, answered in _truth(calls):
        visit = visits[call_id]
        assert visit.outcome == ("answered" if answered else "abandoned"), call_id
        if arrive < settled_after:
            continue
        assert visit.wait_s is not None
        assert abs(visit.wait_s - wait) <= POLL_S + 1e-6, (call_id, visit.wait_s, wait)


def test_single_polls_off_by_plus_30_or_minus_20_keep_every_call() -> None:
    rnd = random.Random(15)
    odd = {t: rnd.choice((30.0, -20.0)) for t in range(1, 181) if rnd.random() < 0.05}
    assert len(odd) >= 5
    polls = _polls(55, 180, lambda t: odd.get(t, 0.0))
    r = run(polls)
    assert r.state is not None
    assert r.state.counters.clock_anomalies == len(odd)
    assert r.state.counters.stale == 0
    assert r.state.counters.applied == 180
    jumps = [e for e in r.events_of("anomaly") if e.details.get("kind") == "clock_jump"]
    assert len(jumps) == len(odd)
    assert {e.details["offset_s"] for e in jumps} <= {30.0, -20.0}
    # no event of any call is dated by a falsified ServerNow
    assert max(e.occurred_at for e in r.events) <= at(181)
    _check_every_call(polls, 55)


def test_one_poll_far_in_the_future_does_not_make_later_polls_stale() -> None:
    polls = _polls(20, 70, lambda t: 5e8 if t == 10 else 0.0)
    r = run(polls)
    assert r.state is not None
    assert r.state.counters.stale == 0
    assert max(e.occurred_at for e in r.events) <= at(71)
    _check_every_call(polls, 20)


@pytest.mark.parametrize("step_s", [30.0, -20.0])
def test_a_clock_step_is_followed(step_s: float) -> None:
    polls = _polls(50, 170, lambda _t: 0.0, lambda t: step_s if t >= 60 else 0.0)
    r = run(polls)
    assert r.state is not None
    steps = [e for e in r.events_of("anomaly") if e.details.get("kind") == "clock_step"]
    assert len(steps) == 1  # followed once, then the new clock is the clock
    assert r.state.skew_s == pytest.approx(step_s)
    assert r.state.counters.stale == 0
    # calls that began after the step settled (3 polls) are timed exactly as before
    _check_every_call(polls, 50, settled_after=60 + 3 + 1)


def test_a_repeated_answer_is_still_stale() -> None:
    polls = _polls(5, 20, lambda _t: 0.0)
    # a proxy's cached answer: the 10th poll's body again, received half a second later
    repeated = [*polls[:10], Poll(PBX, at(10.5), polls[9].calls), *polls[10:]]
    r = run(repeated)
    assert r.state is not None
    assert r.state.counters.stale == 1
    assert call_key_of(1, at(0.3)) in {v.call_key for v in r.visits}


def test_a_pbx_clock_at_another_rate_is_no_anomaly_even_across_a_pause() -> None:
    """A sped-up simulator (10 PBX seconds per local second) not polled for 3 local seconds (a
    restart: 30 PBX seconds): the expectation follows the clock's rate; a real jump is still
    one."""
    polls = _polls(30, 90, lambda t: 30.0 if t == 80 else 0.0)
    fast = [Poll(PBX, at(t / 10), p.calls) for t, p in enumerate(polls, start=1)
            if not 40 < t <= 70]
    r = run(fast)
    assert r.state is not None
    assert r.state.counters.clock_anomalies == 1
    assert r.state.counters.stale == 0
