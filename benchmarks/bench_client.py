"""ActiveCalls polling cost: queuepulse's XapiClient beside the PyPI ``3cx-xapi-python-sdk``.

For each load (1,000 and 10,000 concurrent calls by default) the script starts the simulator in
a **separate process** (manual clock, loaded until it holds at least that many active calls,
then frozen so every poll returns the same body), and polls ``GET /ActiveCalls`` through both
clients over real HTTP on 127.0.0.1, one poll at a time like a poller does:

* queuepulse: ``XapiClient.poll_active_calls()`` and ``poll_from_body`` (JSON decode once + the
  poller's tolerant row parse into ``ActiveCallRow``; the raw body kept);
* sdk: ``threecx.ThreeCXClient.active_calls.list()`` (JSON decode + its pydantic models).

The two clients poll in alternating rounds (so noise from other processes is shared). It prints
polls per second (wall clock, polls back to back), CPU time per poll of the polling thread
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

CLIENT_ID = "bench"
CLIENT_SECRET = "bench-secret"  # throwaway credentials of the local simulator
# 3CX keeps one active token per API client, so the two clients use two API clients.
SDK_CLIENT_ID = "bench-sdk"
SDK_CLIENT_SECRET = "bench-sdk-secret"


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
        extra_clients=((SDK_CLIENT_ID, SDK_CLIENT_SECRET),),
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


class Stats:
    """Latencies and thread CPU time of one client's polls."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.cpu_s = 0.0
        self.wall_s = 0.0
        self.calls = 0

    def run(self, poll: Callable[[], int], polls: int) -> None:
        cpu0, wall0 = time.thread_time(), time.perf_counter()
        for _ in range(polls):
            t = time.perf_counter()
            self.calls = poll()
            self.latencies.append(time.perf_counter() - t)
        self.wall_s += time.perf_counter() - wall0
        self.cpu_s += time.thread_time() - cpu0

    def summary(self) -> dict[str, float]:
        n = len(self.latencies)
        lat = sorted(self.latencies)
        return {
            "polls_per_s": n / self.wall_s,
            "cpu_ms_per_poll": 1000 * self.cpu_s / n,
            "p50_ms": 1000 * statistics.median(lat),
            "p95_ms": 1000 * lat[min(n - 1, int(0.95 * n))],
            "calls": self.calls,
        }


def queuepulse_poller(url: str) -> tuple[Callable[[], int], Callable[[], None]]:
    """``XapiClient.poll_active_calls`` as a blocking call, and a closer."""
    from pydantic import SecretStr

    from queuepulse.domain.snapshot import poll_from_body
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
        raw = loop.run_until_complete(client.poll_active_calls())
        return len(poll_from_body("bench", raw.received_at, raw.body).calls)

    def close() -> None:
        loop.run_until_complete(client.aclose())
        loop.close()

    return poll, close


def sdk_poller(url: str) -> tuple[Callable[[], int], Callable[[], None]]:
    """``ThreeCXClient.active_calls.list`` and a closer."""
    from threecx import ThreeCXClient

    client = ThreeCXClient(url, SDK_CLIENT_ID, SDK_CLIENT_SECRET, timeout=30.0)
    return (lambda: len(client.active_calls.list())), client.close


def compare(url: str, polls: int, rounds: int = 4) -> dict[str, dict[str, float]]:
    """Both clients against the same server, in alternating rounds so machine noise is shared."""
    pollers = {"queuepulse": queuepulse_poller(url), "sdk": sdk_poller(url)}
    stats = {name: Stats() for name in pollers}
    try:
        for poll, _ in pollers.values():
            poll()  # warm-up: token, connection, first parse
        per_round = max(1, polls // rounds)
        names = list(pollers)
        for r in range(rounds):
            for name in names if r % 2 == 0 else reversed(names):
                stats[name].run(pollers[name][0], per_round)
    finally:
        for _, close in pollers.values():
            close()
    return {name: st.summary() for name, st in stats.items()}


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
            results = compare(server.url, polls)
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
