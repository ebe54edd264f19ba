"""Benchmark: the report queries of queuepulse.analytics and ``queuepulse report`` end to end.

Starts a throwaway TimescaleDB cluster, migrates it and fills it with COPY: ``--days`` (30) of
the 15-minute rollup ``queue_kpi_15m`` for ``--queues`` (100) queues of one PBX in
Europe/Berlin (the report views' source of the interval and daily reports), one queue visit
per queue every ``--visit-minutes`` (6) over the same days in ``queue_calls`` (the agent,
abandon and service-level reports), five agents per queue logged in 8 hours a day in
``agent_states``. The month spans the end of DST (25 October 2026: a 25-hour day).

Then, as the reader role, each typed query (``interval_report`` at 15 and 60 minutes,
``daily_report``, ``agent_report``, ``abandon_curve``, ``service_level_curve``) runs ``--runs``
times for one local day of all queues and for the whole range of one queue, and
``daily_report`` / the abandon curve also for the whole range of all queues (the agent
report: one day of all agents only — its view reads every visit whatever the range); prints
p50/p95 in ms and the rows returned. Last, ``queuepulse report interval`` for the whole range
and all queues (CSV to a file) runs ``--cli-runs`` times as a subprocess; prints its wall
time.

Usage::

    .venv/bin/python benchmarks/bench_report.py [--runs 20] [--days 30] [--queues 100]
        [--visit-minutes 6] [--cli-runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from queuepulse.analytics import reports
from queuepulse.analytics.engine import engine_for
from queuepulse.store.db import connect, dsn_with
from queuepulse.store.localdb import LocalCluster
from queuepulse.store.migrations import load_migrations, upgrade

PBX = "pbx-1"
TZ = "Europe/Berlin"
FIRST_DAY = date(2026, 10, 1)
READER = "bench_reader"
ROOT = Path(__file__).resolve().parents[1]


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))
    return ordered[index]


def fill(dsn: str, days: int, queues: int, visit_minutes: int) -> dict[str, int]:
    """COPY the data set; return the rows written per table."""
    start = datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, tzinfo=UTC) - \
        timedelta(hours=2)
    slots = days * 96
    counts: dict[str, int] = {}
    with connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO pbx_sites (pbx_id, time_zone, time_zone_source) "
                     "VALUES (%s, %s, 'setting')", (PBX, TZ))
        with conn.cursor().copy("COPY queues (pbx_id, queue_dn, valid_from, name, sla_time_s, "
                                "wrap_up_time_s) FROM STDIN") as copy:
            for q in range(queues):
                copy.write_row((PBX, str(8000 + q), start - timedelta(days=400), f"Queue {q}",
                                20, 10 if q % 2 else None))
        with conn.cursor().copy("COPY agents (pbx_id, agent_dn, valid_from, display_name) "
                                "FROM STDIN") as copy:
            for a in range(queues * 5):
                copy.write_row((PBX, str(1000 + a), start - timedelta(days=400), f"Agent {a}"))
        with conn.cursor().copy(
                "COPY queue_kpi_15m (pbx_id, queue_dn, bucket, minutes, offered, answered, "
                "abandoned, short_abandoned, transferred, answered_in_sla, max_wait_s, "
                "wait_answered_s_sum, wait_abandoned_s_sum, talk_s_sum, talk_count) "
                "FROM STDIN") as copy:
            for q in range(queues):
                dn = str(8000 + q)
                for s in range(slots):
                    n = (s * 7 + q) % 13
                    copy.write_row((PBX, dn, start + timedelta(minutes=15 * s), 15, 20 + n,
                                    15 + n % 5, 4, 1, n % 2, 12 + n % 4, 30.0 + n,
                                    180.0 + 3 * n, 90.0 + n, 2700.0 + 10 * n, 15 + n % 5))
        counts["queue_kpi_15m"] = queues * slots
        visits = 0
        with conn.cursor().copy(
                "COPY queue_calls (pbx_id, call_key, queue_dn, entered_at, answered_at, "
                "ended_at, outcome, wait_s, talk_s, agent_dn, source) FROM STDIN") as copy:
            step = timedelta(minutes=visit_minutes)
            for q in range(queues):
                dn = str(8000 + q)
                at = start + timedelta(seconds=q)
                i = 0
                while at < start + timedelta(days=days):
                    wait = float((i * 17 + q) % 150)
                    if i % 5 == 0:
                        row = (PBX, f"{q}-{i}", dn, at, None, at + timedelta(seconds=wait),
                               "abandoned", wait, None, None, "live")
                    else:
                        answer = at + timedelta(seconds=wait)
                        row = (PBX, f"{q}-{i}", dn, at, answer, answer + timedelta(seconds=180),
                               "answered", wait, 180.0, str(1000 + q * 5 + i % 5), "live")
                    copy.write_row(row)
                    at += step
                    i += 1
                    visits += 1
        counts["queue_calls"] = visits
        with conn.cursor().copy("COPY agent_states (pbx_id, agent_dn, ts, queue_status) "
                                "FROM STDIN") as copy:
            for a in range(queues * 5):
                for d in range(days):
                    day = start + timedelta(days=d, hours=8)
                    copy.write_row((PBX, str(1000 + a), day, "LoggedIn"))
                    copy.write_row((PBX, str(1000 + a), day + timedelta(hours=8), "LoggedOut"))
        counts["agent_states"] = queues * 5 * days * 2
        conn.execute("ANALYZE")
    return counts


def timed(function: Callable[[], list[Any]], runs: int) -> tuple[float, float, int]:
    samples = []
    rows = 0
    for _ in range(runs):
        began = time.perf_counter()
        rows = len(function())
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples), percentile(samples, 95), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per query (default 20)")
    parser.add_argument("--days", type=int, default=30, help="days of data (default 30)")
    parser.add_argument("--queues", type=int, default=100, help="queues (default 100)")
    parser.add_argument("--visit-minutes", type=int, default=6,
                        help="one queue visit per queue every N minutes (default 6)")
    parser.add_argument("--cli-runs", type=int, default=3,
                        help="runs of `queuepulse report interval` (default 3)")
    args = parser.parse_args()

    with LocalCluster.throwaway() as cluster:
        dsn = cluster.dsn()
        incremental, idempotent = load_migrations()
        with connect(dsn, autocommit=True) as conn:
            upgrade(conn, incremental, idempotent)
        cluster.ensure_login_role(READER, member_of=["queuepulse_reader"])
        began = time.perf_counter()
        counts = fill(dsn, args.days, args.queues, args.visit_minutes)
        print(f"filled in {time.perf_counter() - began:.1f} s: "
              + ", ".join(f"{t} {n:,} rows" for t, n in counts.items()))
        reader = dsn_with(dsn, user=READER)
        engine = engine_for(reader, read_only=True)
        end_day = FIRST_DAY + timedelta(days=args.days)
        day = (date(2026, 10, 20), date(2026, 10, 21))
        month = (FIRST_DAY, end_day)
        one = ["8000"]
        results: list[tuple[str, str, float, float, int]] = []
        with engine.connect() as conn:
            def bounds(span: tuple[date, date]) -> tuple[datetime, datetime]:
                return reports.local_day_bounds(span[0], span[1], TZ)

            cases: list[tuple[str, str, Callable[[], list[Any]]]] = [
                ("interval_report 15 min", "1 day, all queues",
                 lambda: reports.interval_report(conn, PBX, None, *bounds(day), 15)),
                ("interval_report 60 min", "1 day, all queues",
                 lambda: reports.interval_report(conn, PBX, None, *bounds(day), 60)),
                ("interval_report 15 min", "month, 1 queue",
                 lambda: reports.interval_report(conn, PBX, one, *bounds(month), 15)),
                ("interval_report 60 min", "month, 1 queue",
                 lambda: reports.interval_report(conn, PBX, one, *bounds(month), 60)),
                ("daily_report", "1 day, all queues",
                 lambda: reports.daily_report(conn, PBX, None, *day)),
                ("daily_report", "month, all queues",
                 lambda: reports.daily_report(conn, PBX, None, *month)),
                ("daily_report tz=UTC", "month, 1 queue",
                 lambda: reports.daily_report(conn, PBX, one, *month, tz="UTC")),
                ("agent_report", "1 day, all agents",
                 lambda: reports.agent_report(conn, PBX, None, *day)),
                ("abandon_curve", "1 day, all queues",
                 lambda: reports.abandon_curve(conn, PBX, None, *day)),
                ("abandon_curve", "month, 1 queue",
                 lambda: reports.abandon_curve(conn, PBX, one, *month)),
                ("abandon_curve", "month, all queues",
                 lambda: reports.abandon_curve(conn, PBX, None, *month)),
                ("service_level_curve", "1 day, all queues",
                 lambda: reports.service_level_curve(conn, PBX, None, *day)),
                ("service_level_curve", "month, 1 queue",
                 lambda: reports.service_level_curve(conn, PBX, one, *month)),
            ]
            for name, scope, function in cases:
                p50, p95, rows = timed(function, args.runs)
                results.append((name, scope, p50, p95, rows))
                print(f"{name:<24} {scope:<20} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  "
                      f"{rows:>7,} rows", flush=True)
        engine.dispose()

        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "month.csv"
            env = {**os.environ, "PYTHONPATH": str(ROOT), "QUEUEPULSE_PBX__PBX_ID": PBX}
            walls = []
            for _ in range(args.cli_runs):
                began = time.perf_counter()
                subprocess.run(
                    [sys.executable, "-m", "queuepulse.cli", "report", "interval",
                     "--since", FIRST_DAY.isoformat(), "--until", end_day.isoformat(),
                     "--dsn", reader, "-o", str(out), "--no-progress"],
                    check=True, env=env, cwd=ROOT, capture_output=True)
                walls.append(time.perf_counter() - began)
            lines = len(out.read_text().splitlines()) - 1
        print(f"queuepulse report interval, {args.days} days x {args.queues} queues "
              f"({lines:,} rows, CSV): wall {min(walls):.2f}-{max(walls):.2f} s "
              f"over {args.cli_runs} runs")
        worst = max(p95 for _, _, _, p95, _ in results)
        print(f"report_query_p95_max_ms={worst:.1f}")


if __name__ == "__main__":
    main()
