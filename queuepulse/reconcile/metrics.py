"""Prometheus metrics and readiness of ``run reconcile`` (continuous mode).

Served by :class:`queuepulse.health.HealthServer` from a registry of its own (only the
``queuepulse_reconcile_*`` families, ``queuepulse_database_up`` and the standard ones of
:func:`queuepulse.health.add_standard_collectors`): the PBX's heartbeat is a finished
reconciliation round (database and XAPI reachable), so ``/healthz`` is ready while rounds
keep finishing.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from queuepulse.health import CommandMetrics, DatabaseProbe
from queuepulse.reconcile.runner import BackfillResult

__all__ = ["ReconcileMetrics"]


class ReconcileMetrics(CommandMetrics):
    """Counters of reconciled periods, corrections and dead letters (labels: ``pbx_id``)."""

    def __init__(self, database: DatabaseProbe | None = None) -> None:
        super().__init__(database)
        r = self.registry
        self.periods = Counter("queuepulse_reconcile_periods", "Periods reconciled by status",
                               ["pbx_id", "status"], registry=r)
        self.cdr_rows = Counter("queuepulse_reconcile_cdr_rows", "CDR rows read",
                                ["pbx_id"], registry=r)
        self.corrections = Counter(
            "queuepulse_reconcile_corrections", "Visits corrected, inserted or removed",
            ["pbx_id", "kind"], registry=r)
        self.dead_letters = Counter("queuepulse_reconcile_dead_letters",
                                    "CDR rows that could not be used", ["pbx_id"], registry=r)
        self.last_round = Gauge("queuepulse_reconcile_last_round_timestamp_seconds",
                                "Unix time of the last finished round", ["pbx_id"], registry=r)

    def expect(self, pbx_id: str) -> None:
        """Not ready until the first round of ``pbx_id`` finished."""
        self.heartbeats.expect(pbx_id)

    def round_done(self, pbx_id: str, result: BackfillResult) -> None:
        """Count a finished round (a round with failed periods still counts as alive)."""
        for r in result.results:
            self.periods.labels(pbx_id, r.status).inc()
            self.cdr_rows.labels(pbx_id).inc(r.cdr_rows)
            self.corrections.labels(pbx_id, "corrected").inc(r.corrected)
            self.corrections.labels(pbx_id, "inserted").inc(r.inserted)
            self.corrections.labels(pbx_id, "removed").inc(r.removed)
            self.corrections.labels(pbx_id, "flagged").inc(r.flagged)
            self.dead_letters.labels(pbx_id).inc(r.dead_letters)
        self.last_round.labels(pbx_id).set_to_current_time()
        self.heartbeats.beat(pbx_id)
