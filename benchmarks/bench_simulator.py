"""Simulator benchmarks: ActiveCalls polls/s at 10,000 concurrent calls, whether a
1,000-queue / 5,000-agent model keeps up with real time, and a fleet of PBXs on one port.

    .venv/bin/python benchmarks/bench_simulator.py [--calls 10000] [--seconds 5]
        [--sim-seconds 300] [--pbxs 500] [--cpu N]

Prints figures; asserts nothing. The process pins itself to one CPU (``--cpu``, Linux) and the
HTTP client runs in the same process as the server, so one core does both the serving and the
polling: a conservative figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime

import httpx

from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model import Engine, ModelConfig
from queuepulse.simulator.server import fleet_configs, run_fleet, run_simulator

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def busy_model(calls: int) -> ModelConfig:
    """A model whose backlog reaches about ``calls`` concurrent calls within the warm-up."""
    return ModelConfig(queues=200, agents=1000, calls_per_min_per_queue=calls / 200 / 10,
                       patience_s=36_000, short_abandon_prob=0.0, master_timeout_s=0,
                       noise_calls_per_min=30)


def poll(base_url: str, token: str, seconds: float) -> tuple[int, list[float], int]:
    latencies: list[float] = []
    size = 0
    with httpx.Client(base_url=base_url, timeout=30,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            r = client.get("/xapi/v1/ActiveCalls")
            r.raise_for_status()
            size = len(r.content)
            latencies.append(time.perf_counter() - t0)
    return len(latencies), latencies, size


def bench_active_calls(calls: int, seconds: float, manual: bool) -> None:
    warm = 900.0
    cfg = SimulatorConfig(model=busy_model(calls), start=START, manual_clock=manual,
                          warmup_s=warm, background_tick_s=0.5)
    t0 = time.perf_counter()
    with run_simulator(cfg) as sim:
        build = time.perf_counter() - t0
        active = len(sim.simulator.engine.active)
        token = httpx.post(f"{sim.base_url}/connect/token", data={
            "client_id": sim.client_id, "client_secret": sim.client_secret,
            "grant_type": "client_credentials"}).json()["access_token"]
        n, lat, size = poll(sim.base_url, token, seconds)
        lat_ms = sorted(x * 1000 for x in lat)
        mode = "manual clock (cached body)" if manual else "real-time clock (body rebuilt per poll)"
        print(f"ActiveCalls, {mode}: {active} active calls, body {size / 1e6:.2f} MB, "
              f"{n / seconds:.1f} polls/s, latency p50 {statistics.median(lat_ms):.1f} ms, "
              f"p95 {lat_ms[int(0.95 * (len(lat_ms) - 1))]:.1f} ms "
              f"(model warm-up {warm:.0f} sim s built in {build:.1f} s)")


def bench_realtime(queues: int, agents: int, sim_seconds: float, rate: float,
                   patience_s: float = 120.0) -> None:
    cfg = ModelConfig(queues=queues, agents=agents, calls_per_min_per_queue=rate,
                      patience_s=patience_s, noise_calls_per_min=60)
    t_build = time.perf_counter()
    engine = Engine(cfg, 1_767_603_600_000)
    build = time.perf_counter() - t_build
    # warm up to a steady state first, then measure
    engine.advance_to(engine.now + 900_000)
    events0 = 0
    t0 = time.perf_counter()
    start = engine.now
    step = 250
    while engine.now < start + sim_seconds * 1000:
        events0 += engine.advance_to(engine.now + step)
    wall = time.perf_counter() - t0
    ratio = sim_seconds / wall
    print(f"Model {queues} queues / {agents} agents, {rate} calls/min/queue: "
          f"{len(engine.active)} active calls, "
          f"{events0 / sim_seconds:.0f} events per sim s, {ratio:.1f} sim s per wall s "
          f"({'keeps up' if ratio >= 1 else 'FALLS BEHIND'} at real time; built in {build:.2f} s)")


def bench_fleet(pbxs: int, seconds: float) -> None:
    """The managed-service shape: many small PBXs on one port, one token each, polled in turn."""
    base = SimulatorConfig(model=ModelConfig(queues=2, agents=8, calls_per_min_per_queue=4.0),
                           start=START, warmup_s=600, background_tick_s=1.0)
    with run_fleet(fleet_configs(base, pbxs)) as fleet, httpx.Client(timeout=30) as client:
        tokens = [client.post(f"{s.base_url}/connect/token", data={
            "client_id": s.client_id, "client_secret": s.client_secret,
            "grant_type": "client_credentials"}).json()["access_token"] for s in fleet]
        calls = sum(len(s.simulator.engine.active) for s in fleet)
        n = 0
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            s = fleet[n % pbxs]
            r = client.get(f"{s.xapi_url}/ActiveCalls",
                           headers={"Authorization": f"Bearer {tokens[n % pbxs]}"})
            r.raise_for_status()
            n += 1
        rate = n / seconds
        print(f"Fleet of {pbxs} PBXs on one port ({calls} calls in all): {rate:.0f} polls/s "
              f"sequential on one connection (1 s polls of every PBX need {pbxs}/s: "
              f"{'ok' if rate >= pbxs else 'short'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="polling time per mode")
    parser.add_argument("--sim-seconds", type=float, default=300.0)
    parser.add_argument("--pbxs", type=int, default=500)
    parser.add_argument("--cpu", type=int, default=None,
                        help="CPU to pin to (default: the first one allowed; -1: do not pin)")
    args = parser.parse_args()
    pinned = "not pinned"
    if args.cpu != -1 and hasattr(os, "sched_setaffinity"):
        cpu = args.cpu if args.cpu is not None else min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        pinned = f"pinned to CPU {cpu} (server and client share that one core)"
    print(f"cpus visible: {os.cpu_count()}, {pinned}, pid {os.getpid()}")
    bench_active_calls(args.calls, args.seconds, manual=False)
    bench_active_calls(args.calls, args.seconds, manual=True)
    bench_realtime(1000, 5000, args.sim_seconds, rate=1.2)
    bench_realtime(1000, 5000, args.sim_seconds, rate=2.5, patience_s=900)
    bench_fleet(args.pbxs, args.seconds)


if __name__ == "__main__":
    main()
