"""Benchmark: the batch writer under poll-shaped load at seed scale and at 10x.

Starts a throwaway TimescaleDB cluster, migrates it, then writes one transaction per simulated
1 s poll: a ``queue_live`` row per queue, lifecycle events, progressing ``queue_calls`` upserts
(new visits, then answered, then ended) and ``queue_kpi_1m`` bucket upserts. Prints per-batch
commit latency p50/p99 and rows/s. Usage::

    .venv/bin/python benchmarks/bench_store_writers.py [--polls 30] [--scale 1|10] [--as-owner]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from queuepulse.store.db import connect, dsn_with
from queuepulse.store.localdb import LocalCluster
from queuepulse.store.migrations import load_migrations, upgrade
from queuepulse.store.writers import BatchWriter

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def poll_batch(pbx: str, poll: int, queues: int, calls: int) -> dict[str, list[dict[str, Any]]]:
    """One poll's rows: ~calls/10 new visits, as many answered and ended, gauges for all queues."""
    ts = T0 + timedelta(seconds=poll)
    churn = max(1, calls // 10)
    live = [{"pbx_id": pbx, "queue_dn": f"{8000 + q}", "ts": ts, "waiting": q % 7,
             "longest_wait_s": float(q % 60), "talking": q % 5, "agents_logged_in": 5,
             "agents_talking": q % 5, "agents_free": 5 - q % 5} for q in range(queues)]
    events, visits = [], []
    for i in range(churn):
        n = poll * churn + i
        key = f"{n}@{T0.isoformat()}"
        queue = f"{8000 + n % queues}"
        entered = T0 + timedelta(seconds=n // churn)
        events.append({"event_id": uuid.uuid5(uuid.NAMESPACE_URL, f"{pbx}/{n}/q"),
                       "pbx_id": pbx, "call_key": key, "call_id": n,
                       "event_type": "queue_entered", "occurred_at": ts, "observed_at": ts,
                       "queue_dn": queue, "status": "Ringing"})
        visits.append({"pbx_id": pbx, "call_key": key, "queue_dn": queue, "entered_at": entered,
                       "outcome": "waiting", "wait_s": 0.0, "caller_number": "+49301234"})
        if poll >= 1:  # answer the visits that entered a poll ago
            m = n - churn
            visits.append({"pbx_id": pbx, "call_key": f"{m}@{T0.isoformat()}",
                           "queue_dn": f"{8000 + m % queues}",
                           "entered_at": T0 + timedelta(seconds=m // churn),
                           "outcome": "answered", "answered_at": ts, "wait_s": 1.0,
                           "agent_dn": f"{100 + m % 500}"})
            events.append({"event_id": uuid.uuid5(uuid.NAMESPACE_URL, f"{pbx}/{m}/a"),
                           "pbx_id": pbx, "call_key": f"{m}@{T0.isoformat()}", "call_id": m,
                           "event_type": "answered", "occurred_at": ts, "observed_at": ts,
                           "queue_dn": f"{8000 + m % queues}", "status": "Talking"})
    bucket = ts.replace(second=0)
    kpi = [{"pbx_id": pbx, "queue_dn": f"{8000 + q}", "bucket": bucket, "offered": poll,
            "answered": poll, "answered_in_sla": poll, "sla_pct": 100.0, "asa_s": 1.0}
           for q in range(0, queues, 10)]  # a tenth of the queues change their bucket per poll
    return {"call_events": events, "queue_calls": visits, "queue_live": live,
            "queue_kpi_1m": kpi}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--polls", type=int, default=30)
    parser.add_argument("--scale", type=int, default=1, choices=[1, 10])
    parser.add_argument("--as-owner", action="store_true",
                        help="write as the database owner (bypasses row-level security) instead "
                             "of a member of queuepulse_writer, as the pipeline does")
    args = parser.parse_args()
    queues, calls = 100 * args.scale, 1000 * args.scale
    with LocalCluster.throwaway(dbname="bench") as cluster:
        incremental, idempotent = load_migrations()
        with connect(cluster.dsn(), autocommit=True) as conn:
            upgrade(conn, incremental, idempotent)
        dsn = cluster.dsn()
        if not args.as_owner:
            cluster.ensure_login_role("bench_writer", member_of=["queuepulse_writer"])
            dsn = dsn_with(dsn, user="bench_writer")
        writer = BatchWriter.from_dsn(dsn)
        latencies, rows = [], 0
        started = time.perf_counter()
        for poll in range(args.polls):
            batch = poll_batch("bench", poll, queues, calls)
            t = time.perf_counter()
            rows += writer.write(batch)
            latencies.append(time.perf_counter() - t)
        wall = time.perf_counter() - started
        writer.close()
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))]
    who = "the owner" if args.as_owner else "a queuepulse_writer login (row-level security on)"
    print(f"scale {args.scale}x: {queues} queues, {calls} concurrent calls, {args.polls} polls "
          f"as {who} (throwaway cluster: fsync off)")
    print(f"rows per poll (mean): {rows / args.polls:,.0f}")
    print(f"commit latency per poll batch: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    print(f"throughput: {rows / sum(latencies):,.0f} rows/s while writing "
          f"({rows:,} rows in {wall:.2f} s wall)")
    print(f"headroom at 1 s polls: p99 uses {p99 * 100:.0f}% of the poll interval")


if __name__ == "__main__":
    main()
