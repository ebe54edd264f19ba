"""Benchmark: Grafana panel query times on 30 days of 1-minute KPIs for 100 queues.

Starts a throwaway TimescaleDB cluster, migrates it, fills it with ``generate_series``:
30 days of ``queue_kpi_1m`` for 100 queues (4.3 M rows), 7 days of queue visits (one per queue
every 2 minutes), one hour of live gauges per queue every second (360 k rows), agent states
and memberships (five agents per queue); sizes are options (``--queues 1000`` for 10x).
Then every query of the wall board and of the queue-detail dashboard is expanded exactly as
Grafana would (``queuepulse.grafana.macros``) with each dashboard's default time range, run
``--runs`` times as the read-only role (``--tenant``: the wall board also as a tenant login,
through row-level security and the tenant views), and timed. Prints p50/p95 per panel, the p95
of whole wall-board refreshes (every query one after another) and whether it fits the 1 s
refresh; the last line is ``wallboard_p95_ms=<n>``. The live lists get two callers waiting and
two calls in progress per queue; the hourly and 15-minute rollups and ``agent_now`` are built as
migrations 004 and 009 build them.

Usage::

    .venv/bin/python benchmarks/bench_panels.py [--runs 20] [--days 30] [--queues 100]
        [--visit-days 7] [--live-minutes 60] [--tenant]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import psycopg

from queuepulse.grafana.catalog import (
    auto_interval,
    bind,
    panel_queries,
    resolve_time,
    variable_defs,
)
from queuepulse.grafana.macros import Variable, expand
from queuepulse.grafana.render import dashboard_documents
from queuepulse.store.db import connect, dsn_with
from queuepulse.store.localdb import LocalCluster
from queuepulse.store.migrations import load_migrations, upgrade

REFRESH_S = 1.0

FILL = """
INSERT INTO queues (pbx_id, queue_dn, valid_from, name, sla_time_s)
SELECT 'pbx-1', (8000 + q)::text, now() - interval '400 days', 'Queue ' || q, 20
FROM generate_series(0, {queues} - 1) q;

INSERT INTO agents (pbx_id, agent_dn, valid_from, display_name, enabled)
SELECT 'pbx-1', (1000 + a)::text, now() - interval '400 days', 'Agent ' || a, true
FROM generate_series(0, {queues} * 5 - 1) a;

INSERT INTO queue_agents (pbx_id, queue_dn, agent_dn, valid_from)
SELECT 'pbx-1', (8000 + a % {queues})::text, (1000 + a)::text, now() - interval '400 days'
FROM generate_series(0, {queues} * 5 - 1) a;

INSERT INTO queue_kpi_1m (pbx_id, queue_dn, bucket, offered, answered, abandoned,
    short_abandoned, answered_in_sla, sla_pct, asa_s, max_wait_s, aht_s,
    wait_answered_s_sum, talk_s_sum, talk_count)
SELECT 'pbx-1', (8000 + q)::text, b, 3, 2, 1, 0, 2, 66.7, 12, 40, 180, 24, 360, 2
FROM generate_series(0, {queues} - 1) q,
     generate_series(date_trunc('minute', now()) - interval '{days} days',
                     date_trunc('minute', now()), interval '1 minute') b;

INSERT INTO queue_calls (pbx_id, call_key, queue_dn, entered_at, answered_at, ended_at,
    outcome, wait_s, talk_s, agent_dn, caller)
SELECT 'pbx-1', q || '@' || extract(epoch FROM t)::bigint, (8000 + q)::text, t,
       t + interval '15 seconds', t + interval '200 seconds',
       CASE WHEN q % 5 = 0 THEN 'abandoned' ELSE 'answered' END, 15, 185,
       (1000 + q + {queues} * (extract(minute FROM t)::int % 5))::text, '+4930123456'
FROM generate_series(0, {queues} - 1) q,
     generate_series(now() - interval '{visit_days} days', now(), interval '2 minutes') t;

INSERT INTO queue_live (pbx_id, queue_dn, ts, waiting, longest_wait_s, talking,
    agents_logged_in, agents_talking, agents_free)
SELECT 'pbx-1', (8000 + q)::text, t, q % 4, (q % 4) * 11.5, 2, 5, 2, 3
FROM generate_series(0, {queues} - 1) q,
     generate_series(now() - interval '{live_minutes} minutes', now(), interval '1 second') t;

INSERT INTO agent_states (pbx_id, agent_dn, ts, queue_status, profile, registered, on_call,
    state)
