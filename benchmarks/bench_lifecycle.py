"""Per-poll cost of the lifecycle step at seed scale and at 10x.

Usage: .venv/bin/python benchmarks/bench_lifecycle.py [--polls 60] [--scales 1000,10000]

A synthetic call centre keeps N calls active (queues = N/10, agents = N/2): every poll about 1 %
of calls end and as many start, about 2 % change status (waiting -> talking with the agent as
Callee, or -> talking with the queue as Callee). Prints step() time p50/p99/max, events per
poll, and the size and time of pickling the state (what a Bytewax snapshot costs). Wall-clock
figures include other load on the machine; the CPU-time figures much less so.
"""

from __future__ import annotations

import argparse
import pickle
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from queuepulse.domain.lifecycle import PbxState, step
from queuepulse.domain.parties import AgentInfo, Directory, QueueInfo
from queuepulse.domain.rules import Rules
from queuepulse.domain.snapshot import ActiveCallRow, Poll

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def directory(queues: int, agents: int) -> Directory:
    qs = [
        QueueInfo(str(8000 + q), f"Q{q}", 20, tuple(str(1000 + a) for a in range(agents)
                                                    if a % queues == q))
        for q in range(queues)
    ]
    ags = [AgentInfo(str(1000 + a), f"A{a}", "LoggedIn", "Available", True)
           for a in range(agents)]
    return Directory.build(qs, ags)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def bench(calls: int, polls: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    queues, agents = max(calls // 10, 1), max(calls // 2, 1)
    d = directory(queues, agents)
    rules = Rules()
    next_id = 1
    now = T0
    live: dict[int, list[object]] = {}

    def new_call() -> None:
        nonlocal next_id
        q = 8000 + rng.randrange(queues)
        live[next_id] = [f"+49{rng.randrange(10**9)} Caller", f"{q} Q", "Ringing", now, now]
        next_id += 1

    for _ in range(calls):
        new_call()
    state: PbxState | None = None
    times: list[float] = []
    cpu: list[float] = []  # CPU time of the step: less sensitive to other load on the machine
    events = 0
    for i in range(polls + 1):
        now = T0 + timedelta(seconds=i)
        if i:
            for cid in rng.sample(sorted(live), max(calls // 100, 1)):
                del live[cid]
            for _ in range(max(calls // 100, 1)):
                new_call()
            for cid in rng.sample(sorted(live), max(calls // 50, 1)):
                c = live[cid]
                if c[2] == "Ringing":
                    if rng.random() < 0.5:
                        c[1] = f"{1000 + rng.randrange(agents)} Agent"
                    c[2], c[3] = "Talking", now - timedelta(milliseconds=300)
        rows = tuple(
            ActiveCallRow(cid, c[0], c[1], c[2], c[3], c[4], now)  # type: ignore[arg-type]
            for cid, c in live.items()
        )
        poll = Poll("bench", now, rows)
        start, cpu_start = time.perf_counter(), time.thread_time()
        state, out = step(state, poll, d, rules)
        elapsed = time.perf_counter() - start
        if i:  # the first poll starts every call: reported apart
            times.append(elapsed * 1000)
            cpu.append((time.thread_time() - cpu_start) * 1000)
            events += len(out.events)
        else:
            first = elapsed * 1000
    start = time.perf_counter()
    blob = pickle.dumps(state)
    pickle_ms = (time.perf_counter() - start) * 1000
    print(
        f"calls={calls:>6} queues={queues:>5} agents={agents:>5} polls={polls}: "
        f"step p50={statistics.median(times):6.2f} ms p99={percentile(times, 99):6.2f} ms "
        f"max={max(times):6.2f} ms (cpu p50={statistics.median(cpu):6.2f} "
        f"p99={percentile(cpu, 99):6.2f}) | first poll {first:7.1f} ms | "
        f"{events / polls:5.0f} events/poll | state pickle {len(blob) / 1e6:5.1f} MB "
        f"in {pickle_ms:5.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--polls", type=int, default=60)
    parser.add_argument("--scales", default="1000,10000")
    args = parser.parse_args()
    for scale in (int(s) for s in args.scales.split(",")):
        bench(scale, args.polls)


if __name__ == "__main__":
    main()
