"""Record a simulated PBX under a manual clock: deterministic replay input for the tests.

:func:`record_simulation` steps a manual-clock simulator (``run_simulator(SimulatorConfig(
manual_clock=True))``) one poll interval at a time and polls it over real HTTP through the
production :class:`~queuepulse.xapi.client.XapiClient` (token manager, retries, breaker), exactly
as the live poller does — but with simulated time as the receive clock and no real waiting, so
the same seed and fault spec give the same recording. A failed poll is recorded as nothing (the
gap shows as a missing receive time), like a live poller's failed poll becomes a gap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from queuepulse.errors import QueuepulseError
from queuepulse.schedule import FixedRate
from queuepulse.settings import PbxSettings
from queuepulse.xapi.replay_file import ReplayRecord

__all__ = ["SimRecording", "record_simulation", "write_records"]


@dataclass
class SimRecording:
    """The records, and what failed while recording."""

    records: list[ReplayRecord] = field(default_factory=list)
    failed_polls: int = 0
    errors: dict[str, int] = field(default_factory=dict)


async def _noop_sleep(_: float) -> None:
    return None


async def record_simulation_async(
    sim: Any,
    seconds: float,
    *,
    pbx_id: str = "sim",
    poll_s: float = 1.0,
    sync_every_s: float = 60.0,
    timeout_s: float = 5.0,
    on_poll: Callable[[int], None] | None = None,
) -> SimRecording:
    """Poll ``sim`` (a :class:`RunningSimulator` with a manual clock) every ``poll_s`` simulated
    seconds for ``seconds`` (paced by :class:`~queuepulse.schedule.FixedRate` on simulated time:
``seconds / poll_s + 1`` polls); Queues/Users at start and every ``sync_every_s``."""
    from queuepulse.xapi.client import XapiClient

    def sim_now() -> datetime:
        return datetime.fromtimestamp(sim.now_ms() / 1000, UTC)

    settings = PbxSettings(
        pbx_id=pbx_id, url=sim.base_url, client_id=sim.client_id,
        client_secret=SecretStr(sim.client_secret), timeout_s=timeout_s,
        retry_budget_s=max(0.05, poll_s * 0.8), breaker_failures=1000,
    )
    out = SimRecording()
    start_ms = sim.now_ms()

    def elapsed() -> float:  # simulated seconds since the start
        return float(sim.now_ms() - start_ms) / 1000

    async def advance(seconds: float) -> None:
        sim.advance(seconds)

    # the live poller's schedule, on simulated time: sleeping advances the simulator
    schedule = FixedRate(poll_s, clock=elapsed, sleep=advance, start=0.0)
    next_sync = 0.0
    async with XapiClient(settings, jitter=False, sleep=_noop_sleep,
                          wall_clock=sim_now) as client:
        while True:
            now = elapsed()
            if now >= next_sync:
                try:
                    queues = await client.poll_queues(expand_agents=True)
                    users = await client.poll_users()
                except QueuepulseError as exc:
                    out.errors["config_" + type(exc).__name__] = (
                        out.errors.get("config_" + type(exc).__name__, 0) + 1)
                else:
                    out.records.append(ReplayRecord("queues", pbx_id, queues.received_at,
                                                    queues.body))
                    out.records.append(ReplayRecord("users", pbx_id, users.received_at,
                                                    users.body))
                    next_sync = now + sync_every_s
            try:
                raw = await client.poll_active_calls()
            except QueuepulseError as exc:
                out.failed_polls += 1
                out.errors[type(exc).__name__] = out.errors.get(type(exc).__name__, 0) + 1
            else:
                # received_at: simulated time plus a millisecond, unique per poll
                out.records.append(ReplayRecord(
                    "active_calls", pbx_id, raw.received_at + timedelta(milliseconds=1),
                    raw.body))
            if on_poll is not None:
                on_poll(schedule.index)
            due = schedule.next_tick()
            if due > seconds + 1e-9:
                break
            await schedule.sleep_until(due)
    return out


def record_simulation(sim: Any, seconds: float, **kwargs: Any) -> SimRecording:
    """:func:`record_simulation_async` from synchronous code."""
    return asyncio.run(record_simulation_async(sim, seconds, **kwargs))


def write_records(records: list[ReplayRecord], path: Path) -> Path:
    """Write records as one JSON Lines replay file."""
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(record.to_line())
    return path
