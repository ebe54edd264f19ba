"""Erlang C and Erlang A: published worked examples, an independent numerical check, properties.

Published example (Erlang C): Call Centre Helper, "Erlang C Formula - Made Simple With an Easy
Worked Example" (callcentrehelper.com): 100 calls in 30 minutes, average handle time 180 s,
target 80 % answered in 20 s. Traffic intensity 10 Erlangs; with 11 agents the probability of
waiting is 68.21 %, the service level 39.0 % and the ASA 122.8 s; 14 agents are the fewest
meeting 80/20 (88.8 %).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queuepulse.domain.erlang import (
    agents_needed,
    erlang_a,
    erlang_b,
    erlang_c,
    erlang_c_probability,
)

pytestmark = pytest.mark.unit

LAM = 100 / 1800  # 100 calls per half hour


def test_erlang_c_matches_the_call_centre_helper_worked_example() -> None:
    f = erlang_c(11, LAM, 180.0, 20.0)
    assert f.load_erlangs == pytest.approx(10.0)
    assert f.prob_wait == pytest.approx(0.6821, abs=5e-5)
    assert f.service_level_pct == pytest.approx(39.0, abs=0.05)
    assert f.asa_s == pytest.approx(122.8, abs=0.05)
    assert f.occupancy_pct == pytest.approx(90.9, abs=0.05)
    need = agents_needed(LAM, 180.0, 80.0, 20.0)
    assert need.agents == 14
    assert need.service_level_pct == pytest.approx(88.8, abs=0.05)
    # and 13 agents are not enough (79.6 %)
    assert erlang_c(13, LAM, 180.0, 20.0).service_level_pct == pytest.approx(79.6, abs=0.05)


def test_erlang_b_textbook_values() -> None:
    # Erlang B table (e.g. any teletraffic handbook): 10 Erlangs on 10 lines block 21.46 %,
    # 1 Erlang on 1 line 50 %.
    assert erlang_b(10, 10.0) == pytest.approx(0.2146, abs=5e-5)
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(0, 3.0) == 1.0


def test_hundreds_of_agents_and_thousands_of_calls_stay_finite() -> None:
    # 20,000 calls an hour with 5-minute calls: 1,667 Erlangs; no factorial overflow.
    lam = 20_000 / 3600
    c = erlang_c(1800, lam, 300.0, 20.0)
    assert 0 < c.prob_wait < 1
    assert 0 < c.service_level_pct <= 100
    a = erlang_a(1700, lam, 300.0, 90.0, 20.0)
    assert all(math.isfinite(v) for v in (a.prob_wait, a.service_level_pct, a.asa_s,
                                          a.abandon_pct, a.occupancy_pct))
    assert 0 <= a.abandon_pct <= 100
    # a heavily overloaded queue: almost everybody waits, many abandon, no overflow either
    over = erlang_a(200, lam, 300.0, 60.0, 20.0)
    assert over.prob_wait == pytest.approx(1.0, abs=1e-9)
    assert over.abandon_pct > 80


def _brute_force_erlang_a(n: int, lam: float, aht: float, patience: float,
                          target: float) -> tuple[float, float, float]:
    """(SL %, abandon %, P(wait)) from the truncated birth-death chain and a numerically
    integrated tagged caller — an independent route to the same figures."""
    mu, theta = 1.0 / aht, 1.0 / patience
    weights = [1.0]
    for k in range(1, n + 1):
        weights.append(weights[-1] * lam / (k * mu))
    j = 0
    while True:
        j += 1
        weights.append(weights[-1] * lam / (n * mu + j * theta))
        if weights[-1] < 1e-16 * sum(weights) and j > 5:
            break
    total = sum(weights)
    pi = [w / total for w in weights]
    queued = pi[n:]  # pi[n + j]: j callers queued
    p_wait = sum(queued)
    abandon = theta * sum(q * i for i, q in enumerate(queued)) / lam
    # tagged caller arriving to j queued starts at position j + 1
    size = len(queued)
    p = list(queued)  # p[k]: at position k + 1
    steps = 4000
    dt = target / steps

    def deriv(v: list[float]) -> tuple[list[float], float]:
        out = []
        for k in range(size):
            d = -(n * mu + k * theta + theta) * v[k]
            if k + 1 < size:
                d += (n * mu + (k + 1) * theta) * v[k + 1]
            out.append(d)
        return out, n * mu * v[0]

    served = 0.0
    for _ in range(steps):
        k1, s1 = deriv(p)
        k2, s2 = deriv([a + dt / 2 * b for a, b in zip(p, k1, strict=True)])
        k3, s3 = deriv([a + dt / 2 * b for a, b in zip(p, k2, strict=True)])
        k4, s4 = deriv([a + dt * b for a, b in zip(p, k3, strict=True)])
        p = [a + dt / 6 * (b + 2 * c + 2 * d + e)
             for a, b, c, d, e in zip(p, k1, k2, k3, k4, strict=True)]
        served += dt / 6 * (s1 + 2 * s2 + 2 * s3 + s4)
    return 100 * (1 - p_wait + served), 100 * abandon, p_wait


@pytest.mark.parametrize(
    ("n", "calls_per_hour", "aht", "patience", "target"),
    [(5, 80, 180, 120, 20), (12, 200, 180, 60, 30), (3, 60, 240, 300, 15), (8, 300, 90, 45, 10)],
)
def test_erlang_a_agrees_with_the_brute_force_chain(n: int, calls_per_hour: float, aht: float,
                                                    patience: float, target: float) -> None:
    lam = calls_per_hour / 3600
    f = erlang_a(n, lam, aht, patience, target)
    sl, abandon, p_wait = _brute_force_erlang_a(n, lam, aht, patience, target)
    assert f.prob_wait == pytest.approx(p_wait, rel=1e-9)
    assert f.abandon_pct == pytest.approx(abandon, rel=1e-9)
    assert f.service_level_pct == pytest.approx(sl, abs=1e-6)


loads = st.floats(min_value=0.0, max_value=3000.0)  # calls per hour
ahts = st.floats(min_value=10.0, max_value=900.0)
patiences = st.floats(min_value=5.0, max_value=3600.0)
targets = st.floats(min_value=0.0, max_value=120.0)
agents = st.integers(min_value=0, max_value=400)


@settings(max_examples=150, deadline=None)
@given(agents, loads, ahts, patiences, targets)
def test_more_agents_never_worsen_any_figure(n: int, calls_per_hour: float, aht: float,
                                             patience: float, target: float) -> None:
    lam = calls_per_hour / 3600
    for model in ("c", "a"):
        if model == "c":
            lo, hi = erlang_c(n, lam, aht, target), erlang_c(n + 1, lam, aht, target)
        else:
            lo = erlang_a(n, lam, aht, patience, target)
            hi = erlang_a(n + 1, lam, aht, patience, target)
        tol = 1e-7
        assert hi.service_level_pct >= lo.service_level_pct - tol, model
        assert hi.prob_wait <= lo.prob_wait + tol, model
        assert hi.abandon_pct <= lo.abandon_pct + tol, model
        assert hi.asa_s <= lo.asa_s * (1 + 1e-9) + tol, model
        assert hi.mean_wait_s <= lo.mean_wait_s * (1 + 1e-9) + tol, model
        for f in (lo, hi):
            assert 0 <= f.service_level_pct <= 100
            assert 0 <= f.abandon_pct <= 100
            assert 0 <= f.prob_wait <= 1
            assert 0 <= f.occupancy_pct <= 100


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=300), st.floats(min_value=0.05, max_value=0.97),
       ahts, targets)
def test_infinite_patience_turns_erlang_a_into_erlang_c(n: int, utilisation: float, aht: float,
                                                        target: float) -> None:
    lam = utilisation * n / aht
    c = erlang_c(n, lam, aht, target)
    assert erlang_a(n, lam, aht, math.inf, target) == c
    # and the limit is continuous: a patience a million times the handle time is Erlang C
    a = erlang_a(n, lam, aht, aht * 1e6, target)
    assert a.prob_wait == pytest.approx(c.prob_wait, abs=1e-4)
    assert a.service_level_pct == pytest.approx(c.service_level_pct, abs=1e-2)
    assert a.asa_s == pytest.approx(c.asa_s, rel=1e-3, abs=1e-3)
    assert a.abandon_pct < 1e-2


@given(agents, ahts, patiences, targets)
def test_zero_load_means_no_wait(n: int, aht: float, patience: float, target: float) -> None:
    for f in (erlang_c(n, 0.0, aht, target), erlang_a(n, 0.0, aht, patience, target)):
        assert f.prob_wait == 0
        assert f.asa_s == 0
        assert f.abandon_pct == 0
        assert f.service_level_pct == 100


@settings(max_examples=100, deadline=None)
@given(st.floats(min_value=0.5, max_value=2000.0), ahts, st.floats(min_value=50.0, max_value=95.0),
       targets, st.one_of(st.none(), patiences), st.floats(min_value=0.5, max_value=1.0))
def test_agents_needed_is_the_fewest_that_meet_the_target(
        calls_per_hour: float, aht: float, pct: float, target: float, patience: float | None,
        occupancy: float) -> None:
    lam = calls_per_hour / 3600
    need = agents_needed(lam, aht, pct, target, patience, occupancy)
    assert need.service_level_pct >= pct - 1e-6
    assert need.occupancy_pct <= 100 * occupancy + 1e-6
    if need.agents > 1:
        model = erlang_c if patience is None else None
        fewer = (model(need.agents - 1, lam, aht, target) if model is not None
                 else erlang_a(need.agents - 1, lam, aht, patience or 0, target))
        assert (fewer.service_level_pct < pct - 1e-9
                or fewer.occupancy_pct > 100 * occupancy + 1e-9)


def test_unstable_erlang_c_and_bad_input() -> None:
    f = erlang_c(5, 10 / 180, 180.0, 20.0)  # 10 Erlangs on 5 agents
    assert f.prob_wait == 1
    assert f.service_level_pct == 0
    assert math.isinf(f.asa_s)
    assert erlang_c_probability(10, 10.0) == 1.0
    cases = [
        (lambda: erlang_c(3, -1.0, 180, 20), "arrival rate"),
        (lambda: erlang_c(3, 1.0, 0.0, 20), "handle time"),
        (lambda: erlang_a(3, 1.0, 180, 0.0, 20), "patience"),
        (lambda: erlang_c(-1, 1.0, 180, 20), "agents"),
        (lambda: agents_needed(1.0, 180, 100.0, 20), "100 %"),
        (lambda: agents_needed(1.0, 180, 80, 20, None, 0.0), "occupancy"),
    ]
    for bad, message in cases:
        with pytest.raises(ValueError, match=message):
            bad()


def test_enormous_patience_is_fast_and_continuous() -> None:
    lam, aht = 200 / 3600, 180.0  # 10 Erlangs
    # stable: matches Erlang C on both sides of the switch to the limit
    below = erlang_a(14, lam, aht, 1.7e7, 20.0)  # still the series (y ~ 9.4e5)
    above = erlang_a(14, lam, aht, 2e7, 20.0)  # the limit
    c = erlang_c(14, lam, aht, 20.0)
    for f in (below, above):
        assert f.service_level_pct == pytest.approx(c.service_level_pct, abs=1e-3)
        assert f.asa_s == pytest.approx(c.asa_s, rel=1e-3)
    # abandonment falls as 1 / patience: the same E[wait] / patience on both sides
    assert above.abandon_pct * 2e7 == pytest.approx(below.abandon_pct * 1.7e7, rel=1e-3)
    # overloaded with a patience of a year: answers at once instead of a billion terms
    over = erlang_a(5, lam, aht, 3e7, 20.0)
    assert over.prob_wait == 1.0
    assert over.service_level_pct == 0.0
    assert over.abandon_pct == pytest.approx(50.0)
    near = erlang_a(5, lam, aht, 3e4, 20.0)  # the series, long but finite patience
    assert near.abandon_pct == pytest.approx(50.0, abs=0.5)
    assert near.asa_s / 3e4 == pytest.approx(over.asa_s / 3e7, rel=0.05)
