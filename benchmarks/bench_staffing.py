"""Staffing: how long planning 1,000 queues x 96 intervals takes, and how good the models are.

Usage: .venv/bin/python benchmarks/bench_staffing.py [--queues 1000] [--intervals 96]
                                                    [--sim-hours 400] [--skip-sim]

1. Agents needed (Erlang A; Erlang C for a tenth of the queues, "no patience measured") and the
   prediction with the staffing present, for every queue and 15-minute interval of a day: the
   forecast job's per-run work. Queues get seeded sizes (peak 5 to 600 calls an hour, an office
   day profile), handle times 90-420 s, patience 30-300 s, SLA 20 or 30 s, target 80 %.
2. The arrival forecast (rest of today + 7 days, and the held-back-week error) for the same
   number of queues with 8 weeks of history.
3. The forecast's WAPE on a held-back simulated week with a known weekday x time-of-day profile,
   beside the best possible (the true means) and the seasonal-naive forecast.
4. Against the simulator: predicted vs measured SLA %, abandon % and ASA over long steady-load
   runs, and the expected-wait mean absolute error (``queuepulse.staffing.simcheck``).

CPU time is printed beside wall time (the machine's 2 cores are shared).
"""

from __future__ import annotations

import argparse
import math
import random
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from queuepulse.domain.forecast import (
    day_intervals,
    forecast_arrivals,
    forecast_with_holdout,
    holdout_wape,
    local_slot,
    wape,
)
from queuepulse.domain.staffing import StaffingInputs, plan_interval
from queuepulse.simulator.model.config import OFFICE_PROFILE

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def _timed(label: str, work: int, unit: str, fn: object) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()  # type: ignore[operator]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label}: {wall:.1f} s wall, {cpu:.1f} s CPU for {work:,} {unit} "
          f"({1e6 * cpu / work:.0f} us CPU each)")


