"""The fixed-rate schedule of the polling loops, on a fake clock."""

from __future__ import annotations

import asyncio
from datetime import UTC

import pytest

from queuepulse.schedule import FixedRate, utcnow

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_ticks_on_the_grid_and_skips_overrun_ticks() -> None:
    clock = Clock(50.0)
    rate = FixedRate(2.0, clock=clock, sleep=clock.sleep)
    assert rate.start == 50.0
    assert rate.next_tick() == 52.0  # nothing overran
    clock.now = 52.7  # a late wake-up: the next tick stays on the grid
    assert rate.next_tick() == 54.0
    clock.now = 59.1  # ticks 56 and 58 were overrun
    assert rate.next_tick() == 60.0
    assert (rate.index, rate.skipped) == (5, 2)
    clock.now = 62.0  # exactly on a tick: due now, not skipped
    assert rate.next_tick() == 62.0
    assert rate.skipped == 2


def test_sleep_until_waits_only_for_the_future() -> None:
    clock = Clock(10.0)
    rate = FixedRate(1.0, clock=clock, sleep=clock.sleep)

    async def main() -> None:
        await rate.sleep_until(rate.next_tick())
        clock.now = 12.5
        await rate.sleep_until(11.0)  # past: no sleep

    asyncio.run(main())
    assert clock.sleeps == [1.0]
    assert clock.now == 12.5


def test_a_decimal_interval_drifts_into_no_skipped_tick() -> None:
    clock = Clock(0.0)
    rate = FixedRate(0.1, clock=clock, sleep=clock.sleep, start=0.0)
    for _ in range(1000):  # the clock reads each tick as a rounded decimal, as a ms clock does
        clock.now = round(rate.next_tick(), 3)
    assert rate.skipped == 0
    assert rate.index == 1000


def test_a_nonpositive_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="interval_s"):
        FixedRate(0.0)


def test_utcnow_is_timezone_aware() -> None:
    assert utcnow().tzinfo is UTC
