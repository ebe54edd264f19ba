"""Dashboard 5 — agent activity: state timeline, answered, talk time, ranking."""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, stat, statetimeline, table
from grafana_foundation_sdk.builders import dashboard as dash

from queuepulse.grafana import panels as p
from queuepulse.grafana.boards.common import AGENT_STATE_COLOURS, FRESH, base_dashboard
from queuepulse.grafana.ids import AGENTS_UID
from queuepulse.grafana.sqlquery import sql
from queuepulse.grafana.variables import agent_variable, pbx_variable

AGENT_FILTER = "pbx_id IN ($pbx) AND agent_dn IN ($agent)"

STATE_COLOURS = AGENT_STATE_COLOURS
"""The agent states the flow stores (``agent_states.state``) and their colours."""

AGENT_NAME = "a.agent_dn || coalesce(' ' || a.display_name, '')"


def states_now() -> stat.Panel:
    """How many of the chosen agents are in each state now."""
    return p.stat_panel(
        "Agents now",
        "Chosen agents by state now, each once, as the flow decided it with its rules "
        "(agent_now); PBXs whose data is stale are left out.",
        sql(
            f"""
            SELECT count(*) FILTER (WHERE a.state = 'free') AS "Free",
                   count(*) FILTER (WHERE a.state = 'talking') AS "Talking",
                   count(*) FILTER (WHERE a.state = 'away') AS "Away",
                   count(*) FILTER (WHERE a.state = 'logged out') AS "Logged out",
                   count(*) FILTER (WHERE a.state = 'offline') AS "Offline"
            FROM agent_now a
            JOIN pbx_freshness f ON f.pbx_id = a.pbx_id AND {FRESH}
            WHERE a.pbx_id IN ($pbx) AND a.agent_dn IN ($agent)
            """
        ),
        "short",
        p.pos(0, 0, 24, 4),
    )


def state_timeline() -> statetimeline.Panel:
    """One row per agent: free / talking / away / logged out / offline over time."""
    return p.state_timeline_panel(
        "Agent state timeline",
        "Each agent's state over time as the flow decided it (agent_states.state): free "
        "(logged in, registered, an available profile, not on a call), talking, away "
        "(another profile), logged out, offline (not registered); unknown before schema 004.",
        sql(
            f"""
            SELECT s.ts AS "time", {AGENT_NAME} AS agent, coalesce(s.state, 'unknown') AS state
            FROM agent_states s
            JOIN agents a ON a.pbx_id = s.pbx_id AND a.agent_dn = s.agent_dn
              AND a.valid_to IS NULL
            WHERE $__timeFilter(s.ts) AND s.pbx_id IN ($pbx) AND s.agent_dn IN ($agent)
            ORDER BY s.ts
            """
        ),
        p.pos(0, 4, 24, 12),
        "agent",
        STATE_COLOURS,
    )


def answered_ranking() -> bargauge.Panel:
    """Agents ranked by calls answered."""
    return p.bargauge_panel(
        "Answered by agent",
        "Queue calls answered per agent in the time range (top 25).",
        sql(
            f"""
            SELECT {AGENT_NAME} AS "Agent", count(*) AS "Answered"
            FROM queue_calls c
            JOIN agents a ON a.pbx_id = c.pbx_id AND a.agent_dn = c.agent_dn
              AND a.valid_to IS NULL
            WHERE $__timeFilter(c.entered_at) AND c.outcome = 'answered'
              AND c.pbx_id IN ($pbx) AND c.agent_dn IN ($agent)
            GROUP BY 1
            ORDER BY 2 DESC
            LIMIT 25
            """
        ),
        "short",
        p.pos(0, 16, 12, 10),
    )


def talk_time_ranking() -> bargauge.Panel:
    """Agents ranked by talk time."""
    return p.bargauge_panel(
        "Talk time by agent",
        "Total talk time of answered queue calls per agent in the time range (top 25).",
        sql(
            f"""
            SELECT {AGENT_NAME} AS "Agent", sum(c.talk_s) AS "Talk time"
            FROM queue_calls c
            JOIN agents a ON a.pbx_id = c.pbx_id AND a.agent_dn = c.agent_dn
              AND a.valid_to IS NULL
            WHERE $__timeFilter(c.entered_at) AND c.outcome = 'answered'
              AND c.talk_s IS NOT NULL AND c.pbx_id IN ($pbx) AND c.agent_dn IN ($agent)
            GROUP BY 1
            ORDER BY 2 DESC
            LIMIT 25
            """
        ),
        "s",
        p.pos(12, 16, 12, 10),
    )


def ranking_table() -> table.Panel:
    """Every chosen agent with answered, talk time, average talk time, logged-in time."""
    return (
        p.table_panel(
            "Agent ranking",
            "Per agent over the time range: queue calls answered, total and average talk time, "
            "average wait of the calls they answered, and logged-in time (from agent_states: "
            "time between a LoggedIn row and the next row).",
            sql(
                f"""
                SELECT {AGENT_NAME} AS "Agent", coalesce(c.answered, 0) AS "Answered",
                       coalesce(c.talk_s, 0) AS "Talk time", c.avg_talk_s AS "Avg talk",
                       c.wait_s AS "Avg wait", coalesce(l.logged_in_s, 0) AS "Logged in"
                FROM agents a
                LEFT JOIN (
                  SELECT pbx_id, agent_dn, count(*) AS answered, sum(talk_s) AS talk_s,
                         round(avg(talk_s)::numeric, 1) AS avg_talk_s,
                         round(avg(wait_s)::numeric, 1) AS wait_s
                  FROM queue_calls
                  WHERE $__timeFilter(entered_at) AND outcome = 'answered' AND {AGENT_FILTER}
                  GROUP BY pbx_id, agent_dn
                ) c ON c.pbx_id = a.pbx_id AND c.agent_dn = a.agent_dn
                LEFT JOIN (
                  SELECT pbx_id, agent_dn,
                         sum(extract(epoch FROM next_ts - ts))
                           FILTER (WHERE queue_status = 'LoggedIn') AS logged_in_s
                  FROM (
                    SELECT pbx_id, agent_dn, ts, queue_status,
                           lead(ts, 1, least(now(), $__timeTo()::timestamptz))
                             OVER (PARTITION BY pbx_id, agent_dn ORDER BY ts) AS next_ts
                    FROM agent_states
                    WHERE $__timeFilter(ts) AND {AGENT_FILTER}
                  ) spans
                  GROUP BY pbx_id, agent_dn
                ) l ON l.pbx_id = a.pbx_id AND l.agent_dn = a.agent_dn
                WHERE a.pbx_id IN ($pbx) AND a.agent_dn IN ($agent) AND a.valid_to IS NULL
                ORDER BY 2 DESC, 1
                """
            ),
            p.pos(0, 26, 24, 12),
        )
        .override_by_name("Talk time", p.unit_only("s"))
        .override_by_name("Avg talk", p.unit_only("s"))
        .override_by_name("Avg wait", p.unit_only("s"))
        .override_by_name("Logged in", p.unit_only("s"))
    )


def dashboard() -> dash.Dashboard:
    """The agent activity dashboard."""
    board = base_dashboard(
        AGENTS_UID,
        "QueuePulse · Agent activity",
        "Agent states over time, calls answered, talk time and a ranking.",
        refresh="1m",
        time_from="now-12h",
    )
    board = board.with_variable(pbx_variable()).with_variable(agent_variable())
    for panel in (
        states_now(),
        state_timeline(),
        answered_ranking(),
        talk_time_ranking(),
        ranking_table(),
    ):
        board = board.with_panel(panel)
    return board
