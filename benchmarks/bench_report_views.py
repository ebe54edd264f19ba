"""Benchmark: the report views (schema 070-reports.sql) over a month of a 100-queue site.

Starts a throwaway TimescaleDB cluster, migrates it, sets the site's time zone (Europe/Berlin)
and fills it with ``generate_series`` as a bulk load (triggers off, as bench_panels.py does):
``--days`` (30) days of ``queue_kpi_1m`` for ``--queues`` (100) queues (4.3 M rows), one queue
visit per queue every ``--visit-every-s`` (120) seconds (2.2 M visits, four in five answered
by one of five agents per queue, the rest abandoned), and per agent an ``agent_states`` row
every ``--state-every-min`` (10) minutes (on/off a call; logged in 07:00-19:00 local: 2.2 M
rows), plus one 3CX report row per queue and local day. The 15-minute and hourly rollups are
then built by the migrations' own function (``queuepulse_rollup_kpi``), timed.

Each report view is then queried as the read-only role for the last ``--days`` local days,
for all queues and for one queue (one agent for the agent report), ``--runs`` times; it prints
p50/p95 per query (goal: p95 < 200 ms per report view) and the rows returned, with the
session's ``jit`` off and on (``--jit``).

Usage::

    .venv/bin/python benchmarks/bench_report_views.py [--runs 10] [--days 30] [--queues 100]
        [--visit-every-s 120] [--state-every-min 10] [--jit off,on] [--views a,b]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import psycopg

from queuepulse.store.db import connect, dsn_with
from queuepulse.store.localdb import LocalCluster
from queuepulse.store.migrations import load_migrations, upgrade

ZONE = "Europe/Berlin"

FILL = """
INSERT INTO pbx_sites (pbx_id, time_zone, time_zone_source) VALUES ('pbx-1', '{zone}', 'setting');

INSERT INTO queues (pbx_id, queue_dn, valid_from, name, sla_time_s, wrap_up_time_s)
SELECT 'pbx-1', (8000 + q)::text, now() - interval '400 days', 'Queue ' || q, 20, 10
FROM generate_series(0, {queues} - 1) q;

INSERT INTO agents (pbx_id, agent_dn, valid_from, display_name, enabled)
SELECT 'pbx-1', (1000 + a)::text, now() - interval '400 days', 'Agent ' || a, true
FROM generate_series(0, {queues} * 5 - 1) a;

INSERT INTO queue_kpi_1m (pbx_id, queue_dn, bucket, offered, answered, abandoned,
    short_abandoned, answered_in_sla, sla_pct, asa_s, max_wait_s, wait_answered_s_sum,
    wait_abandoned_s_sum, talk_s_sum, talk_count)
SELECT 'pbx-1', (8000 + q)::text, b, 3, 2, 1, 0, 2, 66.7, 12, 40, 24, 30, 360, 2
FROM generate_series(0, {queues} - 1) q,
     generate_series(date_trunc('minute', now()) - interval '{days} days',
                     date_trunc('minute', now()), interval '1 minute') b;

INSERT INTO queue_calls (pbx_id, call_key, queue_dn, entered_at, answered_at, ended_at,
    outcome, wait_s, talk_s, agent_dn)
SELECT 'pbx-1', q || '@' || extract(epoch FROM t)::bigint, (8000 + q)::text, t,
       CASE WHEN n % 5 <> 0 THEN t + (n % 37) * interval '1 second' END,
       t + (n % 37) * interval '1 second' + CASE WHEN n % 5 <> 0 THEN interval '180 seconds'
                                                 ELSE interval '0 seconds' END,
       CASE WHEN n % 5 = 0 THEN 'abandoned' ELSE 'answered' END, n % 37,
       CASE WHEN n % 5 <> 0 THEN 180 END,
       CASE WHEN n % 5 <> 0 THEN (1000 + q + {queues} * (n % 5))::text END
FROM generate_series(0, {queues} - 1) q,
     generate_series(now() - interval '{days} days', now(),
                     interval '{visit_every_s} seconds') WITH ORDINALITY AS s(t, n);

