"""Presence poll cost at 5,000 agents: the light ``/Users`` poll beside the full one.

Starts the simulator in-process (real HTTP on 127.0.0.1) with ``--agents`` agents, then polls
``GET /Users`` both ways, one poll at a time as the poller does:

* presence: ``XapiClient.poll_presence()`` — ``$select`` of Number, QueueStatus,
  CurrentProfileName, IsRegistered only (what the flow polls every 5 s by default);
* full: ``XapiClient.poll_users()`` — every monitoring field (what the sync polls every 60 s).

And the flow's side: the time :class:`~queuepulse.live.pbx_step.PbxStepper` takes to apply one
presence answer with no change, and with 1 % of the agents changed (rows + directory rebuild).
Prints bytes per poll, p50/p95 latency and the share of one CPU a 5 s presence poll costs.
Figures only. Usage::

    .venv/bin/python benchmarks/bench_presence.py [--agents 5000] [--polls 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr


def _p(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def _polls(client: Any, method: str, n: int) -> tuple[list[float], list[float], int, Any]:
    wall: list[float] = []
    cpu: list[float] = []
    size = 0
    raw = None
    for _ in range(n):
        t0, c0 = time.perf_counter(), time.thread_time()
        raw = await getattr(client, method)()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
        size = len(raw.content)
    return wall, cpu, size, raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=5000)
    parser.add_argument("--polls", type=int, default=30)
    parser.add_argument("--interval-s", type=float, default=5.0)
    args = parser.parse_args()

    from queuepulse.domain.pbx_config import collection_rows
    from queuepulse.domain.rules import Rules
    from queuepulse.live.items import ConfigItem, PresenceItem
    from queuepulse.live.pbx_step import PbxStepper
    from queuepulse.settings import PbxSettings
    from queuepulse.simulator.config import SimulatorConfig
    from queuepulse.simulator.model.config import ModelConfig
    from queuepulse.simulator.server import run_simulator
    from queuepulse.xapi.client import XapiClient

    model = ModelConfig(seed=3, queues=max(4, args.agents // 50), agents=args.agents,
                        calls_per_min_per_queue=1.0, noise_calls_per_min=0.0)
    with run_simulator(SimulatorConfig(model=model, manual_clock=True)) as sim:
        pbx = PbxSettings(pbx_id="bench", url=sim.base_url, client_id=sim.client_id,
                          client_secret=SecretStr(sim.client_secret))

        async def run() -> dict[str, Any]:
            async with XapiClient(pbx, jitter=False) as client:
                queues = await client.poll_queues(expand_agents=True)
                out = {}
                for method in ("poll_presence", "poll_users", "poll_presence", "poll_users"):
                    wall, cpu, size, raw = await _polls(client, method, args.polls)
                    prev = out.get(method)
                    out[method] = (wall + (prev[0] if prev else []),
                                   cpu + (prev[1] if prev else []), size, raw)
                out["queues"] = queues
                return out

        results = asyncio.run(run())

    print(f"{args.agents} agents, {args.polls * 2} polls each (alternating rounds)")
    print(f"  {'poll':<34} {'bytes':>10} {'p50 ms':>8} {'p95 ms':>8} {'cpu ms':>8}")
    for method, label in (("poll_presence", "presence ($select 4 fields)"),
                          ("poll_users", "full Users (monitoring fields)")):
        wall, cpu, size, _ = results[method]
        print(f"  {label:<34} {size:>10,} {statistics.median(wall):8.1f} {_p(wall, 95):8.1f} "
              f"{statistics.median(cpu):8.1f}")

    # the flow's side
    users = collection_rows(results["poll_users"][3].body)
    presence = collection_rows(results["poll_presence"][3].body)
    queues = collection_rows(results["queues"].body)
    stepper = PbxStepper(Rules())
    now = datetime.now(UTC)
    state, _ = stepper(None, ConfigItem("bench", now, queues, users))
    t0 = time.perf_counter()
    for _ in range(10):
        stepper(state, PresenceItem("bench", now, presence))
    same_ms = (time.perf_counter() - t0) * 100
    changed = [dict(r) for r in presence]
    for row in changed[: max(1, len(changed) // 100)]:
        row["CurrentProfileName"] = "Lunch" if row.get("CurrentProfileName") != "Lunch" else "X"
    t0 = time.perf_counter()
    for _ in range(10):
        _, out = stepper(state, PresenceItem("bench", now, tuple(changed)))
    changed_ms = (time.perf_counter() - t0) * 100
    print(f"  flow step, no change:              {same_ms:8.1f} ms")
    print(f"  flow step, 1 % changed ({len(out.rows)} rows):   {changed_ms:8.1f} ms")
    cpu_presence = statistics.median(results["poll_presence"][1]) + same_ms
    print(f"presence every {args.interval_s:g} s costs {cpu_presence:.1f} ms CPU per poll = "
          f"{100 * cpu_presence / 1000 / args.interval_s:.2f} % of one core; "
          f"{results['poll_presence'][2] * 86400 / args.interval_s / 1e9:.2f} GB/day on the wire")


if __name__ == "__main__":
    main()
