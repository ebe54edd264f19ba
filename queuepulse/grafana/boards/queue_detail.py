"""Dashboard 2 — queue detail: traffic, waits, SLA trend and the queue's agents."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import heatmap, stat, table
from grafana_foundation_sdk.builders import timeseries as ts

from queuepulse.grafana import panels as p
from queuepulse.grafana.boards.common import (
    AGENT_STATE_COLOURS,
    FRESH,
    QUEUE_FILTER,
    abandon_pct,
    asa_s,
    avg_talk_s,
    base_dashboard,
    dashboard_link,
    kpi_rows,
    queue_filter,
    sla_pct,
)
from queuepulse.grafana.ids import AGENTS_UID, QUEUE_DETAIL_UID
from queuepulse.grafana.sqlquery import sql
from queuepulse.grafana.variables import pbx_variable, queue_variable

# Upper bounds (seconds) of the wait-distribution bands.
WAIT_BANDS: tuple[int, ...] = (10, 20, 30, 60, 120, 300)


def traffic() -> ts.Panel:
    """Offered, answered and abandoned per interval."""
    return p.timeseries_panel(
        "Offered / answered / abandoned",
        "Queue visits offered (entered the queue), answered and abandoned per interval. Each "
        "count lands in the minute it happened.",
        [
            sql(
                f"""
                SELECT $__timeGroupAlias(bucket, $__interval),
                       sum(offered) AS "Offered", sum(answered) AS "Answered",
                       sum(abandoned) AS "Abandoned"
                FROM queue_kpi_1m
                WHERE $__timeFilter(bucket) AND {QUEUE_FILTER}
                GROUP BY 1
                ORDER BY 1
                """,
                "time_series",
            )
        ],
        "short",
        p.pos(0, 4, 12, 9),
        bars=True,
    ).interval("1m")


def sla_trend() -> ts.Panel:
    """SLA % per interval."""
    return (
        p.timeseries_panel(
            "SLA % trend",
            "SLA % per interval (answered within SLA time / answered + abandoned − short "
            "abandoned), and abandon %.",
            [
                sql(
                    f"""
                SELECT $__timeGroupAlias(bucket, $__interval), {sla_pct()} AS "SLA %",
                       {abandon_pct()} AS "Abandon %"
                FROM queue_kpi_1m
                WHERE $__timeFilter(bucket) AND {QUEUE_FILTER}
                GROUP BY 1
                ORDER BY 1
                """,
                    "time_series",
                )
            ],
            "percent",
            p.pos(12, 4, 12, 9),
            p.GOOD_HIGH_PCT,
        )
        .interval("1m")
        .max(100)
    )


def waits() -> ts.Panel:
    """ASA and max wait per interval."""
    return p.timeseries_panel(
        "Average speed of answer and longest wait",
        "ASA (mean wait of answered visits) and the longest wait completed in each interval.",
        [
            sql(
                f"""
                SELECT $__timeGroupAlias(bucket, $__interval), {asa_s()} AS "ASA",
                       max(max_wait_s) AS "Longest wait", {avg_talk_s()} AS "Avg talk"
                FROM queue_kpi_1m
                WHERE $__timeFilter(bucket) AND {QUEUE_FILTER}
                GROUP BY 1
                ORDER BY 1
                """,
                "time_series",
            )
        ],
        "s",
        p.pos(0, 13, 12, 9),
        p.BAD_HIGH_WAIT_S,
    ).interval("1m")


def _band_columns() -> str:
    columns: list[str] = []
    lower = 0
    for upper in WAIT_BANDS:
        columns.append(
            f'count(*) FILTER (WHERE wait_s >= {lower} AND wait_s < {upper}) AS "{lower}-{upper} s"'
        )
        lower = upper
    columns.append(f'count(*) FILTER (WHERE wait_s >= {lower}) AS "{lower}+ s"')
    return ",\n           ".join(columns)


def wait_distribution() -> heatmap.Panel:
    """Heatmap of completed waits by band over time."""
    return p.heatmap_rows_panel(
        "Wait distribution",
        "Completed waits (answered or abandoned visits) per wait band and interval, by queue "
        "entry time.",
        sql(
            f"""
            SELECT $__timeGroupAlias(entered_at, $__interval),
                   {_band_columns()}
            FROM queue_calls
            WHERE $__timeFilter(entered_at) AND {QUEUE_FILTER}
              AND outcome IN ('answered', 'abandoned') AND wait_s IS NOT NULL
            GROUP BY 1
            ORDER BY 1
            """,
            "time_series",
        ),
        p.pos(12, 13, 12, 9),
        "short",
    ).interval("5m")


def live_now() -> stat.Panel:
    """Waiting, longest wait and agents free now for the chosen queue(s)."""
    return p.stat_panel(
        "Now",
        "The chosen queues now: calls waiting, longest wait (s), agents free (each agent once, "
        "as the flow decided). Empty while the PBX's data is stale.",
        sql(
            f"""
            SELECT CASE WHEN bool_or(NOT q.stale) THEN
                     sum(q.waiting) FILTER (WHERE NOT q.stale) END AS "Waiting",
                   CASE WHEN bool_or(NOT q.stale) THEN
                     max(q.longest_wait_s) FILTER (WHERE NOT q.stale) END AS "Longest wait (s)",
                   CASE WHEN bool_or(NOT q.stale) THEN (
                     SELECT count(DISTINCT (a.pbx_id, a.agent_dn))
                     FROM agent_now a
                     JOIN queue_agents m ON m.pbx_id = a.pbx_id AND m.agent_dn = a.agent_dn
                       AND m.valid_to IS NULL
                     JOIN pbx_freshness f ON f.pbx_id = a.pbx_id AND {FRESH}
                     WHERE a.state = 'free' AND {queue_filter("m")}) END AS "Agents free"
            FROM queue_now q
            WHERE {queue_filter("q")}
            """
        ),
        "short",
        p.pos(0, 0, 8, 4),
        p.NEUTRAL,
    ).no_value("stale")


def period_summary() -> table.Panel:
    """Per-queue KPIs over the dashboard's time range."""
    return (
        p.table_panel(
            "Queues over the period",
            "Per queue over the time range: offered, answered, abandoned, SLA %, ASA, longest "
            "wait, average talk time (whole hours from the hourly rollup, the partial hours at "
            "either end from the 1-minute KPIs).",
            sql(
                f"""
                SELECT pbx_id AS "PBX", queue_dn AS "Queue", sum(offered) AS "Offered",
                       sum(answered) AS "Answered", sum(abandoned) AS "Abandoned",
                       sum(short_abandoned) AS "Short abandoned", {sla_pct()} AS "SLA %",
                       {abandon_pct()} AS "Abandon %", {asa_s()} AS "ASA",
                       max(max_wait_s) AS "Longest wait", {avg_talk_s()} AS "Avg talk"
                FROM {kpi_rows()}
                GROUP BY pbx_id, queue_dn
                ORDER BY pbx_id, queue_dn
                """
            ),
            p.pos(8, 0, 16, 4),
        )
        .override_by_name("SLA %", p.coloured(p.GOOD_HIGH_PCT, "percent"))
        .override_by_name("Abandon %", p.unit_only("percent"))
        .override_by_name("ASA", p.unit_only("s"))
        .override_by_name("Longest wait", p.coloured(p.BAD_HIGH_WAIT_S, "s"))
        .override_by_name("Avg talk", p.unit_only("s"))
    )


