"""Dashboard 4 — analytics and comparison: queues and periods side by side, arrival patterns,
congestion periods."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import table
from grafana_foundation_sdk.builders import timeseries as ts
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm

from queuepulse.grafana import panels as p
from queuepulse.grafana.boards.common import (
    HOURLY,
    QUEUE_FILTER,
    TARGETS_JOIN,
    abandon_pct,
    asa_s,
    base_dashboard,
    kpi_rows,
    sla_pct,
)
from queuepulse.grafana.ids import ANALYTICS_UID
from queuepulse.grafana.sqlquery import sql
from queuepulse.grafana.variables import (
    custom_variable,
    pbx_variable,
    queue_variable,
    text_variable,
)

PREVIOUS_FROM = (
    "($__timeFrom()::timestamptz - ($__timeTo()::timestamptz - $__timeFrom()::timestamptz))"
)
"""Start of the previous period of the same length as the dashboard's time range."""

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _period(name: str, lower: str, upper: str) -> str:
    return f"""
      SELECT pbx_id, queue_dn, sum(offered) AS offered, sum(answered) AS answered,
             {sla_pct()} AS sla_pct, {abandon_pct()} AS abandon_pct, {asa_s()} AS asa_s
      FROM {kpi_rows(lower, upper, upper_inclusive=False)}
      GROUP BY pbx_id, queue_dn
    ) {name}"""


def queue_comparison() -> table.Panel:
    """Queues side by side, this period against the previous one of the same length."""
    current = _period("c", "$__timeFrom()", "$__timeTo()")
    previous = _period("b", PREVIOUS_FROM, "$__timeFrom()")
    return (
        p.table_panel(
            "Queues side by side: this period vs the previous one",
            "Per queue: offered, SLA %, abandon % and ASA over the time range, beside the "
            "same figures for the previous period of equal length, and the change in offered.",
            sql(
                f"""
                SELECT coalesce(c.pbx_id, b.pbx_id) AS "PBX",
                       coalesce(c.queue_dn, b.queue_dn) AS "Queue",
                       c.offered AS "Offered", b.offered AS "Offered before",
                       round(100.0 * (c.offered - b.offered) / nullif(b.offered, 0), 1)
                         AS "Offered change",
                       c.sla_pct AS "SLA %", b.sla_pct AS "SLA % before",
                       c.abandon_pct AS "Abandon %", b.abandon_pct AS "Abandon % before",
                       c.asa_s AS "ASA", b.asa_s AS "ASA before"
                FROM ({current}
                FULL JOIN ({previous}
                  ON b.pbx_id = c.pbx_id AND b.queue_dn = c.queue_dn
                ORDER BY 1, 2
                """
            ),
            p.pos(0, 0, 24, 10),
        )
        .override_by_name("SLA %", p.coloured(p.GOOD_HIGH_PCT, "percent"))
        .override_by_name("SLA % before", p.coloured(p.GOOD_HIGH_PCT, "percent"))
        .override_by_name("Offered change", p.unit_only("percent"))
        .override_by_name("Abandon %", p.unit_only("percent"))
        .override_by_name("Abandon % before", p.unit_only("percent"))
        .override_by_name("ASA", p.unit_only("s"))
        .override_by_name("ASA before", p.unit_only("s"))
    )


def period_overlay() -> ts.Panel:
    """Offered calls now and in the previous period, overlaid."""
    return p.timeseries_panel(
        "Offered: this period vs the previous one",
        "Offered calls per interval; the previous period of equal length is shifted forward "
        "to overlay the current one.",
        [
            sql(
                f"""
                SELECT $__timeGroupAlias(bucket, $__interval), sum(offered) AS "This period"
                FROM {HOURLY}
                WHERE $__timeFilter(bucket) AND {QUEUE_FILTER}
                GROUP BY 1
                ORDER BY 1
                """,
                "time_series",
                "A",
            ),
            sql(
                f"""
                SELECT $__timeGroup(bucket, $__interval)
                         + ($__timeTo()::timestamptz - $__timeFrom()::timestamptz) AS "time",
                       sum(offered) AS "Previous period"
                FROM {HOURLY}
                WHERE bucket >= {PREVIOUS_FROM} AND bucket < $__timeFrom() AND {QUEUE_FILTER}
                GROUP BY 1
                ORDER BY 1
                """,
                "time_series",
                "B",
            ),
        ],
        "short",
        p.pos(0, 10, 12, 9),
    ).interval("1h")