def bench_staffing(queues: int, intervals: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    plans = []
    for q in range(queues):
        peak = math.exp(rng.uniform(math.log(5), math.log(600)))  # calls an hour at peak
        inputs = StaffingInputs(
            aht_s=rng.uniform(90, 420),
            patience_s=None if rng.random() < 0.1 else rng.uniform(30, 300),
            sla_s=rng.choice((20.0, 30.0)), target_pct=80.0, max_occupancy=0.85)
        logged_in = float(rng.randint(0, 40))
        for i in range(intervals):
            calls = peak / 4 * OFFICE_PROFILE[(i // 4) % 24] * rng.uniform(0.8, 1.2)
            plans.append((str(q), T0 + timedelta(minutes=15 * i), calls, inputs, logged_in))

    def run() -> None:
        for dn, start, calls, inputs, have in plans:
            plan_interval("bench", dn, start, T0, "forecast", calls, inputs, have, have)

    _timed(f"staffing {queues} queues x {intervals} intervals", len(plans),
           "queue-intervals", run)


def _expected(day: date, slot: int) -> float:
    hour = slot // 4
    base = (6.0 if 8 <= hour < 18 else 0.4) * (0.6 if hour == 12 else 1.0)
    return base * (1.4, 1.1, 1.0, 1.0, 0.9, 0.3, 0.15)[day.weekday()]


def _history(tz: ZoneInfo, weeks: int, seed: int, scale: float = 1.0) -> dict[datetime, float]:
    rng = random.Random(seed)
    first = date(2026, 1, 5)
    counts: dict[datetime, float] = {}
    for i in range(weeks * 7):
        for start in day_intervals(first + timedelta(days=i), tz):
            mean = scale * _expected(*local_slot(start, tz))
            # Poisson by inversion (small means)
            u, k, p = rng.random(), 0, math.exp(-mean)
            cdf = p
            while u > cdf:
                k += 1
                p *= mean / k
                cdf += p
            counts[start] = k
    return counts


def bench_forecast(queues: int) -> None:
    tz = ZoneInfo("Europe/Berlin")
    histories = [_history(tz, 8, seed) for seed in range(min(queues, 20))]
    now = datetime(2026, 3, 2, 10, 7, tzinfo=tz)

    def run() -> None:
        for q in range(queues):
            counts = histories[q % len(histories)]
            forecast_with_holdout(counts, tz, now, horizon_days=7)

    _timed(f"forecast {queues} queues (8 weeks of history, today + 7 days, held-back week)",
           queues, "queues", run)


def bench_wape() -> None:
    tz = ZoneInfo("Europe/Berlin")
    counts = _history(tz, 9, seed=3)
    today = date(2026, 1, 5) + timedelta(weeks=9)
    held = [s for s in counts if local_slot(s, tz)[0] >= today - timedelta(days=7)]
    actual = [counts[s] for s in held]
    error = holdout_wape(counts, tz, today)
    oracle = wape(actual, [_expected(*local_slot(s, tz)) for s in held])
    naive = wape(actual, [counts[s - timedelta(weeks=1)] for s in held])
    hourly = _hourly_wape(counts, tz, today)
    print(f"forecast WAPE on a held-back simulated week (15-minute intervals, ~{sum(actual):.0f}"
          f" calls): {error:.1f} % (true means: {oracle:.1f} %, seasonal naive: {naive:.1f} %); "
          f"per hour: {hourly:.1f} %")


def _hourly_wape(counts: dict[datetime, float], tz: ZoneInfo, today: date) -> float:
    origin = today - timedelta(days=7)
    before = {k: v for k, v in counts.items() if local_slot(k, tz)[0] < origin}
    start = datetime(origin.year, origin.month, origin.day, tzinfo=tz)
    predicted = forecast_arrivals(before, tz, start, horizon_days=6)
    fa: dict[datetime, float] = {}
    ac: dict[datetime, float] = {}
    for f in predicted:
        hour = f.interval_start.replace(minute=0)
        fa[hour] = fa.get(hour, 0.0) + f.calls
        ac[hour] = ac.get(hour, 0.0) + counts.get(f.interval_start, 0.0)
    keys = sorted(fa)
    return wape([ac[k] for k in keys], [fa[k] for k in keys]) or 0.0


def bench_simulator(hours: float) -> None:
    from queuepulse.staffing.simcheck import SteadyLoad, run_steady_load

    loads = [
        SteadyLoad(agents=10, calls_per_hour=200, aht_s=150, patience_s=120, hours=hours, seed=5),
        SteadyLoad(agents=8, calls_per_hour=200, aht_s=150, patience_s=120, hours=hours, seed=2),
        SteadyLoad(agents=30, calls_per_hour=1000, aht_s=100, patience_s=60, hours=hours,
                   seed=3),
        SteadyLoad(agents=4, calls_per_hour=60, aht_s=200, patience_s=300, hours=hours, seed=4),
    ]
    print(f"model vs simulator, {hours:g} simulated hours per load (SLA % / abandon % / ASA s):")
    for load in loads:
        c = run_steady_load(load)
        p, m = c.predicted, c.measured
        print(f"  {load.agents:>3} agents {load.calls_per_hour:>5g} calls/h AHT {load.aht_s:g} s "
              f"patience {load.patience_s:g} s: predicted {p.service_level_pct:5.1f} / "
              f"{p.abandon_pct:5.2f} / {p.asa_s:5.1f}; measured {m.sla_pct:5.1f} / "
              f"{m.abandon_pct:5.2f} / {m.asa_s:5.1f} ({m.offered:,} calls); expected wait MAE "
              f"{c.wait_mae_s:.1f} s (mean actual wait left {c.wait_mean_actual_s:.1f} s, "
              f"{c.wait_predictions:,} predictions)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queues", type=int, default=1000)
    parser.add_argument("--intervals", type=int, default=96)
    parser.add_argument("--sim-hours", type=float, default=400.0,
                        help="simulated hours per steady-load run (default 400)")
    parser.add_argument("--skip-sim", action="store_true", help="no simulator comparison")
    args = parser.parse_args()
    bench_staffing(args.queues, args.intervals)
    bench_forecast(args.queues)
    bench_wape()
    if not args.skip_sim:
        bench_simulator(args.sim_hours)


if __name__ == "__main__":
    main()