INSERT INTO agent_states (pbx_id, agent_dn, ts, queue_status, profile, registered, on_call,
    state)
SELECT 'pbx-1', (1000 + a)::text, t,
       CASE WHEN extract(hour FROM t AT TIME ZONE '{zone}') BETWEEN 7 AND 18
            THEN 'LoggedIn' ELSE 'LoggedOut' END,
       'Available', true, n % 2 = 0, CASE WHEN n % 2 = 0 THEN 'talking' ELSE 'free' END
FROM generate_series(0, {queues} * 5 - 1) a,
     generate_series(now() - interval '{days} days', now(),
                     interval '{state_every_min} minutes') WITH ORDINALITY AS s(t, n);

INSERT INTO pipeline_health (pbx_id, component, ts, polls)
SELECT 'pbx-1', 'live', t, 1 FROM generate_series(now() - interval '1 hour', now(),
                                                  interval '1 second') t;

-- 3CX's own daily figures per queue (reconciliation's QueuePerformanceTotals)
INSERT INTO pbx_queue_reports (pbx_id, report, queue_dn, period_from, period_to, fetched_at,
    received_count, answered_count, abandoned_count, sla_pct)
SELECT 'pbx-1', 'QueuePerformanceTotals', (8000 + q)::text,
       d::timestamp AT TIME ZONE '{zone}', (d + 1)::timestamp AT TIME ZONE '{zone}', now(),
       4300, 2880, 1420, 80.0
FROM generate_series(0, {queues} - 1) q,
     generate_series(1, {days}) k,
     LATERAL (SELECT (now() AT TIME ZONE '{zone}')::date - k AS d) day;
