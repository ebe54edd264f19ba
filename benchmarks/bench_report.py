"""Benchmark: the report queries of queuepulse.analytics and ``queuepulse report`` end to end.

Starts a throwaway TimescaleDB cluster, migrates it and fills it with the data set of
``bench_report_views.py`` (its ``FILL``, as a bulk load, then the rollups built by the
migrations' own function): ``--days`` (30) days of one PBX in Europe/Berlin with ``--queues``
(100) queues — minute KPIs (4.3 M rows, rolled up to 288,000 quarter-hours), a queue visit per
queue every ``--visit-every-s`` (120) seconds, agent states every ``--state-every-min`` (10)
minutes for five agents per queue.

Then, as the reader role (read-only sessions), each typed query (``interval_report`` at 15
and 60 minutes, ``daily_report``, ``agent_report``, ``abandon_curve``,
``service_level_curve``) runs ``--runs`` times for one local day (yesterday) of all queues and
for the whole range of one queue (one agent), and ``daily_report`` / the curves also for the
whole range of all queues; prints p50/p95 in ms and the rows returned. Last, ``queuepulse
report interval`` for the whole range and all queues (CSV to a file) runs ``--cli-runs`` times
as a subprocess; prints its wall time. The report sessions run with PostgreSQL's JIT off, as
``queuepulse report`` runs them (``--jit on``: the server's default, to compare).

Usage::

    .venv/bin/python benchmarks/bench_report.py [--runs 20] [--days 30] [--queues 100]
        [--visit-every-s 120] [--state-every-min 10] [--cli-runs 3] [--jit on|off]
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
from zoneinfo import ZoneInfo

from bench_report_views import FILL, ZONE

from queuepulse.analytics import reports
from queuepulse.analytics.engine import engine_for
from queuepulse.store.db import connect, dsn_with
from queuepulse.store.localdb import LocalCluster
from queuepulse.store.migrations import load_migrations, upgrade

PBX = "pbx-1"
TZ = ZONE
READER = "bench_reader"
ROOT = Path(__file__).resolve().parents[1]


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))
    return ordered[index]


def fill(dsn: str, args: argparse.Namespace) -> dict[str, int]:
    """bench_report_views.py's data set, loaded the way it loads it; the rows per table."""
    text = FILL.format(zone=TZ, queues=args.queues, days=args.days,
                       visit_every_s=args.visit_every_s, state_every_min=args.state_every_min)
    with connect(dsn, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # a bulk load: no triggers
        conn.execute(text.encode())
        conn.execute("SET session_replication_role = origin")
        for rollup in ("queue_kpi_15m", "queue_kpi_hourly"):
            conn.execute("SELECT queuepulse_rollup_kpi(%s, %s, NULL, '-infinity', 'infinity')",
                         (rollup, PBX))
        conn.execute("VACUUM ANALYZE")
        counts = {}
        for table in ("queue_kpi_15m", "queue_calls", "agent_states"):
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            counts[table] = int(row[0]) if row else 0
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
    parser.add_argument("--visit-every-s", type=int, default=120,
                        help="one queue visit per queue every N seconds (default 120)")
    parser.add_argument("--state-every-min", type=int, default=10,
                        help="one agent_states row per agent every N minutes (default 10)")
    parser.add_argument("--jit", choices=["on", "off"], default="off",
                        help="PostgreSQL JIT in the report sessions (default off, as "
                             "`queuepulse report` runs them)")
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
        counts = fill(dsn, args)
        print(f"filled in {time.perf_counter() - began:.1f} s: "
              + ", ".join(f"{t} {n:,} rows" for t, n in counts.items()))
        reader = dsn_with(dsn, user=READER)
        engine = engine_for(reader, read_only=True, jit=args.jit == "on")
        today = datetime.now(UTC).astimezone(ZoneInfo(TZ)).date()
        first_day, end_day = today - timedelta(days=args.days - 1), today
        day = (today - timedelta(days=1), today)
        month = (first_day, end_day)
        one = ["8007"]
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
                ("agent_report", "month, 1 agent",
                 lambda: reports.agent_report(conn, PBX, ["1007"], *month)),
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
                     "--since", first_day.isoformat(), "--until", end_day.isoformat(),
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