def offered_by_queue() -> ts.Panel:
    """Offered per queue over time (queues side by side)."""
    return p.timeseries_panel(
        "Offered by queue",
        "Offered calls per queue and interval, one line per queue.",
        [
            sql(
                f"""
                SELECT $__timeGroupAlias(bucket, $__interval), queue_dn AS metric,
                       sum(offered) AS "Offered"
                FROM {HOURLY}
                WHERE $__timeFilter(bucket) AND {QUEUE_FILTER}
                GROUP BY 1, 2
                ORDER BY 1, 2
                """,
                "time_series",
            )
        ],
        "short",
        p.pos(12, 10, 12, 9),
    ).interval("1h")


def _hour_columns() -> str:
    return ",\n           ".join(
        f'sum(offered) FILTER (WHERE hour = {h}) AS "{h:02d}"' for h in range(24)
    )


def arrivals_heatmap() -> table.Panel:
    """Arrivals by weekday (rows) and hour of day (columns), coloured like a heatmap."""
    weekday_case = " ".join(f"WHEN {i + 1} THEN '{i + 1} {d}'" for i, d in enumerate(WEEKDAYS))
    return (
        p.table_panel(
            "Arrivals by weekday and hour",
            "Calls offered per weekday and hour of day over the time range, in the time zone "
            "chosen in $tz. Darker cells are busier.",
            sql(
                f"""
                SELECT CASE dow {weekday_case} END AS "Weekday",
                       {_hour_columns()}
                FROM (
                  SELECT extract(isodow FROM bucket AT TIME ZONE ${{tz:sqlstring}})::int AS dow,
                         extract(hour FROM bucket AT TIME ZONE ${{tz:sqlstring}})::int AS hour,
                         offered
                  FROM {HOURLY}
                  WHERE $__timeFilter(bucket) AND {QUEUE_FILTER}
                ) k
                GROUP BY dow
                ORDER BY dow
                """
            ),
            p.pos(0, 19, 24, 8),
        )
        .cell_options(
            cm.TableColoredBackgroundCellOptions(mode=cm.TableCellBackgroundDisplayMode.GRADIENT)
        )
        .color_scheme(dash.FieldColor().mode(dm.FieldColorModeId.CONTINUOUS_YL_RD))
        .override_by_name(
            "Weekday", [dm.DynamicConfigValue(id_val="custom.cellOptions", value={"type": "auto"})]
        )
    )


def congestion_periods() -> table.Panel:
    """15-minute periods in which a queue was congested."""
    return (
        p.table_panel(
            "Congestion periods",
            "Quarter-hours in which a queue was congested: SLA % below the queue's SLA target "
            "(queue_targets, `queuepulse targets`) or a wait longer than $congestion_wait s. "
            "Worst first.",
            sql(
                f"""
                SELECT time_bucket('15 minutes', k.bucket) AS "From", k.pbx_id AS "PBX",
                       k.queue_dn AS "Queue", sum(k.offered) AS "Offered",
                       sum(k.abandoned) AS "Abandoned", {sla_pct("k")} AS "SLA %",
                       max(k.max_wait_s) AS "Longest wait"
                FROM queue_kpi_1m k
                {TARGETS_JOIN}
                WHERE $__timeFilter(k.bucket) AND k.pbx_id IN ($pbx) AND k.queue_dn IN ($queue)
                GROUP BY 1, 2, 3
                HAVING {sla_pct("k")} < max(t.sla_target_pct)
                    OR max(k.max_wait_s) > $congestion_wait::numeric
                ORDER BY "SLA %" NULLS LAST, "Longest wait" DESC
                LIMIT 200
                """
            ),
            p.pos(0, 27, 24, 10),
        )
        .override_by_name("SLA %", p.coloured(p.GOOD_HIGH_PCT, "percent"))
        .override_by_name("Longest wait", p.coloured(p.BAD_HIGH_WAIT_S, "s"))
    )


def dashboard() -> dash.Dashboard:
    """The analytics and comparison dashboard."""
    board = base_dashboard(
        ANALYTICS_UID,
        "QueuePulse · Analytics & comparison",
        "Queues and periods side by side, arrival patterns by weekday and hour, congestion.",
        refresh="15m",
        time_from="now-30d",
    )
    board = (
        board.with_variable(pbx_variable())
        .with_variable(queue_variable())
        .with_variable(
            text_variable("tz", "Time zone", "IANA time zone for weekday/hour grouping.", "UTC")
        )
        .with_variable(
            custom_variable(
                "congestion_wait",
                "Congestion wait (s)",
                "Quarter-hours with a wait above this are congested.",
                ["30", "60", "120", "300"],
                "120",
                multi=False,
            )
        )
    )
    for panel in (
        queue_comparison(),
        period_overlay(),
        offered_by_queue(),
        arrivals_heatmap(),
        congestion_periods(),
    ):
        board = board.with_panel(panel)
    return board
