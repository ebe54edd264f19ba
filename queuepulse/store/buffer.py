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
from datetime import datetime
from itertools import islice
from typing import Protocol

from queuepulse.schedule import utcnow
from queuepulse.store.db import DatabaseUnavailableError
from queuepulse.store.spool import DiskSpool, SpoolFullError, SpoolSegment
from queuepulse.store.tables import DEAD_LETTERS, TableRow, dead_letter_row
from queuepulse.store.writers import RowRejectedError, StoreWriteError

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
    rows_spilled: int = 0
    """Rows written to the local spool (the memory bound was reached)."""
    dead_letters: int = 0
    """Rows refused for their data and kept in ``write_dead_letters``."""
    rows_dropped: int = 0
    """Refused rows that could not be dead-lettered either (logged)."""


class WriteBuffer:
    """Bounded, ordered, retrying buffer in front of a writer.

    ``capacity_rows`` bounds what it holds in memory; ``hold_ratio`` times capacity is where
    :meth:`should_hold_polling` turns true. Without a ``spool`` a full buffer blocks ``put``
    until it drained (the pollers hold before that). With a :class:`DiskSpool` nothing blocks:
    rows beyond the memory bound go to local disk, :meth:`drain` writes what it can within a
    time budget and returns at once while the database is away, and rows come back out in the
    order they went in (memory, then the spool's segments, then what arrived since).

    A batch the database refuses for its data (:class:`RowRejectedError`) is split in halves
    until the refused rows are isolated; each goes to ``write_dead_letters`` with the reason
    (counted in ``stats.dead_letters``) and the rest is written.
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
        spool: DiskSpool | None = None,
        drain_budget_s: float = 0.5,
        wall_clock: Callable[[], datetime] = utcnow,
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
        self._wall_clock = wall_clock
        self._observer = observer
        self._pending: deque[TableRow] = deque()
        self._lock = threading.RLock()
        self._attempt = 0
        self._outage_since: float | None = None
        self._retry_at = 0.0
        self.spool = spool
        self._tail: list[TableRow] = []  # newer than the spool, waiting to join it
        self._loaded: SpoolSegment | None = None  # the spool segment now in _pending
        self._spool_error: str | None = None
        self.drain_budget_s = drain_budget_s
        self.stats = BufferStats()

    # --- signals ---------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """Rows accepted but not yet committed (memory and spool)."""
        spooled = self.spool.rows if self.spool is not None else 0
        loaded = self._loaded.rows if self._loaded is not None else 0
        return len(self._pending) + len(self._tail) + spooled - loaded

    @property
    def spool_bytes(self) -> int:
        """Bytes of rows waiting on local disk."""
        return self.spool.bytes if self.spool is not None else 0

    @property
    def is_full(self) -> bool:
        """True when the memory part holds its capacity (without a spool: the next ``put``
        blocks until it drains)."""
        return len(self._pending) + len(self._tail) >= self.capacity_rows

    @property
    def database_down(self) -> bool:
        """True from the first failed write of an outage to the next successful one."""
        return self._outage_since is not None

    def should_hold_polling(self) -> bool:
        """True when producers should stop taking in new data: the memory part is near its
        capacity and there is no spool to take more (none, or it is full)."""
        if self.spool is not None and self._spool_error is None:
            return False
        return len(self._pending) + len(self._tail) >= self._hold_at

    # --- producing -------------------------------------------------------------------------

    def put(self, table: str, rows: Iterable[object]) -> None:
        """Accept ``rows`` for ``table``. Never drops (see :meth:`put_items`)."""
        self.put_items((table, row) for row in rows)

    def put_items(self, items: Iterable[TableRow]) -> None:
        """Accept ``(table, row)`` items, their order kept (batches are written in it). Never
        drops: without a spool it drains (blocking) when at capacity; with one, what does not
        fit in memory goes to disk."""
        with self._lock:
            if self.spool is None:
                before = len(self._pending)
                self._pending.extend(items)
                self.stats.rows_accepted += len(self._pending) - before
                while len(self._pending) >= self.capacity_rows:
                    self.flush(limit_rows=len(self._pending) - self._hold_at + 1)
                return
            batch = list(items)
            self.stats.rows_accepted += len(batch)
            if (not self.spool and not self._tail
                    and len(self._pending) + len(batch) <= self.capacity_rows):
                self._pending.extend(batch)
                return
            self._tail.extend(batch)
            self._spill_tail()

    def _spill_tail(self) -> None:
        """Move the rows that did not fit in memory to the spool (kept in memory, and the
        pollers asked to hold, while the spool cannot take them)."""
        assert self.spool is not None
        if not self._tail:
            return
        try:
            self.spool.append(self._tail)
        except SpoolFullError as exc:
            if self._spool_error is None:
                log.error("cannot spill rows to disk, holding them in memory and holding polling",
                          extra={"error": str(exc), "rows_in_memory": len(self._tail)})
            self._spool_error = str(exc)
            return
        if self._spool_error is not None:
            log.warning("the local spool takes rows again",
                        extra={"spool": str(self.spool.directory)})
            self._spool_error = None
        self.stats.rows_spilled += len(self._tail)
        self._tail = []

    # --- draining --------------------------------------------------------------------------

    def _next_items(self, limit: int) -> list[TableRow]:
        """The oldest pending rows, at most ``limit`` (loading the next spool segment or the
        tail into memory when the memory part is empty)."""
        if not self._pending and self.spool is not None:
            if self._loaded is not None:
                self.spool.remove(self._loaded)
                self._loaded = None
            oldest = self.spool.oldest()
            if oldest is not None:
                self._loaded, rows = oldest
                self._pending.extend(rows)
            elif self._tail:
                self._pending.extend(self._tail)
                self._tail = []
        return list(islice(self._pending, min(limit, len(self._pending))))

    def flush(self, *, limit_rows: int | None = None) -> int:
        """Write pending rows (all, or at least ``limit_rows``); return how many committed.

        Retries with backoff while the database is unavailable, so it returns only once the
        rows are committed. A non-retryable :class:`~queuepulse.store.writers.StoreWriteError`
        propagates; the rows stay pending. Rows refused for their data are dead-lettered.
        """
        written = 0
        with self._lock:
            while limit_rows is None or written < limit_rows:
                items = self._next_items(self.batch_rows)
                if not items:
                    break
                try:
                    self._write(items)
                except DatabaseUnavailableError as exc:
                    self._sleep(self._failed(exc))
                    continue
                written += len(items)
            self._release_loaded()
        return written

    def drain(self, *, now_or_never: bool = False) -> int:
        """Write what can be written now, for at most ``drain_budget_s``; return the rows
        committed. Never waits: while the database is away (or refuses writes) it notes the
        failure and returns at once, trying again when the backoff says so (``now_or_never``:
        try now whatever the backoff says — the last chance before a stop)."""
        written = 0
        with self._lock:
            if self.spool is not None:
                self._spill_tail()
            now = self._clock()
            if self._outage_since is not None and now < self._retry_at and not now_or_never:
                return 0
            deadline = now + self.drain_budget_s
            while True:
                items = self._next_items(self.batch_rows)
                if not items:
                    break
                try:
                    self._write(items)
                except (DatabaseUnavailableError, StoreWriteError) as exc:
                    self._retry_at = self._clock() + self._failed(exc)
                    break
                written += len(items)
                if self._clock() >= deadline:
                    break
            self._release_loaded()
        return written

    def _release_loaded(self) -> None:
        if not self._pending and self._loaded is not None and self.spool is not None:
            self.spool.remove(self._loaded)
            self._loaded = None

    def spill_all(self) -> int:
        """Move every row still in memory to the spool (at close, with the database away);
        return the rows moved. Rows the spool cannot take stay in memory (and are lost when the
        process ends: logged)."""
        with self._lock:
            if self.spool is None:
                return 0
            rows = list(self._pending)
            if self._loaded is not None:
                # the loaded segment is still on disk: only rows beyond it are new... but some
                # of its rows may be committed; keep the file (a re-write is idempotent)
                rows = []
                self._loaded = None
            moved = len(rows) + len(self._tail)
            self._pending.clear()
            self._tail = rows + self._tail
            self._spill_tail()
            return moved - len(self._tail)

    def _write(self, items: list[TableRow]) -> None:
        """Write one batch, isolating rows refused for their data; pop it once committed."""
        n = len(items)
        if self._observer is not None:
            items = self._observer.before_write(items)
        try:
            committed = self._commit(items)
        except (DatabaseUnavailableError, StoreWriteError):
            if self._observer is not None:
                self._observer.write_failed(items)
            raise
        for _ in range(n):
            self._pending.popleft()
        self.stats.rows_written += len(committed)
        self.stats.batches_written += 1
        self._recovered()
        if self._observer is not None:
            self._observer.committed(committed)

    def _commit(self, items: list[TableRow]) -> list[TableRow]:
        """Write ``items`` in one transaction; when the database refuses it for a row's data,
        split it in halves until each refused row is alone, dead-letter those and write the
        rest. Returns the items committed."""
        batch: dict[str, list[object]] = {}
        for table, row in items:
            batch.setdefault(table, []).append(row)
        try:
            self._writer.write(batch)
        except RowRejectedError as exc:
            if len(items) == 1:
                self._dead_letter(items[0], exc)
                return []
            mid = len(items) // 2
            return self._commit(items[:mid]) + self._commit(items[mid:])
        return items

    def _dead_letter(self, item: TableRow, exc: RowRejectedError) -> None:
        table, row = item
        letter = dead_letter_row(table, row, str(exc), exc.sqlstate, self._wall_clock())
        self.stats.dead_letters += 1
        log.error("a row was refused for its data and kept in write_dead_letters",
                  extra={"table": table, "reason": str(exc)[:300], "sqlstate": exc.sqlstate})
        try:
            self._writer.write({DEAD_LETTERS: [letter]})
        except RowRejectedError as again:  # cannot even keep it: say so, count it
            self.stats.rows_dropped += 1
            log.error("a refused row could not be dead-lettered either; it is dropped",
                      extra={"table": table, "reason": str(again)[:300]})

    def _failed(self, exc: Exception) -> float:
        now = self._clock()
        self._attempt += 1
        self.stats.write_errors += 1
        self.stats.last_error = str(exc)
        if self._outage_since is None:
            self._outage_since = now
            self.stats.outages += 1
            message = ("database unavailable, buffering rows and retrying with backoff"
                       if isinstance(exc, DatabaseUnavailableError) else
                       "the database refuses the batch (not for a row's data), buffering rows "
                       "and retrying with backoff")
            log.error(message, extra={"error": str(exc), "pending_rows": self.pending,
                                      "outage": self.stats.outages})
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
                   "pending_rows": self.pending},
        )
        self._outage_since = None
        self._attempt = 0
        self._retry_at = 0.0


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
