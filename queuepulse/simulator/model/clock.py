"""Simulated time: wall time scaled by a speed-up factor, or a manual clock moved only on demand."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class SimClock:
    """Maps wall time to simulated epoch milliseconds.

    ``now_ms() = start_ms + jumped_ms + (wall() - wall_at_start) * speed * 1000``; in manual mode
    the wall part is absent and time moves only through :meth:`advance`.
    """

    def __init__(self, start_ms: int, speed: float = 1.0, manual: bool = False,
                 wall: Callable[[], float] = time.monotonic) -> None:
        if speed <= 0:
            raise ValueError(f"speed-up factor must be > 0, got {speed}")
        self.start_ms = start_ms
        self.speed = speed
        self.manual = manual
        self._wall = wall
        self._wall0 = wall()
        self._jumped_ms = 0
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        """The current simulated time."""
        if self.manual:
            return self.start_ms + self._jumped_ms
        elapsed = (self._wall() - self._wall0) * self.speed * 1000
        return self.start_ms + self._jumped_ms + int(elapsed)

    def advance(self, seconds: float) -> int:
        """Move simulated time forward by ``seconds`` (>= 0); return the new time."""
        if seconds < 0:
            raise ValueError(f"simulated time only moves forward, got {seconds} s")
        with self._lock:
            self._jumped_ms += round(seconds * 1000)
        return self.now_ms()
