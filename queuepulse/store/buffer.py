"""A bounded write buffer that survives database outages without losing accepted rows.

Producers :meth:`WriteBuffer.put` rows; :meth:`WriteBuffer.flush` moves them to the database in
batches through a :class:`~queuepulse.store.writers.BatchWriter`. While the database is away a
flush retries with exponential backoff (``sleep`` and ``clock`` are injected, so tests never
wait); rows stay in the buffer until a batch containing them committed. The buffer never drops
an accepted row: when it reaches its capacity, ``put`` drains it (blocking) before returning, and
before that point :meth:`WriteBuffer.should_hold_polling` tells the poller to stop taking in new
data. One error line is logged when an outage begins and one line when it ends.

A :class:`WriteObserver` sees every attempt: it may rewrite the rows of the attempt (stamp
them with what only the writing side knows), and hears of each failure and commit.
:data:`OPEN_BUFFERS` lists the buffers of the process, for the polling hold and the metrics.
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

from queuepulse.store.db import DatabaseUnavailableError
from queuepulse.store.tables import TableRow

log = logging.getLogger(__name__)


class Writer(Protocol):
    """What the buffer needs from a writer (a :class:`BatchWriter` fits)."""

    def write(self, batch: Mapping[str, Sequence[object]]) -> int: ...


class WriteObserver(Protocol):
    """Sees each write attempt of a buffer, in order (under the buffer's lock)."""

    def before_write(self, items: list[TableRow]) -> list[TableRow]:
        """The rows to write for this attempt (``items`` as taken from the buffer, in order);
        the buffer keeps its own copy, so a retry starts again from the originals."""
        ...

    def write_failed(self, items: Sequence[TableRow]) -> None:
        """An attempt with these rows failed; the buffer retries it."""
        ...

    def committed(self, items: Sequence[TableRow]) -> None:
        """These rows (as returned by :meth:`before_write`) have just committed."""
        ...


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
        observer: WriteObserver | None = None,
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
        self._observer = observer
        self._pending: deque[TableRow] = deque()
        self._lock = threading.RLock()
        self._attempt = 0
        self._outage_since: float | None = None
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
        self.put_items((table, row) for row in rows)

    def put_items(self, items: Iterable[TableRow]) -> None:
        """Accept ``(table, row)`` items, their order kept (batches are written in it). Never
        drops: drains (blocking) when at capacity."""
        with self._lock:
            before = len(self._pending)
            self._pending.extend(items)
            self.stats.rows_accepted += len(self._pending) - before
            while len(self._pending) >= self.capacity_rows:
                self.flush(limit_rows=len(self._pending) - self._hold_at + 1)

    # --- draining --------------------------------------------------------------------------

    def flush(self, *, limit_rows: int | None = None) -> int:
        """Write pending rows (all, or at least ``limit_rows``); return how many committed.

        Retries with backoff while the database is unavailable, so it returns only once the
        rows are committed. A non-retryable :class:`~queuepulse.store.writers.StoreWriteError`
        propagates; the rows stay pending.
        """
        written = 0
        with self._lock:
            while self._pending and (limit_rows is None or written < limit_rows):
                n = min(self.batch_rows, len(self._pending))
                items = list(islice(self._pending, n))
                if self._observer is not None:
                    items = self._observer.before_write(items)
                batch: dict[str, list[object]] = {}
                for table, row in items:
                    batch.setdefault(table, []).append(row)
                try:
                    self._writer.write(batch)
                except DatabaseUnavailableError as exc:
                    if self._observer is not None:
                        self._observer.write_failed(items)
                    self._sleep(self._failed(exc))
                    continue
                for _ in range(n):
                    self._pending.popleft()
                written += n
                self.stats.rows_written += n
                self.stats.batches_written += 1
                self._recovered()
                if self._observer is not None:
                    self._observer.committed(items)
        return written

    def _failed(self, exc: DatabaseUnavailableError) -> float:
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
        return self._backoff.delay(self._attempt)

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


class OpenBuffers:
    """The write buffers of this process, by name (thread-safe): whether any asks producers to
    hold, and their counters."""

    def __init__(self) -> None:
        self._buffers: dict[str, WriteBuffer] = {}
        self._lock = threading.Lock()

    def add(self, name: str, buffer: WriteBuffer) -> None:
        """List ``buffer`` under ``name`` (a sink partition opened)."""
        with self._lock:
            self._buffers[name] = buffer

    def remove(self, name: str) -> None:
        """Forget a buffer (its sink partition closed)."""
        with self._lock:
            self._buffers.pop(name, None)

    def all(self) -> dict[str, WriteBuffer]:
        """The open buffers, by name."""
        with self._lock:
            return dict(self._buffers)

    def should_hold_polling(self) -> bool:
        """True when an open buffer is near its capacity: pollers skip ticks until it drains."""
        return any(b.should_hold_polling() for b in self.all().values())


OPEN_BUFFERS = OpenBuffers()
"""The process's open write buffers (the sinks add theirs)."""
