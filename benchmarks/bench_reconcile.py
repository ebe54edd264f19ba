"""Benchmark: reconciliation throughput at seed scale (CDR rows/s, seconds per period).

A manual-clock simulator at seed scale (100 queues, 500 agents, 3.5 calls/min/queue, AHT 300 s:
about 1,750 concurrent calls) runs a warm-up long enough that every reconciled period and its
CDR window (look-back before, look-ahead after) are history. A throwaway TimescaleDB cluster
(migrated) holds the "live" side: the simulator's true visits of the reconciled range written as
``source='live'`` with every 10th visit dropped (missed), every 7th visit's wait shifted by 1.5 s
and every 13th visit moved to another queue (extra), so the matcher, the KPI recompute and
the audit all have work. Then :meth:`Reconciler.backfill` reconciles the periods over HTTP
exactly as ``queuepulse run reconcile`` does. Prints, per period and overall: CDR rows read,
rows/s, seconds per period, and where the time went (HTTP fetch and row parsing, building and
planning, the database transaction). The simulator serves from the same process and filters
its whole history for every page, so "fetch" is mostly the simulator's per-request cost:
compare ``--page-size``. Usage::

    .venv/bin/python benchmarks/bench_reconcile.py [--periods 2] [--period-s 900]
        [--queues 100] [--agents 500] [--rate 3.5] [--lookback-s 1800] [--lookahead-s 3600]
        [--page-size 500]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from queuepulse.reconcile import corrections, fetch, runner
from queuepulse.reconcile.runner import ReconcileConfig, Reconciler
from queuepulse.settings import PbxSettings
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import RunningSimulator, run_simulator
from queuepulse.store.db import connect
from queuepulse.store.localdb import LocalCluster
from queuepulse.store.migrations import load_migrations, upgrade
from queuepulse.xapi.client import XapiClient

PBX = "bench"
START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
SETTLE_S = 900.0

TIMES: dict[str, list[float]] = defaultdict(list)


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a sync or async function so that each call's duration lands in TIMES[name]."""
    if asyncio.iscoroutinefunction(fn):
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                TIMES[name].append(time.perf_counter() - t0)
        return run_async

    def run_sync(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            TIMES[name].append(time.perf_counter() - t0)
    return run_sync


def instrument() -> None:
    """Time the stages the runner calls (module attributes it looks up at call time)."""
    for name in ("fetch_call_history", "fetch_call_log", "fetch_queue_slas", "fetch_reports"):
        setattr(fetch, name, _timed("fetch", getattr(fetch, name)))
    for name in ("parse_history_rows", "parse_log_rows", "build_visits", "plan_corrections"):
        setattr(runner, name, _timed("compute", getattr(runner, name)))
    for name in ("load_visits", "apply_period"):
        setattr(corrections, name, _timed("database", getattr(corrections, name)))


def new_database() -> tuple[LocalCluster, str]:
    cluster = LocalCluster.throwaway(dbname="bench")
    dsn = cluster.ensure_running()
    with connect(dsn, autocommit=True) as conn:
        upgrade(conn, *load_migrations())
    return cluster, dsn


def write_live_side(sim: RunningSimulator, dsn: str, lo: datetime, hi: datetime,
                    queues: list[str]) -> dict[str, int]:
    """The true visits of ``[lo, hi)`` as live rows, perturbed (see the module doc)."""
    cols = ("pbx_id", "call_key", "queue_dn", "entered_at", "answered_at", "ended_at",
            "outcome", "wait_s", "talk_s", "agent_dn", "caller_number", "caller_name", "call_id",
            "entry_queue_dn")
    rows, counts = [], {"true": 0, "dropped": 0, "shifted": 0, "moved": 0}
    for i, v in enumerate(sim.truth.visits(lo, hi)):
        counts["true"] += 1
        if i % 10 == 0:
            counts["dropped"] += 1
            continue
        row = {c: v.get(c) for c in cols}
        row["pbx_id"] = PBX
        if i % 7 == 0 and row["wait_s"] is not None:
            row["wait_s"] = float(row["wait_s"]) + 1.5
            counts["shifted"] += 1
        if i % 13 == 0:
            row["queue_dn"] = queues[(queues.index(str(row["queue_dn"])) + 1) % len(queues)]
            counts["moved"] += 1
        rows.append(tuple(row[c] for c in cols))
    with connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.executemany(
            f"INSERT INTO queue_calls ({', '.join(cols)}, source) VALUES "
            f"({', '.join(['%s'] * len(cols))}, 'live') ON CONFLICT DO NOTHING", rows)
    return counts


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def reconcile(sim: RunningSimulator, dsn: str, config: ReconcileConfig, lo: datetime,
                    hi: datetime) -> list[runner.PeriodResult]:
    settings = PbxSettings(pbx_id=PBX, url=sim.base_url, client_id=sim.client_id,
                           client_secret=SecretStr(sim.client_secret), timeout_s=60.0)
    async with XapiClient(settings, jitter=False) as client:
        rec = Reconciler(config, client, lambda: connect(dsn, autocommit=True),
                         clock=lambda: datetime.fromtimestamp(sim.now_ms() / 1000, UTC))
        result = await rec.backfill(lo, hi)
    return result.results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--periods", type=int, default=2)
    parser.add_argument("--period-s", type=int, default=900)
    parser.add_argument("--queues", type=int, default=100)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--rate", type=float, default=3.5, help="calls/min per queue")
    parser.add_argument("--lookback-s", type=float, default=1800.0)
    parser.add_argument("--lookahead-s", type=float, default=3600.0)
    parser.add_argument("--page-size", type=int, default=500, help="CDR rows per request")
    args = parser.parse_args()

    span = args.periods * args.period_s
    warmup = args.lookback_s + span + args.lookahead_s + SETTLE_S
    lo = START - timedelta(seconds=warmup - args.lookback_s)
    hi = lo + timedelta(seconds=span)
    model = ModelConfig(seed=3, queues=args.queues, agents=args.agents,
                        calls_per_min_per_queue=args.rate, aht_s=300.0, patience_s=120.0)
    t0 = time.perf_counter()
    with run_simulator(SimulatorConfig(model=model, start=START, manual_clock=True,
                                       warmup_s=warmup, pbx_id=PBX),
                       startup_timeout_s=600.0) as sim:
        sim_s = time.perf_counter() - t0
        cluster, dsn = new_database()
        try:
            queues = sorted({q.dn for q in sim.simulator.engine.queues})
            live = write_live_side(sim, dsn, lo, hi, queues)
            config = ReconcileConfig(pbx_id=PBX, period_s=args.period_s, settle_s=SETTLE_S,
                                     lookback_s=args.lookback_s,
                                     lookahead_s=args.lookahead_s, page_size=args.page_size)
            instrument()
            t1 = time.perf_counter()
            results = asyncio.run(reconcile(sim, dsn, config, lo, hi))
            total_s = time.perf_counter() - t1
            spent = {k: sum(v) for k, v in TIMES.items()}
            database_calls = list(TIMES["database"])
            t2 = time.perf_counter()
            with connect(dsn, autocommit=True) as conn:
                conn.execute("DELETE FROM reconciliation_runs")  # make the periods due again
            again = asyncio.run(reconcile(sim, dsn, config, lo, hi))
            rerun_s = time.perf_counter() - t2
        finally:
            cluster.destroy()

    print(f"seed scale: {args.queues} queues, {args.agents} agents, {args.rate} calls/min/queue "
          f"(simulator warm-up of {warmup / 3600:.2f} h took {sim_s:.1f} s)")
    print(f"live side: {live['true']} true visits in range, {live['dropped']} dropped, "
          f"{live['shifted']} waits shifted, {live['moved']} moved to another queue")
    print(f"CDR window per period: {args.lookback_s:g} s before + {args.period_s} s + "
          f"{args.lookahead_s:g} s after = "
          f"{(args.lookback_s + args.period_s + args.lookahead_s) / args.period_s:.1f}x the "
          f"period; {args.page_size} rows per request")
    for r in results:
        print(f"  {r.period[0]:%H:%M}: {r.status}, {r.cdr_rows} CDR rows, {r.visits} visits, "
              f"{r.matched} matched, {r.corrected} corrected, {r.inserted} inserted, "
              f"{r.removed} removed, {r.flagged} flagged, {r.diffs} diffs")
    rows = sum(r.cdr_rows for r in results)
    per_period = total_s / max(1, len(results))
    print(f"first run: {len(results)} periods, {rows} CDR rows in {total_s:.2f} s: "
          f"{rows / total_s:,.0f} CDR rows/s, {per_period:.2f} s per {args.period_s} s period "
          f"({per_period / args.period_s * 100:.2f} % of the period)")
    print("  where: " + ", ".join(
        f"{k} {spent.get(k, 0.0):.2f} s ({spent.get(k, 0.0) / total_s * 100:.0f} %)"
        for k in ("fetch", "compute", "database")))
    if database_calls:
        print(f"  database calls (load + apply): p50 "
              f"{statistics.median(database_calls) * 1000:.0f} ms, "
              f"p95 {pct(database_calls, 95) * 1000:.0f} ms")
    changed = sum(r.corrected + r.inserted + r.removed for r in again)
    print(f"re-run (idempotent): {len(again)} periods in {rerun_s:.2f} s "
          f"({rerun_s / max(1, len(again)):.2f} s per period), {changed} visits changed")


if __name__ == "__main__":
    main()