SELECT 'pbx-1', (1000 + a)::text, t, 'LoggedIn', 'Available', true,
       (a + extract(minute FROM t)::int) % 3 = 0,
       CASE WHEN (a + extract(minute FROM t)::int) % 3 = 0 THEN 'talking' ELSE 'free' END
FROM generate_series(0, {queues} * 5 - 1) a,
     generate_series(now() - interval '1 day', now(), interval '10 minutes') t;

-- the live lists: two callers waiting and two calls in progress per queue
INSERT INTO queue_calls (pbx_id, call_key, queue_dn, entered_at, answered_at, outcome, agent_dn,
    caller)
SELECT 'pbx-1', 'live-' || q || '-' || n, (8000 + q)::text, now() - n * interval '20 seconds',
       CASE WHEN n > 2 THEN now() - interval '10 seconds' END,
       CASE WHEN n > 2 THEN 'answered' ELSE 'waiting' END,
       CASE WHEN n > 2 THEN (1000 + q)::text END, '+4930123456'
FROM generate_series(0, {queues} - 1) q, generate_series(1, 4) n;

-- one live poll row per second for the last hour; the declared poll interval keeps the PBX
-- "live" for the whole benchmark (stale after three intervals)
INSERT INTO pipeline_health (pbx_id, component, ts, poll_latency_ms, polls, details)
SELECT 'pbx-1', 'live', t, 20, 1, '{{"poll_interval_s": 3600}}'::jsonb
FROM generate_series(now() - interval '1 hour', now(), interval '1 second') t;
"""

# The fill bypasses the triggers (bulk load as a superuser); the kept tables are then built the
# way migration 004 builds them for existing data.
REBUILD = """
INSERT INTO agent_now (pbx_id, agent_dn, ts, state, state_since, queue_status, profile,
                       registered, on_call)
SELECT DISTINCT ON (pbx_id, agent_dn) pbx_id, agent_dn, ts, state, ts, queue_status, profile,
       registered, on_call
FROM agent_states ORDER BY pbx_id, agent_dn, ts DESC;
INSERT INTO queue_live_now (pbx_id, queue_dn, ts, waiting, longest_wait_s, talking,
                            agents_logged_in, agents_talking, agents_free)
SELECT DISTINCT ON (pbx_id, queue_dn) pbx_id, queue_dn, ts, waiting, longest_wait_s, talking,
       agents_logged_in, agents_talking, agents_free
