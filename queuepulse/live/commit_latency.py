"""What only the writing side knows about a poll: the rows committed before its health row,
the failed write attempts it waited through, and the latency from its receive time to commit.

Every applied or failed poll yields one ``pipeline_health`` row (a dict) whose ``ts`` is the
poll's receive time; the flow emits it after the poll's other rows, and the sink keeps that
order, so when the health row has committed, the whole poll has. :class:`CommitRecorder` is the
sink buffer's :class:`~queuepulse.store.buffer.WriteObserver`: at each write attempt it stamps
every health row with

* ``rows_written``: the rows of its PBX committed since the PBX's previous health row, up to
  and including its own batch (the poll's events, visits, gauges and agent states, the
  configuration rows before it and the KPI buckets folded from earlier polls);
* ``write_errors``: the failed write attempts that carried rows of its PBX since that previous
  health row (0 unless the database was away),

so both describe the commit the row is part of. After each commit it observes poll-to-commit
latency into a histogram (and, for benchmarks, a list).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from prometheus_client import Histogram

from queuepulse.live.metrics import METRICS
from queuepulse.store.tables import TableRow

__all__ = ["COMMIT_LATENCY", "HEALTH_TABLE", "CommitRecorder"]

HEALTH_TABLE = "pipeline_health"

COMMIT_LATENCY = Histogram(
    "queuepulse_poll_to_commit_seconds", "Poll receive time to the commit of its rows",
    ["pbx_id"], buckets=(0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0),
    registry=METRICS.registry,
)


def _pbx_of(row: Any) -> str | None:
    pbx = row.get("pbx_id") if isinstance(row, dict) else getattr(row, "pbx_id", None)
    return None if pbx is None else str(pbx)


class CommitRecorder:
    """The store sink's write observer: stamps health rows, measures poll-to-commit latency.

    ``keep=True`` keeps the latency samples. One recorder serves every partition of a sink
    (thread-safe), so rows written by the KPI output count towards their PBX's next health row.
    """

    def __init__(self, *, keep: bool = False, clock: Callable[[], float] = time.time) -> None:
        self.keep = keep
        self.clock = clock
        self.samples: list[tuple[str, float]] = []
        self._lock = threading.Lock()
        self._rows_since: dict[str, int] = {}  # committed rows since the PBX's last health row
        self._failures: dict[str, int] = {}  # failed attempts since the PBX's last health row

    def _walk(
        self, items: Sequence[TableRow], stamp: bool
    ) -> tuple[list[TableRow], dict[str, int]]:
        """The rows counted per PBX from the committed state on: ``items`` (with their health
        rows stamped when ``stamp``) and the counts after them."""
        counts = dict(self._rows_since)
        out: list[TableRow] = []
        for table, row in items:
            pbx = _pbx_of(row)
            if pbx is not None and table == HEALTH_TABLE and isinstance(row, dict):
                if stamp:
                    row = {**row, "rows_written": counts.get(pbx, 0),
                           "write_errors": self._failures.get(pbx, 0)}
                counts[pbx] = 0
            elif pbx is not None:
                counts[pbx] = counts.get(pbx, 0) + 1
            if stamp:
                out.append((table, row))
        return out, counts

    def before_write(self, items: list[TableRow]) -> list[TableRow]:
        """``items`` with every health row stamped for this attempt."""
        with self._lock:
            return self._walk(items, stamp=True)[0]

    def write_failed(self, items: Sequence[TableRow]) -> None:
        """Count a failed attempt against every PBX with rows in it."""
        with self._lock:
            for pbx in {_pbx_of(row) for _table, row in items}:
                if pbx is not None:
                    self._failures[pbx] = self._failures.get(pbx, 0) + 1

    def committed(self, items: Sequence[TableRow]) -> None:
        """Take in a committed batch (its rows as stamped): counts move on, and each health
        row's poll-to-commit latency is observed."""
        now = self.clock()
        found: list[tuple[str, float]] = []
        with self._lock:
            _, self._rows_since = self._walk(items, stamp=False)
            for table, row in items:
                if table != HEALTH_TABLE or not isinstance(row, dict):
                    continue
                pbx = str(row.get("pbx_id"))
                self._failures.pop(pbx, None)
                ts = row.get("ts")
                if isinstance(ts, datetime):
                    found.append((pbx, max(0.0, now - ts.timestamp())))
            if self.keep:
                self.samples.extend(found)
        for pbx_id, latency in found:
            COMMIT_LATENCY.labels(pbx_id).observe(latency)