"""

MONTH = ("local_date >= (now() AT TIME ZONE '{zone}')::date - {days} "
         "AND local_date < (now() AT TIME ZONE '{zone}')::date")

QUERIES: dict[str, tuple[str, str]] = {
    # view: (all queues, one queue / agent)
    "report_queue_interval": (
        "SELECT * FROM report_queue_interval WHERE pbx_id = 'pbx-1' AND {month}",
        "SELECT * FROM report_queue_interval WHERE pbx_id = 'pbx-1' AND queue_dn = '8007' "
        "AND {month}"),
    "report_queue_daily": (
        "SELECT * FROM report_queue_daily WHERE pbx_id = 'pbx-1' AND {month}",
        "SELECT * FROM report_queue_daily WHERE pbx_id = 'pbx-1' AND queue_dn = '8007' "
        "AND {month}"),
    "report_agent_daily": (
        "SELECT * FROM report_agent_daily WHERE pbx_id = 'pbx-1' AND {month}",
        "SELECT * FROM report_agent_daily WHERE pbx_id = 'pbx-1' AND agent_dn = '1007' "
        "AND {month}"),
    "report_abandon_curve": (
        "SELECT * FROM report_abandon_curve WHERE pbx_id = 'pbx-1' AND {month}",
        "SELECT * FROM report_abandon_curve WHERE pbx_id = 'pbx-1' AND queue_dn = '8007' "
        "AND {month}"),
    "report_service_level_curve": (
        "SELECT * FROM report_service_level_curve WHERE pbx_id = 'pbx-1' AND {month}",
        "SELECT * FROM report_service_level_curve WHERE pbx_id = 'pbx-1' AND queue_dn = '8007' "
        "AND {month}"),
    "report_ours_vs_pbx": (
        "SELECT * FROM report_ours_vs_pbx WHERE pbx_id = 'pbx-1' "
        "AND period_from >= now() - interval '{days} days'",
        "SELECT * FROM report_ours_vs_pbx WHERE pbx_id = 'pbx-1' AND queue_dn = '8007' "
        "AND period_from >= now() - interval '{days} days'"),
}


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def timed(conn: psycopg.Connection[Any], sql: str, runs: int) -> tuple[float, float, int]:
    """p50 and p95 (ms) of ``runs`` executions after a warm-up, and the rows returned."""
    rows = len(conn.execute(sql.encode()).fetchall())
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        conn.execute(sql.encode()).fetchall()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), percentile(samples, 95), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--queues", type=int, default=100)
    parser.add_argument("--visit-every-s", type=int, default=120,
                        help="one queue visit per queue every N seconds")
    parser.add_argument("--state-every-min", type=int, default=10,
                        help="one agent_states row per agent every N minutes")
    parser.add_argument("--jit", default="off,on",
                        help="PostgreSQL JIT settings to time the queries with (default off,on:"
                             " JIT compiles large report plans for seconds on a busy machine)")
    parser.add_argument("--views", default=",".join(QUERIES),
                        help="comma-separated report views to time (default: all six)")
    args = parser.parse_args()
    unknown = set(args.views.split(",")) - set(QUERIES)
    if unknown:
        parser.error(f"unknown view(s) {', '.join(sorted(unknown))}; known: {', '.join(QUERIES)}")
    fill = FILL.format(zone=ZONE, queues=args.queues, days=args.days,
                       visit_every_s=args.visit_every_s, state_every_min=args.state_every_min)
    month = MONTH.format(zone=ZONE, days=args.days)

    with LocalCluster.throwaway() as cluster:
        cluster.ensure_running()
        incremental, idempotent = load_migrations()
        with connect(cluster.dsn(), autocommit=True) as conn:
            upgrade(conn, incremental, idempotent)
            t0 = time.perf_counter()
            conn.execute("SET session_replication_role = replica")  # a bulk load: no triggers
            conn.execute(fill.encode())
            conn.execute("SET session_replication_role = origin")
            loaded = time.perf_counter() - t0
            t1 = time.perf_counter()
            conn.execute("SELECT queuepulse_rollup_kpi('queue_kpi_15m', 'pbx-1', NULL, "
                         "'-infinity', 'infinity')")
            rolled_15m = time.perf_counter() - t1
            conn.execute("SELECT queuepulse_rollup_hours('pbx-1', NULL, '-infinity', 'infinity')")
            conn.execute("VACUUM ANALYZE")  # what autovacuum does soon after a load
            counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()
                      for t in ("queue_kpi_1m", "queue_kpi_15m", "queue_calls", "agent_states",
                                "pbx_queue_reports")}
        print(f"loaded in {loaded:.1f} s; queue_kpi_15m rolled up from queue_kpi_1m in "
              f"{rolled_15m:.1f} s")
        for table, count in counts.items():
            print(f"  {table:<20} {count[0] if count else 0:>12,} rows")
        cluster.ensure_login_role("bench_reader", member_of=["queuepulse_reader"])
        results = []
        with connect(dsn_with(cluster.dsn(), user="bench_reader"), autocommit=True) as reader:
            for jit in args.jit.split(","):
                reader.execute(f"SET jit = {'on' if jit == 'on' else 'off'}".encode())
                for view, (every, one) in QUERIES.items():
                    if view not in args.views.split(","):
                        continue
                    for scope, sql in (("all", every), ("one", one)):
                        text = sql.format(month=month, days=args.days)
                        p50, p95, rows = timed(reader, text, args.runs)
                        results.append((view, scope, jit, p50, p95, rows))
                        print(f"  {view:<28} {scope:<4} jit {jit:<3} p50 {p50:8.1f} ms  "
                              f"p95 {p95:8.1f} ms  {rows:>8,} rows", flush=True)

    print(f"\nreport views, {args.days} local days ({ZONE}), {args.queues} queues, "
          f"{args.runs} runs each")
    print(f"  {'view':<28} {'scope':<5} {'jit':<4} {'p50 ms':>9} {'p95 ms':>9} {'rows':>9} goal")
    for view, scope, jit, p50, p95, rows in results:
        print(f"  {view:<28} {scope:<5} {jit:<4} {p50:9.1f} {p95:9.1f} {rows:9,} "
              f"{'ok' if p95 < 200 else 'MISSED'}")


if __name__ == "__main__":
    main()
