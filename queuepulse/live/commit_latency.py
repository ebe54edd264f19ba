"""Poll-to-commit latency: from a poll's receive time to the commit of its rows.

Every applied or failed poll yields one ``pipeline_health`` row whose ``ts`` is the poll's
receive time; the flow emits it after the poll's other rows, so when a sink batch holding it has
committed, the whole poll has. :class:`CommitRecorder` observes that into a histogram (and, for
benchmarks, a list).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from prometheus_client import Histogram

from queuepulse.live.metrics import METRICS

__all__ = ["COMMIT_LATENCY", "CommitRecorder"]

COMMIT_LATENCY = Histogram(
    "queuepulse_poll_to_commit_seconds", "Poll receive time to the commit of its rows",
    ["pbx_id"], buckets=(0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0),
    registry=METRICS.registry,
)


class CommitRecorder:
    """Measures poll-to-commit latency of committed batches; ``keep=True`` keeps the samples."""

    def __init__(self, *, keep: bool = False, clock: Callable[[], float] = time.time) -> None:
        self.keep = keep
        self.clock = clock
        self.samples: list[tuple[str, float]] = []
        self._lock = threading.Lock()

    def committed(self, items: Iterable[tuple[str, Any]]) -> None:
        """Record the ``pipeline_health`` rows of a batch that has just committed."""
        now = self.clock()
        found: list[tuple[str, float]] = []
        for table, row in items:
            if table != "pipeline_health":
                continue
            ts = row.get("ts") if isinstance(row, dict) else None
            if isinstance(ts, datetime):
                found.append((str(row.get("pbx_id")), max(0.0, now - ts.timestamp())))
        for pbx_id, latency in found:
            COMMIT_LATENCY.labels(pbx_id).observe(latency)
        if self.keep and found:
            with self._lock:
                self.samples.extend(found)
