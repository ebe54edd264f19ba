"""Small pure helpers the live flow's steps call (kept out of ``flows/``, which only wires).

* :func:`table_rows` / :func:`window_batches` split a :class:`LiveOutput` into sink rows and
  KPI fact batches keyed by window;
* :func:`kpi_row` names the table of a windowed KPI value;
* :func:`observe` updates the process metrics from a step's output.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection

from queuepulse.domain.kpi import KpiFact, QueueKpi
from queuepulse.live.kpi_window import KPI_TABLES, fact_key
from queuepulse.live.metrics import METRICS, LiveMetrics
from queuepulse.live.pbx_step import LiveOutput
from queuepulse.store.tables import TableRow

__all__ = ["kpi_row", "observe", "table_rows", "window_batches"]


def table_rows(keyed: tuple[str, LiveOutput]) -> tuple[TableRow, ...]:
    """The sink rows of one step output."""
    return keyed[1].rows


def window_batches(keyed: tuple[str, LiveOutput]) -> list[tuple[str, tuple[KpiFact, ...]]]:
    """The step's KPI facts grouped by window key (PBX, scope, queue), in arrival order."""
    groups: dict[str, list[KpiFact]] = {}
    for fact in keyed[1].facts:
        groups.setdefault(fact_key(fact), []).append(fact)
    return [(k, tuple(v)) for k, v in groups.items()]


def kpi_row(keyed: tuple[str, QueueKpi], tables: Collection[str]) -> TableRow | None:
    """``(table, kpi)`` for a windowed KPI value; ``None`` when its table is not known to the
    writers (e.g. entry-queue KPIs before their table exists)."""
    kpi = keyed[1]
    table = KPI_TABLES.get(kpi.scope)
    if table is None or table not in tables:
        return None
    return table, kpi


def observe(
    keyed: tuple[str, LiveOutput], metrics: LiveMetrics = METRICS,
    clock: Callable[[], float] = time.time,
) -> None:
    """Count a step's output in the process metrics (stale polls, gaps, lag, skew, rows)."""
    out = keyed[1]
    counts: dict[str, int] = {}
    for table, _ in out.rows:
        counts[table] = counts.get(table, 0) + 1
    for table, n in counts.items():  # one labelled increment per table, not per row
        metrics.rows_emitted.labels(table).inc(n)
    if out.step is None or out.poll is None:
        return
    pbx = out.pbx_id
    delta = out.step.delta
    if delta.stale or delta.out_of_order:
        metrics.stale_polls.labels(pbx).inc(delta.stale + delta.out_of_order)
    if delta.gaps:
        metrics.gaps.labels(pbx).inc(delta.gaps)
    if delta.clock_anomalies:
        metrics.clock_anomalies.labels(pbx).inc(delta.clock_anomalies)
    metrics.lag.labels(pbx).set(max(0.0, clock() - out.poll.poll.received_at.timestamp()))
    if out.step.skew_s is not None:
        metrics.skew.labels(pbx).set(out.step.skew_s)

