"""A synchronous facade of the reconciler for the Bytewax flow (``flows/reconcile.py``).

Bytewax steps are plain functions; the XAPI client is async. The service owns one event loop and
one client for its lifetime and runs each round in it: every tick reconciles the periods that
closed since the last done one (resumable from the database, like a backfill).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from queuepulse.reconcile.periods import period_floor
from queuepulse.reconcile.runner import PeriodResult, ReconcileConfig, Reconciler
from queuepulse.store.db import connect
from queuepulse.xapi.client import XapiClient

__all__ = ["ReconcileService", "summary"]


def summary(result: PeriodResult) -> str:
    """One log line for a reconciled period."""
    head = (f"reconcile {result.period[0].isoformat()}..{result.period[1].isoformat()} "
            f"{result.status}")
    if not result.ok:
        return f"{head}: {result.error}"
    return (f"{head}: {result.cdr_rows} CDR rows, {result.visits} visits, "
            f"{result.inserted} inserted, {result.corrected} corrected, {result.removed} "
            f"removed, {result.flagged} flagged, {result.diffs} diffs, "
            f"{result.dead_letters} dead letters")


class ReconcileService:
    """Runs reconciliation rounds from synchronous code (one loop, one client)."""

    def __init__(self, config: ReconcileConfig, client_factory: Callable[[], XapiClient],
                 connect_db: Callable[[], Any],
                 since: datetime | None = None) -> None:
        self.config = config
        self._loop = asyncio.new_event_loop()
        self._client = client_factory()
        self._reconciler = Reconciler(config, self._client, connect_db)
        self._since = since

    @classmethod
    def from_settings(cls, settings: Any, since: datetime | None = None) -> ReconcileService:
        """For ``settings.pbx`` and ``settings.db`` (see :meth:`ReconcileConfig.from_settings`)."""
        dsn = settings.db.dsn
        return cls(
            ReconcileConfig.from_settings(settings),
            lambda: XapiClient(settings.pbx),
            lambda: connect(dsn, autocommit=True, application_name="queuepulse-reconcile"),
            since,
        )

    def run_due(self, now: datetime) -> list[PeriodResult]:
        """Reconcile every closed period up to ``now`` that is not done yet (from ``since``, by
        default the last closed period at the first round)."""
        cfg = self.config
        if self._since is None:
            closed = now - timedelta(seconds=cfg.settle_s)
            self._since = period_floor(closed, cfg.period_s) - timedelta(seconds=cfg.period_s)
        result = self._loop.run_until_complete(self._reconciler.backfill(self._since, now))
        return result.results

    def close(self) -> None:
        """Close the client and the loop."""
        if not self._loop.is_closed():
            self._loop.run_until_complete(self._client.aclose())
            self._loop.close()
