"""Dashboard — Staffing: agents needed beside agents present, arrival forecast, expected waits.

Reads what ``queuepulse run forecast`` stores (migration 006): ``staffing_intervals`` (agents
needed per queue and 15-minute interval: measured for past intervals, forecast for now and the
horizon), ``arrival_forecasts`` and ``expected_waits`` (with the accuracy views). The time range
runs from 12 hours back to 12 hours ahead, so the forecast horizon is on screen.

:func:`next_30_min_panel` and :func:`expected_wait_join` are for the wall board too.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import stat, table
from grafana_foundation_sdk.builders import timeseries as ts
from grafana_foundation_sdk.models import dashboard as dm

from queuepulse.grafana import panels as p
from queuepulse.grafana.boards.common import (
    CURRENT_QUEUES,
    LATEST_LIVE,
    QUEUE_FILTER,
    base_dashboard,
    queue_filter,
    queue_label,
)
from queuepulse.grafana.ids import STAFFING_UID
from queuepulse.grafana.sqlquery import sql
from queuepulse.grafana.variables import pbx_variable, queue_variable

SHORT_STEPS: tuple[p.Step, ...] = ((None, "green"), (1.0, "red"))
"""Agents short: none is green, one or more red."""

NEXT_30_MIN_SQL = f"""
    SELECT {queue_label()} || ': need ' || s.need || ', have '
             || coalesce(l.agents_logged_in, 0) AS "Queue",
           greatest(s.need - coalesce(l.agents_logged_in, 0), 0) AS "Agents short"
    FROM queues q{LATEST_LIVE}
    JOIN LATERAL (
      SELECT max(si.agents_needed) AS need
      FROM staffing_intervals si
      WHERE si.pbx_id = q.pbx_id AND si.queue_dn = q.queue_dn
        AND si.interval_start > now() - interval '15 minutes'
        AND si.interval_start < now() + interval '30 minutes'
    ) s ON s.need IS NOT NULL
    WHERE {queue_filter("q")} AND {CURRENT_QUEUES}
    ORDER BY greatest(s.need - coalesce(l.agents_logged_in, 0), 0) DESC, q.pbx_id, q.queue_dn"""
"""Per queue: the most agents any interval of the next 30 minutes needs, against the agents
logged in now (newest live gauge); the value is how many are missing."""


def next_30_min_panel(grid: dm.GridPos | None = None) -> stat.Panel:
    """"Next 30 min: need N, have M" — one tile per queue, red when agents are short.

    Uses the ``$pbx`` and ``$queue`` variables; the wall board can add it as it is.
    """
    return p.stat_panel(
        "Next 30 min: agents needed vs logged in",
        "One tile per queue: 'need N' is the most agents any 15-minute interval of the next "
        "30 minutes needs to meet the SLA target (Erlang A on the arrival forecast, measured "
        "patience and handle time), 'have M' the agents logged in now. The number is how many "
        "are missing (red from 1). Empty until `queuepulse run forecast` has run.",
        sql(NEXT_30_MIN_SQL),
        "short",
        grid or p.pos(0, 0, 24, 6),
        SHORT_STEPS,
        per_row=True,
    )


def expected_wait_join(visits: str = "c") -> str:
    """A ``LEFT JOIN`` adding ``ew.expected_wait_now_s`` (seconds until an agent is expected
    to answer, counting down from the newest prediction) to queue visits aliased ``visits``."""
    return (
        f"LEFT JOIN waiting_expected_wait ew ON ew.pbx_id = {visits}.pbx_id "
        f"AND ew.call_key = {visits}.call_key AND ew.queue_dn = {visits}.queue_dn "
        f"AND ew.entered_at = {visits}.entered_at"
    )


def agents_over_time() -> ts.Panel:
    """Agents needed, logged in and available over the range (past: measured; ahead: forecast)."""
    return p.timeseries_panel(
        "Agents needed vs logged in",
        "Per 15-minute interval, summed over the chosen queues: agents needed for the SLA "
        "target, and agents logged in and available (an agent in several queues counts in "
        "each). Past intervals: measured arrivals and interval averages of the live gauges; "
        "now and ahead: forecast arrivals and the agents logged in at the last forecast run.",
        [
            sql(
                f"""
                SELECT interval_start AS "time", sum(agents_needed) AS "Needed",
                       sum(agents_logged_in) AS "Logged in",
                       sum(agents_available) AS "Available"
                FROM staffing_intervals
                WHERE $__timeFilter(interval_start) AND {QUEUE_FILTER}
                GROUP BY 1
                ORDER BY 1
                """,
                "time_series",
            )
        ],
        "short",
        p.pos(0, 6, 12, 9),
    )


def arrivals_over_time() -> ts.Panel:
    """Forecast arrivals (latest forecast per interval) beside actual arrivals."""
    return p.timeseries_panel(
        "Arrivals: forecast vs actual",
        "Queue arrivals per 15 minutes over the chosen queues: the latest forecast of each "
        "interval (weekday x time-of-day profile times an adaptive level, site time zone) and "
        "the arrivals that came (offered visits).",
        [
            sql(
                f"""
                SELECT interval_start AS "time", sum(calls) AS "Forecast"
                FROM (
                  SELECT DISTINCT ON (pbx_id, queue_dn, interval_start) interval_start, calls
                  FROM arrival_forecasts
                  WHERE $__timeFilter(interval_start) AND {QUEUE_FILTER}
                  ORDER BY pbx_id, queue_dn, interval_start, made_at DESC
                ) f
                GROUP BY 1
                ORDER BY 1
                """,
                "time_series",
            ),
            sql(
                f"""
                SELECT $__timeGroupAlias(bucket, 15m), sum(offered) AS "Actual"
                FROM queue_kpi_1m
                WHERE $__timeFilter(bucket) AND {QUEUE_FILTER}
                GROUP BY 1
                ORDER BY 1
                """,
                "time_series",
                "B",
            ),
        ],
        "short",
        p.pos(12, 6, 12, 9),
    )


def predicted_sla() -> ts.Panel:
    """Predicted SLA % per queue with the staffing present."""
    return (
        p.timeseries_panel(
            "Predicted SLA % with current staffing",
            "Per queue and interval: the SLA % the model predicts with the agents logged in "
            "(past: the interval's average; ahead: the agents logged in now).",
            [
                sql(
                    f"""
                    SELECT interval_start AS "time", queue_dn AS metric,
                           predicted_sla_pct AS "Predicted SLA %"
                    FROM staffing_intervals
                    WHERE $__timeFilter(interval_start) AND {QUEUE_FILTER}
                      AND predicted_sla_pct IS NOT NULL
                    ORDER BY 1, 2
                    """,
                    "time_series",
                )
            ],
            "percent",
            p.pos(0, 15, 12, 9),
            p.GOOD_HIGH_PCT,
        )
        .max(100)
    )


def forecast_error() -> stat.Panel:
    """WAPE of the forecasts of the intervals in the range."""
    return p.stat_panel(
        "Forecast error (WAPE)",
        "Weighted absolute percentage error of the arrival forecasts made before their interval "
        "started, over the chosen queues and the time range: 100 x sum |actual - forecast| / "
        "sum actual (view arrival_forecast_accuracy).",
        sql(
            f"""
            SELECT round((100.0 * sum(abs(actual_calls - forecast_calls))
                          / nullif(sum(actual_calls), 0))::numeric, 1) AS "WAPE"
            FROM arrival_forecast_accuracy
            WHERE $__timeFilter(interval_start) AND {QUEUE_FILTER}
              AND made_at <= interval_start
            """
        ),
        "percent",
        p.pos(12, 15, 6, 9),
        ((None, "green"), (25.0, "orange"), (50.0, "red")),
    ).no_value("—")


def expected_wait_error() -> stat.Panel:
    """Mean absolute error of the expected-wait predictions."""
    return p.stat_panel(
        "Expected wait error (MAE)",
        "Mean absolute error, in seconds, of the expected waits predicted for callers who "
        "were answered afterwards, against the wait they really had left (view "
        "expected_wait_accuracy), over the time range.",
        sql(
            f"""
            SELECT round(avg(abs_error_s)::numeric, 1) AS "MAE"
            FROM expected_wait_accuracy
            WHERE $__timeFilter(predicted_at) AND {QUEUE_FILTER}
            """
        ),
        "s",
        p.pos(18, 15, 6, 9),
        ((None, "green"), (30.0, "orange"), (60.0, "red")),
    ).no_value("—")


def staffing_table() -> table.Panel:
    """Per queue and interval for the next two hours."""
    return (
        p.table_panel(
            "Staffing by queue — next 2 hours",
            "Per queue and 15-minute interval from now on: forecast arrivals, agents needed and "
            "logged in, the gap, the predicted SLA %, abandon % and ASA with the agents logged "
            "in, and the inputs (handle time, patience: Erlang C when none is measured).",
            sql(
                f"""
                SELECT s.interval_start AS "Interval", s.pbx_id AS "PBX", s.queue_dn AS "Queue",
                       round(s.calls::numeric, 1) AS "Forecast calls",
                       s.agents_needed AS "Needed", s.agents_logged_in AS "Logged in",
                       s.agents_needed - coalesce(s.agents_logged_in, 0) AS "Gap",
                       round(s.predicted_sla_pct::numeric, 1) AS "Predicted SLA %",
                       round(s.predicted_abandon_pct::numeric, 1) AS "Predicted abandon %",
                       round(s.predicted_asa_s::numeric, 1) AS "Predicted ASA",
                       round(s.aht_s::numeric) AS "AHT", round(s.patience_s::numeric) AS "Patience",
                       s.model AS "Model"
                FROM staffing_intervals s
                WHERE {queue_filter("s")}
                  AND s.interval_start > now() - interval '15 minutes'
                  AND s.interval_start < now() + interval '2 hours'
                ORDER BY s.interval_start, s.pbx_id, s.queue_dn
                """
            ),
            p.pos(0, 24, 24, 12),
        )
        .override_by_name("Gap", p.coloured(((None, "green"), (1.0, "red")), "short"))
        .override_by_name("Predicted SLA %", p.coloured(p.GOOD_HIGH_PCT, "percent"))
        .override_by_name("Predicted ASA", p.unit_only("s"))
        .override_by_name("AHT", p.unit_only("s"))
        .override_by_name("Patience", p.unit_only("s"))
    )


def dashboard() -> dash.Dashboard:
    """The staffing board."""
    board = base_dashboard(
        STAFFING_UID,
        "QueuePulse · Staffing",
        "Agents needed per queue and 15-minute interval (Erlang A) beside agents logged in, "
        "the arrival forecast and the accuracy of forecasts and expected waits.",
        refresh="1m",
        time_from="now-12h",
        time_to="now+12h",
    )
    board = board.with_variable(pbx_variable()).with_variable(queue_variable())
    for panel in (next_30_min_panel(), agents_over_time(), arrivals_over_time(), predicted_sla(),
                  forecast_error(), expected_wait_error(), staffing_table()):
        board = board.with_panel(panel)
    return board
