"""Queues as code at scale: plan + apply of 100 queues x 20 members against the simulator.

The simulator (manual clock, no traffic) serves one PBX with 2,000 agents over real HTTP on
127.0.0.1, in a thread of this process. A queues file of ``--queues`` queues with ``--members``
members each is then, through the same code as ``queuepulse queues``:

1. planned and applied onto a PBX that has none of them (every queue created);
2. planned again (no changes expected);
3. edited — every queue's SLA time and one member changed — planned and applied (updates);
4. planned once more (no changes expected).

For each step it prints the HTTP requests made (every attempt, token requests excluded) and the
wall-clock seconds. Figures only, no assertions. Usage::

    .venv/bin/python benchmarks/bench_queues.py [--queues 100] [--members 20]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

CLIENT_ID = "bench-apply"
CLIENT_SECRET = "bench-apply-secret"  # throwaway credentials of the local simulator


def _wanted(queues: int, members: int, agent_dns: list[str], sla: int, shift: int) -> list[Any]:
    from queuepulse.domain.queue_config import Member, QueueConfig

    out = []
    for i in range(queues):
        start = (i * members + shift) % len(agent_dns)
        picked = [agent_dns[(start + j) % len(agent_dns)] for j in range(members)]
        out.append(QueueConfig(
            str(900 + i),
            {"name": f"Bench {i}", "polling_strategy": "LongestWaiting", "sla_time": sla,
             "ring_timeout": 20, "wrap_up_time": 5},
            tuple(Member(dn, "A" if j % 2 else None) for j, dn in enumerate(picked)),
        ))
    return out


async def _step(xapi: Any, name: str, wanted: list[Any], apply: bool) -> None:
    from queuepulse.queue_admin import QueueApplier, plan, read_pbx

    before = xapi.stats.requests
    started = time.perf_counter()
    state = await read_pbx(xapi)
    the_plan = plan(wanted, state.queues)
    planned_s = time.perf_counter() - started
    plan_requests = xapi.stats.requests - before
    counts = the_plan.counts()
    line = (f"{name:<34} plan: {plan_requests:>4} requests {planned_s:6.2f} s "
            f"({counts['create']} create, {counts['update']} update)")
    if apply and not the_plan.empty:
        before = xapi.stats.requests
        started = time.perf_counter()
        report = await QueueApplier(xapi).apply(the_plan)
        applied_s = time.perf_counter() - started
        line += (f" | apply: {xapi.stats.requests - before:>4} requests {applied_s:6.2f} s, "
                 f"{report.count('applied')} applied, "
                 f"{len(the_plan.changes) / applied_s:6.1f} queues/s")
    print(line, flush=True)


async def _run(args: argparse.Namespace, sim: Any) -> None:
    from pydantic import SecretStr

    from queuepulse.settings import PbxSettings
    from queuepulse.xapi.client import XapiClient

    settings = PbxSettings(pbx_id="bench", url=sim.base_url, client_id=CLIENT_ID,
                           client_secret=SecretStr(CLIENT_SECRET), timeout_s=30.0)
    agent_dns = [a.dn for a in sim.simulator.engine.agents]
    async with XapiClient(settings) as xapi:
        first = _wanted(args.queues, args.members, agent_dns, 20, 0)
        await _step(xapi, f"1. create {args.queues} x {args.members}", first, apply=True)
        await _step(xapi, "2. re-plan (no changes)", first, apply=False)
        edited = _wanted(args.queues, args.members, agent_dns, 30, 1)
        await _step(xapi, "3. edit SLA + one member each", edited, apply=True)
        await _step(xapi, "4. re-plan (no changes)", edited, apply=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queues", type=int, default=100, help="queues in the file (100)")
    parser.add_argument("--members", type=int, default=20, help="members per queue (20)")
    parser.add_argument("--agents", type=int, default=2000, help="agents on the PBX (2000)")
    args = parser.parse_args()

    from queuepulse.logs import configure_logging
    from queuepulse.simulator.config import SimulatorConfig
    from queuepulse.simulator.model.config import ModelConfig
    from queuepulse.simulator.server import run_simulator

    configure_logging("WARNING", "text")
    model = ModelConfig(seed=1, queues=1, agents=args.agents, queues_per_agent=1,
                        calls_per_min_per_queue=0.0, noise_calls_per_min=0.0, noise_users=0)
    config = SimulatorConfig(model=model, manual_clock=True, warmup_s=0,
                             background_tick_s=0.0, client_id=CLIENT_ID,
                             client_secret=CLIENT_SECRET)
    with run_simulator(config) as sim:
        print(f"simulated PBX: 1 queue, {args.agents} agents; file: {args.queues} queues x "
              f"{args.members} members")
        asyncio.run(_run(args, sim))


if __name__ == "__main__":
    main()
