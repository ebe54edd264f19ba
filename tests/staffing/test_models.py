"""Patience estimate, expected wait and arrival forecast (pure domain, seeded data)."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queuepulse.domain.expected_wait import (
    WaitingCaller,
    expected_remaining_wait,
    predict_waits,
)
from queuepulse.domain.forecast import (
    ForecastParams,
    day_intervals,
    forecast_arrivals,
    forecast_with_holdout,
    holdout_wape,
    interval_start,
    local_slot,
    wape,
)
from queuepulse.domain.patience import estimate_patience, estimate_talk_time
from queuepulse.domain.staffing import staffing_table

pytestmark = pytest.mark.unit

UTC_ZONE = ZoneInfo("UTC")


# ---------------------------------------------------------------- patience
def test_patience_mle_recovers_the_mean_from_censored_waits() -> None:
    rng = random.Random(7)
    true_mean = 90.0
    abandons = answered = 0
    wait_ab = wait_ans = 0.0
    for _ in range(20_000):
        patience = rng.expovariate(1 / true_mean)
        wait_needed = rng.expovariate(1 / 60.0)  # when an agent would answer
        if patience < wait_needed:
            abandons += 1
            wait_ab += patience
        else:
            answered += 1
            wait_ans += wait_needed
    est = estimate_patience(abandons, answered, wait_ab, wait_ans)
    assert est.mean_s == pytest.approx(true_mean, rel=0.05)
    assert est.low_s is not None
    assert est.high_s is not None
    assert est.low_s < true_mean < est.high_s
    assert est.visits == 20_000
    assert est.abandons == abandons


def test_patience_without_abandons_is_unknown_but_bounded() -> None:
    est = estimate_patience(0, 40, 0.0, 1200.0)
    assert est.mean_s is None
    assert est.low_s is None
    assert est.lower_bound_s == pytest.approx(400.0)
    with pytest.raises(ValueError, match="must be >= 0"):
        estimate_patience(-1, 0, 0, 0)
    assert estimate_talk_time(900.0, 5).mean_s == 180.0
    assert estimate_talk_time(0.0, 0).mean_s is None


# ---------------------------------------------------------------- expected wait
def test_expected_wait_formula() -> None:
    # no abandonment: caller 3rd in line, 2 agents all busy, AHT 120: 3 answers at rate 2/120
    assert expected_remaining_wait(3, 2, 0, 120.0) == pytest.approx(180.0)
    # free agents answer the first callers at once
    assert expected_remaining_wait(2, 4, 2, 120.0) == 0.0
    assert expected_remaining_wait(3, 4, 2, 120.0) == pytest.approx(30.0)
    # with patience the line ahead shrinks faster: 1/(n mu) + 1/(n mu + theta) + ...
    expected = 1 / (2 / 120) + 1 / (2 / 120 + 1 / 60) + 1 / (2 / 120 + 2 / 60)
    assert expected_remaining_wait(3, 2, 0, 120.0, 60.0) == pytest.approx(expected)
    assert expected_remaining_wait(1, 0, 0, 120.0) is None


@given(st.integers(1, 50), st.integers(1, 40), st.floats(10, 900),
       st.one_of(st.none(), st.floats(5, 3600)))
def test_expected_wait_grows_with_position_and_shrinks_with_agents(
        position: int, agents: int, aht: float, patience: float | None) -> None:
    w = expected_remaining_wait(position, agents, 0, aht, patience)
    assert w is not None
    assert w > 0
    assert expected_remaining_wait(position + 1, agents, 0, aht, patience) > w  # type: ignore[operator]
    assert expected_remaining_wait(position, agents + 1, 0, aht, patience) < w  # type: ignore[operator]


def test_predict_waits_ranks_callers_by_entry() -> None:
    t0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
    callers = [WaitingCaller("p", f"k{i}", "800", t0 + timedelta(seconds=s))
               for i, s in enumerate((30, 0, 10))]
    out = predict_waits(callers, t0 + timedelta(minutes=1), 2, 0, 120.0, None)
    assert [(p.call_key, p.position) for p in out] == [("k1", 1), ("k2", 2), ("k0", 3)]
    assert [p.expected_wait_s for p in out] == pytest.approx([60.0, 120.0, 180.0])


# ---------------------------------------------------------------- forecast
#: a weekday x hour profile (calls per 15 minutes): office hours, Monday busiest, quiet weekend
def _expected(day: date, slot: int) -> float:
    hour = slot // 4
    office = 8 <= hour < 18
    base = 6.0 if office else 0.4
    if 12 <= hour < 13:
        base *= 0.6
    weekday = day.weekday()
    factor = (1.4, 1.1, 1.0, 1.0, 0.9, 0.3, 0.15)[weekday]
    return base * factor


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method is fine for these small means
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _history(weeks: int, first: date, tz: ZoneInfo, seed: int = 3,
             scale: float = 1.0) -> dict[datetime, float]:
    rng = random.Random(seed)
    counts: dict[datetime, float] = {}
    for i in range(weeks * 7):
        day = first + timedelta(days=i)
        for start in day_intervals(day, tz):
            counts[start] = _poisson(rng, scale * _expected(*local_slot(start, tz)))
    return counts


def test_forecast_error_on_a_held_back_simulated_week() -> None:
    tz = ZoneInfo("Europe/Berlin")
    first = date(2026, 1, 5)  # a Monday
    counts = _history(9, first, tz)
    today = first + timedelta(weeks=9)
    error = holdout_wape(counts, tz, today)
    # the best any forecast can do is the true means; Poisson noise alone costs this much
    held = [s for s in counts if local_slot(s, tz)[0] >= today - timedelta(days=7)]
    oracle = wape([counts[s] for s in held], [_expected(*local_slot(s, tz)) for s in held])
    assert error is not None
    assert oracle is not None
    print(f"\nheld-back week WAPE {error:.1f} % (oracle with the true profile {oracle:.1f} %)")
    assert error < oracle + 8.0
    # better than the seasonal-naive forecast (last week's same quarter-hour) ...
    naive = wape([counts[s] for s in held], [counts[s - timedelta(weeks=1)] for s in held])
    assert naive is not None
    assert error < naive - 5.0
    # ... and than a profile of one week only
    one_week = holdout_wape(counts, tz, today, params=ForecastParams(weeks=1))
    assert one_week is not None
    assert error < one_week


def test_forecast_adapts_its_level_and_covers_today_and_a_week() -> None:
    tz = ZoneInfo("America/New_York")
    first = date(2026, 2, 2)
    counts = _history(6, first, tz)
    today = first + timedelta(weeks=6)
    # the last two days and this morning run 50 % busier than usual
    busy = _history(1, today - timedelta(days=2), tz, seed=11, scale=1.5)
    for start, calls in busy.items():
        day = local_slot(start, tz)[0]
        if day < today or local_slot(start, tz)[1] < 44:
            counts[start] = calls
    now = datetime(today.year, today.month, today.day, 11, 5, tzinfo=tz)
    out = forecast_arrivals(counts, tz, now, horizon_days=7)
    assert out[0].interval_start == interval_start(now)
    assert out[0].slot == 44
    assert out[0].local_date == today
    assert {f.local_date for f in out} == {today + timedelta(days=i) for i in range(8)}
    assert out[0].level == pytest.approx(1.5, abs=0.2)
    assert all(f.basis_days == 6 or f.local_date > today for f in out)
    monday_10 = [f for f in out if f.local_date.weekday() == 0 and f.slot == 40]
    assert monday_10
    assert monday_10[0].calls == pytest.approx(1.5 * _expected(date(2026, 3, 16),
                                                                             40), rel=0.35)


def test_forecast_with_little_or_no_history() -> None:
    now = datetime(2026, 3, 4, 10, tzinfo=UTC)
    assert all(f.calls == 0 and f.basis_days == 0
               for f in forecast_arrivals({}, UTC_ZONE, now, horizon_days=1))
    # two days of history: the time-of-day average stands in for the missing weekdays
    counts = {datetime(2026, 3, d, 10, tzinfo=UTC): 8.0 for d in (2, 3)}
    out = forecast_arrivals(counts, UTC_ZONE, now, horizon_days=0)
    assert out[0].basis_days == 2
    assert out[0].calls > 0
    assert holdout_wape(counts, UTC_ZONE, now.date()) is None


def test_daylight_saving_days_have_92_and_100_quarter_hours() -> None:
    tz = ZoneInfo("Europe/Berlin")
    assert len(day_intervals(date(2026, 3, 29), tz)) == 92
    assert len(day_intervals(date(2026, 10, 25), tz)) == 100
    assert len(day_intervals(date(2026, 6, 1), tz)) == 96
    assert day_intervals(date(2026, 6, 1), tz)[0] == datetime(2026, 5, 31, 22, tzinfo=UTC)


# ---------------------------------------------------------------- calculator table
def test_staffing_table_spans_n_minus_2_to_n_plus_2() -> None:
    need, rows = staffing_table(200.0, 180.0, 80.0, 20.0)
    assert need.agents == 14
    assert [r.agents for r in rows] == [12, 13, 14, 15, 16]
    need, rows = staffing_table(1.0, 180.0, 80.0, 20.0)
    assert rows[0].agents == max(0, need.agents - 2)


def test_forecast_with_holdout_reads_the_history_once_with_the_same_result() -> None:
    tz = ZoneInfo("Europe/Berlin")
    counts = _history(3, date(2026, 3, 2), tz)
    now = datetime(2026, 3, 24, 9, 40, tzinfo=UTC)
    both, error = forecast_with_holdout(counts, tz, now, horizon_days=2)
    assert both == forecast_arrivals(counts, tz, now, horizon_days=2)
    assert error == holdout_wape(counts, tz, local_slot(now, tz)[0])
    assert error is not None
