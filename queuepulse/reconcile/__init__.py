"""queuepulse.reconcile: the PBX's call history (CDR) as the truth for finished calls.

* :mod:`~queuepulse.reconcile.cdr_rules`: how segments encode queue visits (configurable);
* :mod:`~queuepulse.reconcile.segments`: raw CDR rows → segments, call refs, dead letters;
* :mod:`~queuepulse.reconcile.builder`: segments → queue visits (pure);
* :mod:`~queuepulse.reconcile.matcher`: CDR visits vs stored visits → corrections and diffs (pure);
* :mod:`~queuepulse.reconcile.kpis`: recomputed ``queue_kpi_1m`` buckets (pure);
* :mod:`~queuepulse.reconcile.periods`: aligned, closed periods (pure);
* :mod:`~queuepulse.reconcile.pbx_reports`: 3CX's own report figures → rows (pure);
* :mod:`~queuepulse.reconcile.fetch`, :mod:`~queuepulse.reconcile.corrections`: XAPI and
  database I/O (corrections go through the table writers of :mod:`queuepulse.store`);
* :mod:`~queuepulse.reconcile.runner`: :class:`Reconciler` (one period, backfill, continuous).

See docs/reconciliation.md.
"""

from queuepulse.reconcile.cdr_rules import CdrRules, load_cdr_rules
from queuepulse.reconcile.runner import (
    BackfillResult,
    PeriodResult,
    ReconcileBusyError,
    ReconcileConfig,
    Reconciler,
)

__all__ = [
    "BackfillResult",
    "CdrRules",
    "PeriodResult",
    "ReconcileBusyError",
    "ReconcileConfig",
    "Reconciler",
    "load_cdr_rules",
]