def queue_agents() -> table.Panel:
    """The agents of the chosen queue(s), their state now and their work in the period."""
    return (
        p.table_panel(
            "Agents of the queue",
            "Current members of the chosen queues: state now as the flow decided it (agent_now), "
            "their profile, calls answered from these queues in the period and their talk time. "
            "Click an agent for their activity.",
            sql(
                f"""
                SELECT qa.pbx_id AS "PBX", qa.queue_dn AS "Queue", qa.agent_dn AS "Agent",
                       a.display_name AS "Name",
                       coalesce(s.state, 'unknown') AS "State",
                       s.profile AS "Profile",
                       coalesce(c.answered, 0) AS "Answered", coalesce(c.talk_s, 0) AS "Talk time"
                FROM queue_agents qa
                LEFT JOIN agents a ON a.pbx_id = qa.pbx_id AND a.agent_dn = qa.agent_dn
                  AND a.valid_to IS NULL
                LEFT JOIN agent_now s ON s.pbx_id = qa.pbx_id AND s.agent_dn = qa.agent_dn
                LEFT JOIN (
                  SELECT pbx_id, queue_dn, agent_dn, count(*) AS answered,
                         sum(talk_s) AS talk_s
                  FROM queue_calls
                  WHERE $__timeFilter(entered_at) AND {QUEUE_FILTER} AND outcome = 'answered'
                  GROUP BY pbx_id, queue_dn, agent_dn
                ) c ON c.pbx_id = qa.pbx_id AND c.queue_dn = qa.queue_dn
                  AND c.agent_dn = qa.agent_dn
                WHERE {queue_filter("qa")} AND qa.valid_to IS NULL
                ORDER BY qa.pbx_id, qa.queue_dn, qa.agent_dn
                """
            ),
            p.pos(0, 22, 24, 10),
        )
        .override_by_name("Talk time", p.unit_only("s"))
        .override_by_name("Answered", p.unit_only("short"))
        .override_by_name("State", p.text_colours(AGENT_STATE_COLOURS))
        .override_by_name("Agent", p.link(
            "Agent activity",
            dashboard_link(AGENTS_UID,
                           "var-pbx=${__data.fields.PBX}&var-agent=${__data.fields.Agent}"),
        ))
    )


def dashboard() -> dash.Dashboard:
    """The queue detail dashboard."""
    board = base_dashboard(
        QUEUE_DETAIL_UID,
        "QueuePulse · Queue detail",
        "One queue (or a few) in depth: traffic, SLA trend, waits and its agents.",
        refresh="1m",
        time_from="now-24h",
    )
    board = board.with_variable(pbx_variable()).with_variable(queue_variable())
    for panel in (
        live_now(),
        period_summary(),
        traffic(),
        sla_trend(),
        waits(),
        wait_distribution(),
        queue_agents(),
    ):
        board = board.with_panel(panel)
    return board
