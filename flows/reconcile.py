"""The reconciliation dataflow: every period, reconcile the periods that closed.

Run it with ``python -m bytewax.run "flows.reconcile:get_flow()"`` (settings from
``QUEUEPULSE_*``; ``QUEUEPULSE_RULES__RECONCILE_PERIOD_S`` is the cadence) or use
``queuepulse run reconcile``. Wiring only: the work is :class:`ReconcileService` over
:mod:`queuepulse.reconcile`; its state (periods done) lives in the database, so a restarted flow
resumes without Bytewax recovery.

Steps::

    ticks (SimplePollingSource, every period) -> reconcile_due (flat_map: PeriodResult)
      -> summaries -> stdout
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import bytewax.operators as op
from bytewax.connectors.stdio import StdOutSink
from bytewax.dataflow import Dataflow
from bytewax.inputs import SimplePollingSource
from bytewax.outputs import DynamicSink

from queuepulse.reconcile.service import ReconcileService, summary

__all__ = ["PeriodTicks", "build_flow", "get_flow"]


class PeriodTicks(SimplePollingSource[datetime, None]):
    """Emits the wall-clock time once per period (the first tick at start)."""

    def __init__(self, period_s: float) -> None:
        super().__init__(interval=timedelta(seconds=period_s))

    def next_item(self) -> datetime:
        """The time of this tick."""
        return datetime.now(UTC)


def build_flow(service: ReconcileService, ticks: Any, sink: Any | None = None,
               flow_id: str = "reconcile") -> Dataflow:
    """The flow over a tick source and a service (tests pass TestingSource/TestingSink)."""
    flow = Dataflow(flow_id)
    tick = op.input("ticks", flow, ticks)
    results = op.flat_map("reconcile_due", tick, service.run_due)
    lines = op.map("summaries", results, summary)
    out: DynamicSink[str] = sink if sink is not None else StdOutSink()
    op.output("stdout", lines, out)
    return flow


def get_flow() -> Dataflow:
    """The production flow from the settings."""
    from queuepulse.settings import load_settings

    settings = load_settings()
    service = ReconcileService.from_settings(settings)
    return build_flow(service, PeriodTicks(settings.rules.reconcile_period_s))
