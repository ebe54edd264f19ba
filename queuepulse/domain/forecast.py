"""Arrival forecast per queue and 15-minute interval, in the site's time zone.

Method — a weekday x time-of-day profile times an adaptive level:

1. **Profile.** For a day ``d`` and quarter-hour ``s`` (local wall clock, 0..95), the profile
   ``P(d, s)`` is the weighted average of the arrivals in quarter-hour ``s`` on the same weekday
   in the previous ``weeks`` weeks, the most recent week weighing 1, the one before ``decay``,
   then ``decay^2``... Only complete days before the forecast's origin day count. A weekday
   with no history yet falls back to the average of quarter-hour ``s`` over the days there are
   (a time-of-day profile); no history at all forecasts 0.
2. **Level.** Traffic can run above or below its usual weekly shape (a campaign, a holiday, an
   outage). The level ``L = (A + k) / (E + k)`` compares the actual arrivals ``A`` of the last
   two complete days and of today's complete quarter-hours with what their profiles expected
   (``E``); ``k`` (``prior_calls``, default 20 calls) shrinks it towards 1 when little traffic
   backs it. It is clamped to 0.2..5.
3. **Forecast** ``F(d, s) = L * P(d, s)`` for the rest of today and the next ``horizon_days``.

Its error is measured by :func:`holdout_wape`: hold the last 7 complete days back, forecast
them from the days before, WAPE = sum |actual - forecast| / sum actual.

Intervals are the local quarter-hours of each day, so a day has 92, 96 or 100 of them around
daylight-saving changes; every interval is identified by its start in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "INTERVAL",
    "ForecastParams",
    "IntervalForecast",
    "day_intervals",
    "first_complete_day",
    "forecast_arrivals",
    "forecast_with_holdout",
    "holdout_wape",
    "interval_start",
    "local_slot",
    "wape",
]

INTERVAL = timedelta(minutes=15)
SLOTS_PER_DAY = 96


@dataclass(frozen=True, slots=True)
class ForecastParams:
    """Tuning of the forecast (the defaults are the documented method)."""

    weeks: int = 8
    decay: float = 0.7
    prior_calls: float = 20.0
    level_days: int = 2
    level_min: float = 0.2
    level_max: float = 5.0

    def __post_init__(self) -> None:
        if self.weeks < 1 or not 0 < self.decay <= 1 or self.prior_calls < 0:
            raise ValueError("weeks >= 1, 0 < decay <= 1 and prior_calls >= 0 are required")


@dataclass(frozen=True, slots=True)
class IntervalForecast:
    """Expected arrivals in one 15-minute interval."""

    interval_start: datetime
    calls: float
    #: The local date and quarter-hour (0..95) of the interval.
    local_date: date
    slot: int
    #: How many past days the profile value rests on (0: no history, forecast 0).
    basis_days: int
    level: float


def interval_start(at: datetime) -> datetime:
    """Start (UTC) of the 15-minute interval holding ``at``. Quarter-hours are the same in every
    time zone with whole-quarter offsets (all current ones)."""
    utc = at.astimezone(UTC)
    return utc.replace(minute=utc.minute - utc.minute % 15, second=0, microsecond=0)


def first_complete_day(first_seen: datetime, tz: ZoneInfo) -> date:
    """The first local day history covers completely when data start at ``first_seen``: its
    own day if that is the day's first quarter-hour, else the next (a partial first day would
    count its missing hours as quiet ones)."""
    day, slot = local_slot(first_seen, tz)
    return day if slot == 0 else day + timedelta(days=1)


def local_slot(at: datetime, tz: ZoneInfo) -> tuple[date, int]:
    """The local date and quarter-hour index (0..95) of an instant."""
    local = at.astimezone(tz)
    return local.date(), local.hour * 4 + local.minute // 15


def day_intervals(day: date, tz: ZoneInfo) -> list[datetime]:
    """UTC starts of the 15-minute intervals of local ``day`` (92/96/100 around DST)."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
    nxt = day + timedelta(days=1)
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz).astimezone(UTC)
    out = []
    t = start
    while t < end:
        out.append(t)
        t += INTERVAL
    return out


