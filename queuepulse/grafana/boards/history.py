"""Dashboard 6 — call history explorer: queue visits with filters, and one call's events."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import stat, table

from queuepulse.grafana import panels as p
from queuepulse.grafana.boards.common import QUEUE_FILTER, base_dashboard
from queuepulse.grafana.ids import HISTORY_UID
from queuepulse.grafana.sqlquery import sql
from queuepulse.grafana.variables import (
    custom_variable,
    pbx_variable,
    queue_variable,
    text_variable,
)

OUTCOMES = ["answered", "abandoned", "transferred", "waiting"]

VISIT_FILTER = f"""$__timeFilter(entered_at) AND {QUEUE_FILTER}
      AND outcome IN ($outcome)
      AND (${{caller:sqlstring}} = ''
           OR caller_number ILIKE '%' || ${{caller:sqlstring}} || '%'
           OR caller_name ILIKE '%' || ${{caller:sqlstring}} || '%')
      AND (${{agent_dn:sqlstring}} = '' OR agent_dn = ${{agent_dn:sqlstring}})
      AND coalesce(wait_s, 0) >= ${{min_wait:sqlstring}}::numeric"""
"""Every filter of the explorer; the query builder passes each value safely (safe_sql)."""


def matching() -> stat.Panel:
    """Count and mix of the matching visits."""
    return p.stat_panel(
        "Matching visits",
        "Queue visits matching the filters, how many were answered, and their average wait.",
        sql(
            f"""
            SELECT count(*) AS "Visits",
                   count(*) FILTER (WHERE outcome = 'answered') AS "Answered",
                   round(avg(wait_s)::numeric, 1) AS "Avg wait (s)"
            FROM queue_calls
            WHERE {VISIT_FILTER}
            """
        ),
        "short",
        p.pos(0, 0, 24, 4),
    )


def visits() -> table.Panel:
    """The matching queue visits, newest first."""
    return (
        p.table_panel(
            "Queue visits",
            "One row per queue visit (newest first, at most 1000). Filter by queue, outcome, "
            "caller (substring of the number or the name), agent DN and minimum wait; copy a "
            "call key into 'Call key' to see that call's events below. 'Source' is live (from "
            "polling) or cdr (reconciled).",
            sql(
                f"""
                SELECT entered_at AS "Entered", pbx_id AS "PBX", queue_dn AS "Queue",
                       caller_number AS "Caller number", caller_name AS "Caller name",
                       outcome AS "Outcome", wait_s AS "Wait",
                       talk_s AS "Talk", agent_dn AS "Agent", answered_at AS "Answered at",
                       ended_at AS "Ended at", source AS "Source", call_key AS "Call key"
                FROM queue_calls
                WHERE {VISIT_FILTER}
                ORDER BY entered_at DESC
                LIMIT 1000
                """
            ),
            p.pos(0, 4, 24, 14),
        )
        .override_by_name("Wait", p.coloured(p.BAD_HIGH_WAIT_S, "s"))
        .override_by_name("Talk", p.unit_only("s"))
    )


def call_events() -> table.Panel:
    """Lifecycle events of one call."""
    return p.table_panel(
        "Events of the call",
        "Lifecycle events of the call whose key is in 'Call key' (empty shows nothing).",
        sql(
            """
            SELECT occurred_at AS "Time", event_type AS "Event", queue_dn AS "Queue",
                   agent_dn AS "Agent", status AS "Status", observed_at AS "Observed",
                   details::text AS "Details"
            FROM call_events
            WHERE $__timeFilter(occurred_at) AND pbx_id IN ($pbx)
              AND call_key = ${call_key:sqlstring}
            ORDER BY occurred_at, event_type
            LIMIT 500
            """
        ),
        p.pos(0, 18, 24, 10),
    )


def dashboard() -> dash.Dashboard:
    """The call history explorer."""
    board = base_dashboard(
        HISTORY_UID,
        "QueuePulse · Call history",
        "Explore queue visits with filters; drill into one call's lifecycle events.",
        refresh="",
        time_from="now-24h",
    )
    board = (
        board.with_variable(pbx_variable())
        .with_variable(queue_variable())
        .with_variable(
            custom_variable("outcome", "Outcome", "Visit outcome.", OUTCOMES, "", multi=True)
        )
        .with_variable(text_variable("caller", "Caller contains",
                                     "Substring of the caller's number or name."))
        .with_variable(text_variable("agent_dn", "Agent DN", "Exact agent extension."))
        .with_variable(text_variable("min_wait", "Min wait (s)", "Minimum wait in seconds.", "0"))
        .with_variable(text_variable("call_key", "Call key", "Show this call's events."))
    )
    for panel in (matching(), visits(), call_events()):
        board = board.with_panel(panel)
    return board
