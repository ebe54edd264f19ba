"""Dashboard 3 — SLA: SLA % by queue and time, the breach list, 3CX's own figures beside ours."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import stat, table
from grafana_foundation_sdk.builders import timeseries as ts

from queuepulse.grafana import panels as p
from queuepulse.grafana.boards.common import (
    HOURLY,
    QUEUE_FILTER,
    TARGETS_JOIN,
    base_dashboard,
    kpi_rows,
    sla_pct,
)
from queuepulse.grafana.ids import SLA_UID
from queuepulse.grafana.sqlquery import sql
from queuepulse.grafana.variables import pbx_variable, queue_variable


def overall() -> stat.Panel:
    """SLA % over the whole period."""
    return p.stat_panel(
        "SLA % over the period",
        "SLA % of the chosen queues over the time range, from summed counts.",
        sql(
            f"""
            SELECT {sla_pct()} AS "SLA %"
            FROM {kpi_rows()}
            """
        ),
        "percent",
        p.pos(0, 0, 6, 6),
        p.GOOD_HIGH_PCT,
    ).no_value("—")


def sla_by_queue_over_time() -> ts.Panel:
    """One SLA % line per queue."""
    return (
        p.timeseries_panel(
            "SLA % by queue",
            "SLA % per queue and interval (one line per queue).",
            [
                sql(
                    f"""
                SELECT $__timeGroupAlias(bucket, $__interval), queue_dn AS metric,
                       {sla_pct()} AS "SLA %"
                FROM queue_kpi_1m
                WHERE $__timeFilter(bucket) AND {QUEUE_FILTER}
                GROUP BY 1, 2
                ORDER BY 1, 2
                """,
                    "time_series",
                )
            ],
            "percent",
            p.pos(6, 0, 18, 9),
            p.GOOD_HIGH_PCT,
        )
        .interval("15m")
        .max(100)
    )


def sla_table() -> table.Panel:
    """SLA % per queue for the period, ours beside 3CX's."""
    return (
        p.table_panel(
            "SLA by queue — ours and 3CX's",
            "Per queue over the period: our SLA % (in-SLA answers / answered + abandoned − "
            "short abandoned) beside 3CX's own StatisticSla report as reconciliation stored it "
            "in pbx_queue_reports: received calls, bad-SLA calls and bad-SLA % (3CX counts "
            "differently). 3CX columns stay empty until a report covering periods inside the "
            "time range is stored.",
            sql(
                f"""
                SELECT k.pbx_id AS "PBX", k.queue_dn AS "Queue", k.offered AS "Offered",
                       k.answered AS "Answered", k.in_sla AS "Answered in SLA",
                       k.sla_pct AS "SLA %",
                       x.received AS "3CX received", x.bad_sla AS "3CX bad SLA",
                       round(100.0 * x.bad_sla / nullif(x.received, 0), 1) AS "3CX bad SLA %"
                FROM (
                  SELECT pbx_id, queue_dn, sum(offered) AS offered, sum(answered) AS answered,
                         sum(answered_in_sla) AS in_sla, {sla_pct()} AS sla_pct
                  FROM {kpi_rows()}
                  GROUP BY pbx_id, queue_dn
                ) k
                LEFT JOIN (
                  SELECT pbx_id, queue_dn, sum(received_count) AS received,
                         sum(bad_sla_count) AS bad_sla
                  FROM pbx_queue_reports
                  WHERE report = 'StatisticSla' AND period_from >= $__timeFrom()
                    AND period_to <= $__timeTo() AND {QUEUE_FILTER}
                  GROUP BY pbx_id, queue_dn
                ) x ON x.pbx_id = k.pbx_id AND x.queue_dn = k.queue_dn
                ORDER BY k.sla_pct NULLS LAST, k.pbx_id, k.queue_dn
                """
            ),
            p.pos(0, 9, 12, 12),
        )
        .override_by_name("SLA %", p.coloured(p.GOOD_HIGH_PCT, "percent"))
        .override_by_name(
            "3CX bad SLA %",
            p.coloured(((None, "green"), (20.0, "orange"), (30.0, "red")), "percent"),
        )
    )


