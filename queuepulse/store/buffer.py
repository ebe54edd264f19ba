"""A bounded write buffer that survives database outages without losing accepted rows.

Producers :meth:`WriteBuffer.put` rows; :meth:`WriteBuffer.flush` moves them to the database in
batches through a :class:`~queuepulse.store.writers.BatchWriter`. While the database is away a
flush retries with exponential backoff (``sleep`` and ``clock`` are injected, so tests never
wait); rows stay in the buffer until a batch containing them committed. The buffer never drops
an accepted row: when it reaches its capacity, ``put`` drains it (blocking) before returning, and
before that point :meth:`WriteBuffer.should_hold_polling` tells the poller to stop taking in new
data. One error line is logged when an outage begins and one line when it ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Protocol

from queuepulse.store.writers import DatabaseUnavailable

log = logging.getLogger(__name__)


class Writer(Protocol):
    """What the buffer needs from a writer (a :class:`BatchWriter` fits)."""

    def write(self, batch: Mapping[str, Sequence[object]]) -> int: ...


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff between write attempts while the database is away."""

    initial_s: float = 0.5
    factor: float = 2.0
    max_s: float = 30.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        return float(min(self.max_s, self.initial_s * self.factor ** max(0, attempt - 1)))


@dataclass
class BufferStats:
    """Counters of one buffer (exported by the metrics endpoint)."""

    rows_accepted: int = 0
    rows_written: int = 0
    batches_written: int = 0
    write_errors: int = 0
    """Failed write attempts (every retry counts)."""
    outages: int = 0
    """Periods during which the database could not be written."""
    outage_s: float = 0.0
    """Total seconds spent in finished outages."""
    last_error: str | None = None


class WriteBuffer:
    """Bounded, ordered, retrying buffer in front of a writer.

    ``capacity_rows`` bounds what it holds (``put`` blocks draining beyond it);
    ``hold_ratio`` times capacity is where :meth:`should_hold_polling` turns true.
    """

    def __init__(
        self,
        writer: Writer,
        *,
        capacity_rows: int = 200_000,
        batch_rows: int = 5_000,
        hold_ratio: float = 0.8,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity_rows < 1 or batch_rows < 1:
            raise ValueError("capacity_rows and batch_rows must be at least 1")
        if not 0 < hold_ratio <= 1:
            raise ValueError("hold_ratio must be in (0, 1]")
        self._writer = writer
        self.capacity_rows = capacity_rows
        self.batch_rows = batch_rows
        self._hold_at = max(1, int(capacity_rows * hold_ratio))
        self._backoff = backoff or Backoff()
        self._sleep = sleep
        self._clock = clock
        self._pending: deque[tuple[str, object]] = deque()
        self._lock = threading.RLock()
        self._attempt = 0
        self._outage_since: float | None = None
        self._next_attempt_at = 0.0
        self.stats = BufferStats()

    # --- signals ---------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Rows accepted but not yet committed."""
        return len(self._pending)

    @property
    def is_full(self) -> bool:
        """True when the buffer holds its capacity: the next ``put`` blocks until it drains."""
        return len(self._pending) >= self.capacity_rows

    @property
    def database_down(self) -> bool:
        """True from the first failed write of an outage to the next successful one."""
        return self._outage_since is not None

    def should_hold_polling(self) -> bool:
        """True when producers should stop taking in new data (buffer near its capacity)."""
        return len(self._pending) >= self._hold_at

    # --- producing -------------------------------------------------------------------------

    def put(self, table: str, rows: Iterable[object]) -> None:
        """Accept ``rows`` for ``table``. Never drops: drains (blocking) when at capacity."""
        with self._lock:
            before = len(self._pending)
            self._pending.extend((table, row) for row in rows)
            self.stats.rows_accepted += len(self._pending) - before
            while len(self._pending) >= self.capacity_rows:
                self.flush(block=True, limit_rows=len(self._pending) - self._hold_at + 1)

    # --- draining --------------------------------------------------------------------------

    def _next_batch(self) -> tuple[dict[str, list[object]], int]:
        batch: dict[str, list[object]] = {}
        n = min(self.batch_rows, len(self._pending))
        for table, row in islice(self._pending, n):
            batch.setdefault(table, []).append(row)
        return batch, n

    def flush(self, *, block: bool = True, limit_rows: int | None = None) -> int:
        """Write pending rows; return how many were committed.

        ``block=True`` retries with backoff until everything (or ``limit_rows``) is written.
        ``block=False`` makes at most one attempt per call, and none before the backoff delay
        of the last failure has passed — for callers that must not sleep (a Bytewax step).
        A non-retryable :class:`~queuepulse.store.writers.StoreWriteError` propagates; the rows
        stay pending.
        """
        written = 0
        with self._lock:
            while self._pending and (limit_rows is None or written < limit_rows):
                if not block and self._clock() < self._next_attempt_at:
                    break
                batch, n = self._next_batch()
                try:
                    self._writer.write(batch)
                except DatabaseUnavailable as exc:
                    delay = self._failed(exc)
                    if not block:
                        break
                    self._sleep(delay)
                    continue
                for _ in range(n):
                    self._pending.popleft()
                written += n
                self.stats.rows_written += n
                self.stats.batches_written += 1
                self._recovered()
        return written

    def _failed(self, exc: DatabaseUnavailable) -> float:
        now = self._clock()
        self._attempt += 1
        self.stats.write_errors += 1
        self.stats.last_error = str(exc)
        if self._outage_since is None:
            self._outage_since = now
            self.stats.outages += 1
            log.error(
                "database unavailable, buffering rows and retrying with backoff",
                extra={"error": str(exc), "pending_rows": len(self._pending),
                       "outage": self.stats.outages},
            )
        else:
            log.debug("database still unavailable", extra={"attempt": self._attempt})
        delay = self._backoff.delay(self._attempt)
        self._next_attempt_at = now + delay
        return delay

    def _recovered(self) -> None:
        if self._outage_since is None:
            return
        down_s = self._clock() - self._outage_since
        self.stats.outage_s += down_s
        log.warning(
            "database back, writing buffered rows",
            extra={"down_s": round(down_s, 3), "attempts": self._attempt,
                   "pending_rows": len(self._pending)},
        )
        self._outage_since = None
        self._attempt = 0
        self._next_attempt_at = 0.0
