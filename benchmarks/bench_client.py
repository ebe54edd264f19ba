"""ActiveCalls polling cost: queuepulse's XapiClient beside the PyPI ``3cx-xapi-python-sdk``.

For each load (1,000 and 10,000 concurrent calls by default) the script starts the simulator in
a **separate process** (manual clock, loaded until it holds at least that many active calls,
then frozen so every poll returns the same body), and polls ``GET /ActiveCalls`` through both
clients over real HTTP on 127.0.0.1, one poll at a time like a poller does:

* queuepulse: ``XapiClient.poll_active_calls()`` (JSON decode + pydantic models + raw body);
* sdk: ``threecx.ThreeCXClient.active_calls.list()`` (JSON decode + its pydantic models).

It prints polls per second (wall clock), CPU time per poll of the polling thread
(``time.thread_time``; the server runs in its own process) and p50/p95 latency. Figures only —
no assertions. Usage::

    .venv/bin/python benchmarks/bench_client.py [--calls 1000 10000] [--polls 40] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

CLIENT_ID = "bench"
CLIENT_SECRET = "bench-secret"  # a throwaway credential of the local simulator


# --- the server process ------------------------------------------------------------------


def serve(target: int, seed: int) -> None:
    """Load a simulator to ``target`` active calls, serve it, print its URL, wait for stdin EOF."""
    from queuepulse.simulator.config import SimulatorConfig
    from queuepulse.simulator.model.config import ModelConfig
    from queuepulse.simulator.server import run_simulator

    queues = 100 if target <= 2000 else 200
    model = ModelConfig(
        seed=seed,
        queues=queues,
        agents=max(50, target // 2),
        calls_per_min_per_queue=target / (queues * 2.0),
        noise_calls_per_min=0.0,
    )
    config = SimulatorConfig(
        model=model,
        manual_clock=True,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        background_tick_s=0.0,
    )
    with run_simulator(config) as sim:
        engine = sim.simulator.engine
        for _ in range(200):
            if len(engine.active) >= target:
                break
            sim.advance(15)
        print(json.dumps({"url": sim.base_url, "active": len(engine.active)}), flush=True)
        sys.stdin.read()  # until the parent closes our stdin


class Server:
    """The simulator in a child process."""

    def __init__(self, target: int, seed: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(target), "--seed", str(seed)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        info = json.loads(self.proc.stdout.readline())
        self.url: str = info["url"]
        self.active: int = info["active"]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- the clients -------------------------------------------------------------------------


def measure(poll: Callable[[], int], polls: int) -> dict[str, float]:
    """Run ``poll`` ``polls`` times after one warm-up; wall, thread CPU and latencies."""
    poll()  # warm-up: token, connection, first parse
    latencies: list[float] = []
    cpu0, wall0 = time.thread_time(), time.perf_counter()
    count = 0
    for _ in range(polls):
        t = time.perf_counter()
        count = poll()
        latencies.append(time.perf_counter() - t)
    wall, cpu = time.perf_counter() - wall0, time.thread_time() - cpu0
    latencies.sort()
    return {
        "polls_per_s": polls / wall,
        "cpu_ms_per_poll": 1000 * cpu / polls,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))],
        "calls": count,
    }


def bench_queuepulse(url: str, polls: int) -> dict[str, float]:
    from pydantic import SecretStr

    from queuepulse.settings import PbxSettings
    from queuepulse.xapi.client import XapiClient

    settings = PbxSettings(
        url=url,
        client_id=CLIENT_ID,
        client_secret=SecretStr(CLIENT_SECRET),
        timeout_s=30.0,
        retry_budget_s=30.0,
    )
    loop = asyncio.new_event_loop()
    client = XapiClient(settings)

    def poll() -> int:
        return len(loop.run_until_complete(client.poll_active_calls()).items)

    try:
        return measure(poll, polls)
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()


def bench_sdk(url: str, polls: int) -> dict[str, float]:
    from threecx import ThreeCXClient

    client = ThreeCXClient(url, CLIENT_ID, CLIENT_SECRET, timeout=30.0)

    def poll() -> int:
        return len(client.active_calls.list())

    try:
        return measure(poll, polls)
    finally:
        client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--polls", type=int, default=40, help="polls per client and load")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        serve(args.serve, args.seed)
        return 0
    try:
        import threecx  # noqa: F401
    except ImportError:
        print("3cx-xapi-python-sdk is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2

    print(f"ActiveCalls poll benchmark, {args.polls} polls per client and load, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    header = (f"{'calls':>7} {'client':<11} {'polls/s':>8} {'cpu ms/poll':>12} "
              f"{'p50 ms':>8} {'p95 ms':>8}")
    print(header)
    print("-" * len(header))
    for target in args.calls:
        polls = max(5, args.polls if target <= 2000 else args.polls // 4)
        server = Server(target, args.seed)
        try:
            results: dict[str, dict[str, Any]] = {
                "queuepulse": bench_queuepulse(server.url, polls),
                "sdk": bench_sdk(server.url, polls),
            }
        finally:
            server.close()
        for name, r in results.items():
            print(f"{r['calls']:>7} {name:<11} {r['polls_per_s']:>8.1f} "
                  f"{r['cpu_ms_per_poll']:>12.2f} {r['p50_ms']:>8.2f} {r['p95_ms']:>8.2f}")
        ours, theirs = results["queuepulse"], results["sdk"]
        print(f"{'':>7} ratio       {ours['polls_per_s'] / theirs['polls_per_s']:>8.2f}x "
              f"{ours['cpu_ms_per_poll'] / theirs['cpu_ms_per_poll']:>11.2f}x  "
              f"(queuepulse / sdk; polls: higher is better, cpu: lower is better)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
