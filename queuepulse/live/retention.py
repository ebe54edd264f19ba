"""Retention for long-running flows: drop old chunks at start and then once a day.

:class:`RetentionTimer` runs :func:`queuepulse.store.db.apply_retention` (the SQL function
``queuepulse_apply_retention()`` with its default keep intervals) in a daemon thread: once when
started, then every ``interval_s`` (24 h). Each run is logged with what it dropped; a failure
(database away, missing function) is logged and counted, never fatal — the next run retries.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from prometheus_client import Counter

from queuepulse.live.metrics import METRICS

__all__ = ["RETENTION_RUNS", "RetentionTimer", "run_retention_once"]

log = logging.getLogger(__name__)

DAY_S = 86_400.0

RETENTION_RUNS = Counter(
    "queuepulse_retention_runs", "Retention runs by outcome (ok, failed)", ["outcome"],
    registry=METRICS.registry)
"""Counted on the live flow's ``/metrics``."""


def _apply(dsn: str) -> list[tuple[str, int]]:
    from queuepulse.store.db import apply_retention, connect

    with connect(dsn, autocommit=True, application_name="queuepulse-retention") as conn:
        return apply_retention(conn)


def run_retention_once(
    dsn: str, apply: Callable[[str], list[tuple[str, int]]] = _apply
) -> list[tuple[str, int]] | None:
    """One retention run: what it dropped, or ``None`` after a (logged, counted) failure."""
    try:
        dropped = apply(dsn)
    except Exception as exc:  # never fatal: the flow keeps running, the next run retries
        RETENTION_RUNS.labels("failed").inc()
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        log.warning("retention failed, will retry at the next run",
                    extra={"error": reason[:300]})
        return None
    RETENTION_RUNS.labels("ok").inc()
    log.info("retention applied", extra={
        "dropped_chunks": {table: n for table, n in dropped if n},
        "total_dropped": sum(n for _, n in dropped)})
    return dropped


class RetentionTimer:
    """Runs :func:`run_retention_once` now and every ``interval_s`` until :meth:`stop`."""

    def __init__(
        self, dsn: str, *, interval_s: float = DAY_S,
        apply: Callable[[str], list[tuple[str, int]]] = _apply,
    ) -> None:
        self._dsn = dsn
        self.interval_s = interval_s
        self._apply = apply
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="retention", daemon=True)
        self.runs = 0

    def __repr__(self) -> str:  # the DSN may carry a password
        return f"RetentionTimer(interval_s={self.interval_s})"

    def start(self) -> RetentionTimer:
        """Start the thread (the first run happens at once)."""
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread (a run in progress finishes first, up to ``timeout_s``)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout_s)

    def _loop(self) -> None:
        while True:
            run_retention_once(self._dsn, self._apply)
            self.runs += 1
            if self._stop.wait(self.interval_s):
                return

    def __enter__(self) -> RetentionTimer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
