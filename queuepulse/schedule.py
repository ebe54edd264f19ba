"""Clocks and the fixed-rate schedule of the polling loops.

:class:`FixedRate` paces a loop on the grid ``start + k * interval_s``: a tick overrun by a slow
iteration is skipped, not bunched (the next tick is the first grid point not yet past). The
clock and the sleep are injected, so a loop's timing can be tested without waiting: the live
poller, ``record`` and the tests' simulator recorder all pace themselves with it.
:func:`utcnow` is the timezone-aware wall clock the stamps default to.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

__all__ = ["Clock", "FixedRate", "Sleep", "utcnow"]

Clock = Callable[[], float]
"""Seconds on a monotonic scale (default :func:`time.monotonic`)."""

Sleep = Callable[[float], Awaitable[None]]
"""Waits that many seconds (default :func:`asyncio.sleep`)."""

# grid points computed as start + k * interval may land a rounding error past ``now``
_EPSILON = 1e-9


def utcnow() -> datetime:
    """The wall clock now, timezone-aware (UTC)."""
    return datetime.now(UTC)


class FixedRate:
    """Ticks at ``start + k * interval_s`` (``start``: the clock when created, by default).

    :meth:`next_tick` gives the tick after the one served last, skipping ticks the clock has
    already passed (counted in :attr:`skipped`); :meth:`sleep_until` waits for it.
    """

    def __init__(self, interval_s: float, *, clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep, start: float | None = None) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be > 0, got {interval_s}")
        self.interval_s = interval_s
        self.clock = clock
        self._sleep = sleep
        self.start = clock() if start is None else start
        self.index = 0
        """The index of the tick served last (0: the one at ``start``)."""
        self.skipped = 0
        """Ticks skipped because the loop was still busy when they came."""

    def next_tick(self) -> float:
        """Advance to the next tick not already past (now or later) and return its time."""
        elapsed = self.clock() - self.start
        due = max(self.index + 1, math.ceil(elapsed / self.interval_s - _EPSILON))
        self.skipped += due - self.index - 1
        self.index = due
        return self.at(due)

    def at(self, index: int) -> float:
        """The time of tick ``index``."""
        return self.start + index * self.interval_s

    async def sleep_until(self, when: float) -> None:
        """Sleep until the clock reads ``when`` (not at all when it is past)."""
        wait = when - self.clock()
        if wait > 0:
            await self._sleep(wait)