def breach_list() -> table.Panel:
    """Queue-hours below the SLA target."""
    return (
        p.table_panel(
            "SLA breaches (hours below target)",
            "Each queue-hour whose SLA % fell below the queue's SLA target (queue_targets, "
            "`queuepulse targets`), newest first; from the hourly rollup.",
            sql(
                f"""
                SELECT k.bucket AS "Hour", k.pbx_id AS "PBX", k.queue_dn AS "Queue",
                       sum(k.answered) AS "Answered", sum(k.abandoned) AS "Abandoned",
                       {sla_pct("k")} AS "SLA %", max(t.sla_target_pct) AS "Target",
                       max(k.max_wait_s) AS "Longest wait"
                FROM {HOURLY} k
                {TARGETS_JOIN}
                WHERE $__timeFilter(k.bucket) AND k.pbx_id IN ($pbx) AND k.queue_dn IN ($queue)
                GROUP BY 1, 2, 3
                HAVING {sla_pct("k")} < max(t.sla_target_pct)
                ORDER BY 1 DESC, 2, 3
                LIMIT 500
                """
            ),
            p.pos(12, 9, 12, 12),
        )
        .override_by_name("SLA %", p.coloured(p.GOOD_HIGH_PCT, "percent"))
        .override_by_name("Target", p.unit_only("percent"))
        .override_by_name("Longest wait", p.unit_only("s"))
    )


def entry_queue_sla() -> table.Panel:
    """End-to-end SLA by entry queue beside the per-visit SLA of the same queue."""
    return (
        p.table_panel(
            "End-to-end SLA by entry queue",
            "Per entry queue (the first queue a call reached): calls, answered anywhere, and "
            "end-to-end SLA % (wait from the first entry to the first answer anywhere), beside "
            "the queue's own per-visit SLA %. An overflow target is not blamed for its "
            "source's backlog.",
            sql(
                f"""
                SELECT e.pbx_id AS "PBX", e.queue_dn AS "Entry queue", e.offered AS "Calls",
                       e.answered AS "Answered", e.abandoned AS "Abandoned",
                       e.sla_pct AS "End-to-end SLA %", v.sla_pct AS "Per-visit SLA %"
                FROM (
                  SELECT pbx_id, queue_dn, sum(offered) AS offered, sum(answered) AS answered,
                         sum(abandoned) AS abandoned, {sla_pct()} AS sla_pct
                  FROM entry_queue_kpi_1m
                  WHERE $__timeFilter(bucket) AND {QUEUE_FILTER}
                  GROUP BY pbx_id, queue_dn
                ) e
                LEFT JOIN (
                  SELECT pbx_id, queue_dn, {sla_pct()} AS sla_pct
                  FROM {kpi_rows()}
                  GROUP BY pbx_id, queue_dn
                ) v ON v.pbx_id = e.pbx_id AND v.queue_dn = e.queue_dn
                ORDER BY e.sla_pct NULLS LAST, e.pbx_id, e.queue_dn
                """
            ),
            p.pos(0, 21, 24, 8),
        )
        .override_by_name("End-to-end SLA %", p.coloured(p.GOOD_HIGH_PCT, "percent"))
        .override_by_name("Per-visit SLA %", p.coloured(p.GOOD_HIGH_PCT, "percent"))
    )


def dashboard() -> dash.Dashboard:
    """The SLA dashboard."""
    board = base_dashboard(
        SLA_UID,
        "QueuePulse · SLA",
        "SLA % by queue and time, the breach list, and 3CX's own SLA figures beside ours.",
        refresh="5m",
        time_from="now-7d",
    )
    board = board.with_variable(pbx_variable()).with_variable(queue_variable())
    for panel in (
        overall(),
        sla_by_queue_over_time(),
        sla_table(),
        breach_list(),
        entry_queue_sla(),
    ):
        board = board.with_panel(panel)
    return board