FROM queue_live ORDER BY pbx_id, queue_dn, ts DESC;
SELECT queuepulse_rollup_hours('pbx-1', NULL, '-infinity', 'infinity');
SELECT queuepulse_rollup_kpi('queue_kpi_15m', 'pbx-1', NULL, '-infinity', 'infinity');
"""


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))
    return ordered[index]


def resolve(conn: psycopg.Connection[Any], document: dict[str, Any], now: datetime,
            selection: dict[str, list[str]]) -> dict[str, Variable]:  # fmt: skip
    variables: dict[str, Variable] = {}
    for d in variable_defs(document):
        if d.kind == "query":
            sql = expand(d.query, start=now, end=now, variables=variables).sql
            rows = conn.execute(sql.encode()).fetchall()
            options = tuple(str(r[1]) for r in rows)
            variables[d.name] = bind(d, options, selection.get(d.name))
        else:
            variables[d.name] = bind(d, d.options)
    return variables


def bench_dashboard(conn: psycopg.Connection[Any], stem: str, runs: int,
                    selection: dict[str, list[str]]) -> list[tuple[str, float, float]]:  # fmt: skip
    document = dashboard_documents()[stem]
    now = datetime.now(UTC)
    variables = resolve(conn, document, now, selection)
    rows: list[tuple[str, float, float]] = []
    for query in panel_queries(document):
        start = resolve_time(query.dashboard_time_from, now)
        sql = expand(query.sql, start=start, end=now, variables=variables,
                     interval=auto_interval(start, now, query.min_interval)).sql  # fmt: skip
        conn.execute(sql.encode()).fetchall()  # warm-up
        samples = []
        for _ in range(runs):
            t0 = time.perf_counter()
            conn.execute(sql.encode()).fetchall()
            samples.append((time.perf_counter() - t0) * 1000)
        rows.append((query.panel_title, statistics.median(samples), percentile(samples, 95)))
    return rows


def whole_board(conn: psycopg.Connection[Any], stem: str, runs: int,
                selection: dict[str, list[str]]) -> list[float]:  # fmt: skip
    """Milliseconds of one whole refresh of a dashboard: every query, one after another."""
    document = dashboard_documents()[stem]
    samples: list[float] = []
    for _ in range(runs + 1):
        now = datetime.now(UTC)
        variables = resolve(conn, document, now, selection)
        sqls = []
        for query in panel_queries(document):
            start = resolve_time(query.dashboard_time_from, now)
            sqls.append(expand(query.sql, start=start, end=now, variables=variables,
                               interval=auto_interval(start, now, query.min_interval)).sql)
        t0 = time.perf_counter()
        for text in sqls:
            conn.execute(text.encode()).fetchall()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples[1:]  # the first run warms the caches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--queues", type=int, default=100)
    parser.add_argument("--visit-days", type=int, default=7, help="days of queue visits")
    parser.add_argument("--live-minutes", type=int, default=60, help="minutes of 1 s gauges")
    parser.add_argument("--tenant", action="store_true",
                        help="also run the wall board as a tenant login (db login-role --pbx)")
    args = parser.parse_args()

    with LocalCluster.throwaway() as cluster:
        cluster.ensure_running()
        incremental, idempotent = load_migrations()
        with connect(cluster.dsn(), autocommit=True) as conn:
            upgrade(conn, incremental, idempotent)
            t0 = time.perf_counter()
            conn.execute("SET session_replication_role = replica")
            conn.execute(
                FILL.format(
                    queues=args.queues, days=args.days, visit_days=args.visit_days,
                    live_minutes=args.live_minutes,
                ).encode()
            )
            conn.execute("SET session_replication_role = origin")
            conn.execute(REBUILD.encode())
            conn.execute("VACUUM ANALYZE")  # what autovacuum does soon after a load
            kpi_rows = conn.execute("SELECT count(*) FROM queue_kpi_1m").fetchone()
            print(f"filled in {time.perf_counter() - t0:.1f} s: {kpi_rows[0] if kpi_rows else 0:,}"
                  f" queue_kpi_1m rows ({args.days} days x {args.queues} queues)")  # fmt: skip
        cluster.ensure_login_role("bench_reader", member_of=["queuepulse_reader"])
        with connect(dsn_with(cluster.dsn(), user="bench_reader"), autocommit=True) as reader:
            wall = bench_dashboard(reader, "wallboard", args.runs, {})
            board_ms = whole_board(reader, "wallboard", args.runs, {})
            detail = bench_dashboard(reader, "queue-detail", args.runs, {"queue": ["8007"]})
            detail_all = bench_dashboard(reader, "queue-detail", args.runs, {})
        tenant_wall: list[tuple[str, float, float]] = []
        if args.tenant:
            from queuepulse.store.tenants import ensure_tenant_login

            with connect(cluster.dsn(), autocommit=True) as conn:
                ensure_tenant_login(conn, "bench_tenant", ["pbx-1"], password=None)
            with connect(dsn_with(cluster.dsn(), user="bench_tenant"),
                         autocommit=True) as tenant:
                tenant_wall = bench_dashboard(tenant, "wallboard", args.runs, {})

    def show(title: str, rows: list[tuple[str, float, float]]) -> None:
        print(f"\n{title}")
        print(f"  {'panel':<46} {'p50 ms':>9} {'p95 ms':>9}")
        for name, p50, p95 in rows:
            print(f"  {name:<46} {p50:9.1f} {p95:9.1f}")
        total50 = sum(r[1] for r in rows)
        total95 = sum(r[2] for r in rows)
        print(f"  {'all panels, one after another':<46} {total50:9.1f} {total95:9.1f}")

    show(f"wall board ({args.queues} queues, All selected, range now/d..now)", wall)
    show("queue detail (one queue, range now-24h)", detail)
    show(f"queue detail (All {args.queues} queues, range now-24h)", detail_all)
    if tenant_wall:
        show("wall board as a tenant login of pbx-1 (row-level security, tenant views)",
             tenant_wall)
    board_p95 = percentile(board_ms, 95)
    verdict = "fits" if board_p95 / 1000 < REFRESH_S else "does NOT fit"
    print(
        f"\nwall board: all {len(wall)} queries one after another take {board_p95:.1f} ms at "
        f"p95 (p50 {statistics.median(board_ms):.1f} ms, {len(board_ms)} whole refreshes) = "
        f"{100 * board_p95 / 1000 / REFRESH_S:.1f} % of the {REFRESH_S:g} s refresh -> {verdict}"
        " (Grafana runs them concurrently, so real refreshes are shorter)"
    )
    print(f"wallboard_p95_ms={board_p95:.1f}")


if __name__ == "__main__":
    main()