class _History:
    """Arrivals by (local date, slot); days from ``first_day`` on count as observed."""

    def __init__(self, counts: Mapping[datetime, float], tz: ZoneInfo,
                 first_day: date | None) -> None:
        self.tz = tz
        self.by_slot: dict[tuple[date, int], float] = {}
        for start, calls in counts.items():
            key = local_slot(start, tz)
            self.by_slot[key] = self.by_slot.get(key, 0.0) + float(calls)
        days = [d for d, _ in self.by_slot]
        self.first_day = first_day if first_day is not None else (min(days) if days else None)

    def get(self, day: date, slot: int) -> float:
        return self.by_slot.get((day, slot), 0.0)

    def observed(self, day: date, origin: date) -> bool:
        return self.first_day is not None and self.first_day <= day < origin

    def profile(self, day: date, slot: int, origin: date, p: ForecastParams) -> tuple[float, int]:
        """``P(day, slot)`` from complete days before ``origin``, and how many days it uses."""
        total = weight_sum = 0.0
        used = 0
        weight = 1.0
        k = 1
        while used < p.weeks and self.first_day is not None:
            past = day - timedelta(days=7 * k)
            if past < self.first_day:
                break
            if past < origin:
                total += weight * self.get(past, slot)
                weight_sum += weight
                used += 1
                weight *= p.decay
            k += 1
        if used:
            return total / weight_sum, used
        # no same weekday yet: the quarter-hour's average over the (at most 7) days there are
        days = [origin - timedelta(days=i) for i in range(1, 8)]
        seen = [d for d in days if self.observed(d, origin)]
        if not seen:
            return 0.0, 0
        return sum(self.get(d, slot) for d in seen) / len(seen), len(seen)


def _level(h: _History, origin: date, now_slot: int | None, p: ForecastParams) -> float:
    actual = expected = 0.0
    for i in range(1, p.level_days + 1):
        d = origin - timedelta(days=i)
        if not h.observed(d, origin):
            continue
        for s in range(SLOTS_PER_DAY):
            actual += h.get(d, s)
            expected += h.profile(d, s, d, p)[0]
    if now_slot is not None:
        for s in range(now_slot):
            actual += h.get(origin, s)
            expected += h.profile(origin, s, origin, p)[0]
    level = (actual + p.prior_calls) / (expected + p.prior_calls) if p.prior_calls or expected \
        else 1.0
    return min(p.level_max, max(p.level_min, level))


def forecast_arrivals(counts: Mapping[datetime, float], tz: ZoneInfo, now: datetime,
                      horizon_days: int = 7, params: ForecastParams = ForecastParams(),
                      first_day: date | None = None) -> list[IntervalForecast]:
    """Forecast the rest of today (from the interval holding ``now``) and ``horizon_days`` more.

    ``counts`` maps interval starts (any time zone) to arrivals; ``first_day`` is the first
    local day the history covers (default: the first day with an arrival) — days after it
    without arrivals count as zero-traffic days.
    """
    return _forecast(_History(counts, tz, first_day), now, horizon_days, params)


def forecast_with_holdout(counts: Mapping[datetime, float], tz: ZoneInfo, now: datetime,
                          horizon_days: int = 7, params: ForecastParams = ForecastParams(),
                          first_day: date | None = None,
                          holdout_days: int = 7) -> tuple[list[IntervalForecast], float | None]:
    """:func:`forecast_arrivals` and :func:`holdout_wape` over one reading of the history."""
    h = _History(counts, tz, first_day)
    return (_forecast(h, now, horizon_days, params),
            _holdout(h, local_slot(now, tz)[0], holdout_days, params))


def _forecast(h: _History, now: datetime, horizon_days: int,
              params: ForecastParams) -> list[IntervalForecast]:
    if horizon_days < 0:
        raise ValueError(f"horizon_days must be >= 0, got {horizon_days}")
    tz = h.tz
    origin, now_slot = local_slot(now, tz)
    level = _level(h, origin, now_slot, params)
    current = interval_start(now)
    out: list[IntervalForecast] = []
    for offset in range(horizon_days + 1):
        day = origin + timedelta(days=offset)
        for start in day_intervals(day, tz):
            if start < current:
                continue
            d, slot = local_slot(start, tz)
            value, basis = h.profile(d, slot, origin, params)
            out.append(IntervalForecast(start, level * value, d, slot, basis, level))
    return out


def holdout_wape(counts: Mapping[datetime, float], tz: ZoneInfo, today: date,
                 days: int = 7, params: ForecastParams = ForecastParams(),
                 first_day: date | None = None) -> float | None:
    """WAPE (%) of forecasting the last ``days`` complete days from the days before them.

    ``None`` when those days had no arrivals or there is no history before them.
    """
    return _holdout(_History(counts, tz, first_day), today, days, params)


def _holdout(h: _History, today: date, days: int, params: ForecastParams) -> float | None:
    # The forecast from the held-back days' first midnight reads only days before it.
    origin = today - timedelta(days=days)
    if h.first_day is None or h.first_day >= origin:
        return None
    start = datetime(origin.year, origin.month, origin.day, tzinfo=h.tz)
    predicted = _forecast(h, start, days - 1, params)
    actual = [h.get(f.local_date, f.slot) for f in predicted]
    return wape(actual, [f.calls for f in predicted])


def wape(actual: list[float], forecast: list[float]) -> float | None:
    """Weighted absolute percentage error: ``100 * sum |a - f| / sum a`` (None if sum a = 0)."""
    if len(actual) != len(forecast):
        raise ValueError("actual and forecast differ in length")
    total = sum(actual)
    if total <= 0:
        return None
    return 100.0 * sum(abs(a - f) for a, f in zip(actual, forecast, strict=True)) / total
