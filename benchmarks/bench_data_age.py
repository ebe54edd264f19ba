"""Data age on the wall board: poll received → the wall board's own query returning it.

Starts a throwaway TimescaleDB cluster and a real-time simulator, runs the live flow (polling
over HTTP every second, writing through the real sink) in a child process for ``--seconds``,
and meanwhile refreshes the wall board in a loop exactly as Grafana would run it (every panel
query, expanded by ``queuepulse.grafana.macros``, as the read-only role), then reads the PBX's
freshness the way every live panel bounds its rows (``pbx_freshness``). For each successful poll
(``pipeline_health.ts`` = local receive time) the age is the first moment a wall-board refresh
returned it, minus the receive time. Grafana adds at most its refresh interval (1 s) on top.

Also printed: ``queue_live`` rows per day written on change (+ 60 s heartbeat) against one row per
queue per poll before, and storage per call (bytes of every table ÷ calls seen) of the run.

Scales: ``--scale 1`` is the simulator's default call centre (4 queues, 20 agents, 2 calls per
minute per queue); ``--scale 10`` has 10x the queues, agents and traffic. Figures only::

    .venv/bin/python benchmarks/bench_data_age.py [--scale 1] [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime

PBX = "bench"


def flow_child(spec: str) -> None:
    """Child process: run the live flow for the given target and duration."""
    from bytewax.testing import run_main
    from pydantic import SecretStr

    from flows.live import build_flow
    from queuepulse.live.config import LiveFlowConfig
    from queuepulse.settings import PbxSettings

    args = json.loads(spec)
    pbx = PbxSettings(pbx_id=PBX, url=args["url"], client_id=args["client_id"],
                      client_secret=SecretStr(args["secret"]), poll_interval_s=1.0)
    run_main(build_flow(LiveFlowConfig(targets=(pbx,), dsn=args["dsn"],
                                       run_for_s=args["seconds"])), epoch_interval=None)


def _p(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--flow-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.flow_child:
        flow_child(args.flow_child)
        return

    from queuepulse.grafana.catalog import (
        auto_interval,
        bind,
        panel_queries,
        resolve_time,
        variable_defs,
    )
    from queuepulse.grafana.macros import Variable, expand
    from queuepulse.grafana.render import dashboard_documents
    from queuepulse.simulator.config import SimulatorConfig
    from queuepulse.simulator.model.config import ModelConfig
    from queuepulse.simulator.server import run_simulator
    from queuepulse.store.db import connect, dsn_with
    from queuepulse.store.localdb import LocalCluster
    from queuepulse.store.migrations import load_migrations, upgrade

    base = ModelConfig()
    model = ModelConfig(seed=7, queues=base.queues * args.scale, agents=base.agents * args.scale,
                        calls_per_min_per_queue=base.calls_per_min_per_queue * 2)
    document = dashboard_documents()["wallboard"]
    with LocalCluster.throwaway() as cluster, run_simulator(
        SimulatorConfig(model=model, warmup_s=600, pbx_id=PBX)
    ) as sim:
        cluster.ensure_running()
        incremental, idempotent = load_migrations()
        with connect(cluster.dsn(), autocommit=True) as conn:
            upgrade(conn, incremental, idempotent)
        cluster.ensure_login_role("bench_reader", member_of=["queuepulse_reader"])
        spec = json.dumps({"url": sim.base_url, "client_id": sim.client_id,
                           "secret": sim.client_secret, "dsn": cluster.dsn(),
                           "seconds": args.seconds})
        child = subprocess.Popen([sys.executable, __file__, "--flow-child", spec])
        seen: dict[datetime, float] = {}
        refresh_ms: list[float] = []
        with connect(dsn_with(cluster.dsn(), user="bench_reader"), autocommit=True) as reader:
            started = time.time()
            while child.poll() is None:
                now = datetime.now(UTC)
                variables: dict[str, Variable] = {}
                for d in variable_defs(document):
                    if d.kind == "query" and all(v.options for v in variables.values()):
                        text = expand(d.query, start=now, end=now, variables=variables).sql
                        opts = tuple(str(r[1]) for r in reader.execute(text.encode()).fetchall())
                        variables[d.name] = bind(d, opts)
                if not all(v.options for v in variables.values()):
                    time.sleep(0.05)  # the flow has not written the configuration yet
                    continue
                t0 = time.perf_counter()
                for q in panel_queries(document):
                    start = resolve_time(q.dashboard_time_from, now)
                    text = expand(q.sql, start=start, end=now, variables=variables,
                                  interval=auto_interval(start, now, q.min_interval)).sql
                    reader.execute(text.encode()).fetchall()
                row = reader.execute("SELECT last_ok_at FROM pbx_freshness WHERE pbx_id = %s",
                                     (PBX,)).fetchone()
                returned = time.time()
                refresh_ms.append((time.perf_counter() - t0) * 1000)
                if row and row[0] is not None and row[0] not in seen:
                    seen[row[0]] = returned
            elapsed = time.time() - started
        with connect(cluster.dsn(), autocommit=True) as conn:
            polls = [r[0] for r in conn.execute(
                "SELECT ts FROM pipeline_health WHERE pbx_id = %s AND errors = 0 "
                "AND stale_polls = 0 ORDER BY ts", (PBX,))]
            live_rows = conn.execute("SELECT count(*) FROM queue_live").fetchone()
            queues = conn.execute("SELECT count(*) FROM queues WHERE valid_to IS NULL").fetchone()
            calls = conn.execute("SELECT count(DISTINCT call_key) FROM queue_calls").fetchone()
            size = conn.execute(
                "SELECT sum(hypertable_size(format('%I', hypertable_name)::regclass)) "
                "FROM timescaledb_information.hypertables WHERE hypertable_schema = 'public'"
            ).fetchone()
            plain = conn.execute(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' AND "
                "c.relname IN ('agent_now', 'queue_targets')").fetchone()
    # age of each poll: the first refresh that returned it (or a later poll: it is covered then)
    returns = sorted(seen.items())
    ages: list[float] = []
    j = 0
    for ts in polls:
        while j < len(returns) and returns[j][0] < ts:
            j += 1
        if j < len(returns):
            ages.append(returns[j][1] - ts.timestamp())
    n_queues = int(queues[0]) if queues else 0
    per_day = (int(live_rows[0]) if live_rows else 0) * 86400 / max(args.seconds, 1.0)
    print(f"scale {args.scale}: {model.queues} queues, {model.agents} agents, "
          f"{len(polls)} successful polls in {elapsed:.0f} s, {len(refresh_ms)} wall-board "
          f"refreshes (p50 {_p(refresh_ms, 50):.1f} ms, p95 {_p(refresh_ms, 95):.1f} ms)")
    if ages:
        print(f"data age, poll received -> wall board returned it: p50 {_p(ages, 50):.3f} s, "
              f"p95 {_p(ages, 95):.3f} s, p99 {_p(ages, 99):.3f} s, max {max(ages):.3f} s "
              f"({len(ages)} polls); with Grafana's 1 s refresh add up to 1 s")
    print(f"queue_live rows/day: before (one per queue per 1 s poll) {n_queues * 86400:,}; "
          f"after (on change + 60 s heartbeat, this run) {per_day:,.0f}")
    total = int(size[0] or 0) + int(plain[0] or 0) if size and plain else 0
    n_calls = int(calls[0]) if calls and calls[0] else 0
    if n_calls:
        print(f"storage: {total:,} bytes in all tables / {n_calls} calls = "
              f"{total / n_calls:,.0f} bytes per call (a short run: fixed index and chunk "
              "overhead dominates; see docs/grafana.md)")


if __name__ == "__main__":
    main()
