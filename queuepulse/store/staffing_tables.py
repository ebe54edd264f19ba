"""Upsert recipes of the staffing tables (migration 006), for the shared :class:`BatchWriter`.

``arrival_forecasts`` and ``expected_waits`` keep one row per run/prediction (the time it was
made is part of the key); ``staffing_intervals`` keeps the latest computation of an interval.
"""

from __future__ import annotations

from queuepulse.store.tables import TABLES, TableSpec

ARRIVAL_FORECASTS = TableSpec(
    name="arrival_forecasts",
    columns=(
        "pbx_id", "queue_dn", "interval_start", "made_at", "calls", "local_date", "slot",
        "time_zone", "basis_days", "level", "holdout_wape_pct", "method",
    ),
    key=("pbx_id", "queue_dn", "interval_start", "made_at"),
)

STAFFING_INTERVALS = TableSpec(
    name="staffing_intervals",
    columns=(
        "pbx_id", "queue_dn", "interval_start", "computed_at", "kind", "calls", "aht_s",
        "patience_s", "sla_s", "target_pct", "agents_needed", "needed_sla_pct",
        "agents_logged_in", "agents_available", "predicted_sla_pct", "predicted_abandon_pct",
        "predicted_asa_s", "model",
    ),
    key=("pbx_id", "queue_dn", "interval_start"),
    # an older computation arriving late never replaces a newer one
    where_sql="t.computed_at <= EXCLUDED.computed_at",
)

EXPECTED_WAITS = TableSpec(
    name="expected_waits",
    columns=(
        "pbx_id", "call_key", "queue_dn", "entered_at", "predicted_at", "position", "agents",
        "free_agents", "aht_s", "patience_s", "expected_wait_s", "method",
    ),
    key=("pbx_id", "call_key", "queue_dn", "entered_at", "predicted_at"),
    on_conflict="nothing",
)

STAFFING_TABLES: dict[str, TableSpec] = {
    spec.name: spec for spec in (ARRIVAL_FORECASTS, STAFFING_INTERVALS, EXPECTED_WAITS)
}
"""The staffing tables by name."""

WRITER_TABLES: dict[str, TableSpec] = {**TABLES, **STAFFING_TABLES}
"""Every table the forecast job's writer knows."""
