"""Dashboard — queue configuration: every queue's settings and targets, its members logged in
or out, the configuration history (the SCD-2 dimensions) and the audit of changes made with
``queuepulse queues apply`` / ``agents login|logout``."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import table

from queuepulse.grafana import panels as p
from queuepulse.grafana.boards.common import (
    CURRENT_QUEUES,
    QUARTER_HOURLY,
    base_dashboard,
    queue_label,
    sla_pct,
)
from queuepulse.grafana.ids import QUEUE_CONFIG_UID
from queuepulse.grafana.sqlquery import sql
from queuepulse.grafana.variables import pbx_variable, queue_variable

LATEST_STATE = """
    LEFT JOIN LATERAL (
      SELECT s.ts, s.queue_status
      FROM agent_states s
      WHERE s.pbx_id = m.pbx_id AND s.agent_dn = m.agent_dn
        AND s.ts > now() - interval '7 days'
      ORDER BY s.ts DESC
      LIMIT 1
    ) s ON true"""
"""The newest agent_states row of each member ``m`` (login state and since when)."""


def queues() -> table.Panel:
    """Every chosen queue: configuration, targets, members in/out, SLA today vs target."""
    return (
        p.table_panel(
            "Queues",
            "Current configuration of each queue (from the queues dimension, as the sync last "
            "saw it): ring strategy, SLA target and timeouts in seconds, max callers; members "
            "logged in / out now; today's SLA % (the site's local day) beside the target. "
            "'Changed' is when the configuration last changed.",
            sql(
                f"""
                SELECT {queue_label()} AS "Queue", q.pbx_id AS "PBX",
                       q.polling_strategy AS "Strategy", q.sla_time_s AS "SLA target",
                       q.ring_timeout_s AS "Ring timeout", q.master_timeout_s AS "Max wait",
                       q.wrap_up_time_s AS "Wrap-up", q.max_callers AS "Max callers",
                       q.priority_queue AS "Priority",
                       (SELECT count(*) FROM queue_agents m {LATEST_STATE}
                        WHERE m.pbx_id = q.pbx_id AND m.queue_dn = q.queue_dn
                          AND m.valid_to IS NULL AND s.queue_status = 'LoggedIn')
                         AS "Logged in",
                       (SELECT count(*) FROM queue_agents m {LATEST_STATE}
                        WHERE m.pbx_id = q.pbx_id AND m.queue_dn = q.queue_dn
                          AND m.valid_to IS NULL
                          AND s.queue_status IS DISTINCT FROM 'LoggedIn') AS "Logged out",
                       (SELECT {sla_pct('k')} FROM {QUARTER_HOURLY} k
                        WHERE k.pbx_id = q.pbx_id AND k.queue_dn = q.queue_dn
                          AND k.bucket > now() - interval '26 hours'
                          AND k.bucket >= queuepulse_site_today(q.pbx_id)) AS "SLA % today",
                       q.valid_from AS "Changed"
                FROM queues q
                WHERE {CURRENT_QUEUES} AND q.pbx_id IN ($pbx) AND q.queue_dn IN ($queue)
                ORDER BY q.pbx_id, q.queue_dn
                """
            ),
            p.pos(0, 0, 24, 9),
        )
        .override_by_name("SLA target", p.unit_only("s"))
        .override_by_name("Ring timeout", p.unit_only("s"))
        .override_by_name("Max wait", p.unit_only("s"))
        .override_by_name("Wrap-up", p.unit_only("s"))
        .override_by_name("SLA % today", p.unit_only("percent"))
    )


def members() -> table.Panel:
    """Every member of the chosen queues with skill group and login state."""
    return p.table_panel(
        "Members",
        "Agents of each queue now (queue_agents), their skill group, and whether they are "
        "logged in to their queues (newest agent_states row, last 7 days; 'unknown' when none).",
        sql(
            """
            SELECT m.queue_dn AS "Queue", m.agent_dn || coalesce(' ' || a.display_name, '')
                     AS "Agent",
                   m.skill_group AS "Skill group",
                   coalesce(s.queue_status, 'unknown') AS "Queue login",
                   s.ts AS "Since", m.valid_from AS "Member since"
            FROM queue_agents m
            LEFT JOIN agents a ON a.pbx_id = m.pbx_id AND a.agent_dn = m.agent_dn
              AND a.valid_to IS NULL
            LEFT JOIN LATERAL (
              SELECT s.ts, s.queue_status
              FROM agent_states s
              WHERE s.pbx_id = m.pbx_id AND s.agent_dn = m.agent_dn
                AND s.ts > now() - interval '7 days'
              ORDER BY s.ts DESC
              LIMIT 1
            ) s ON true
            WHERE m.valid_to IS NULL AND m.pbx_id IN ($pbx) AND m.queue_dn IN ($queue)
            ORDER BY m.queue_dn, m.agent_dn
            """
        ),
        p.pos(0, 9, 12, 10),
    )


def config_history() -> table.Panel:
    """Configuration versions of the chosen queues in the time range (SCD-2 rows)."""
    return p.table_panel(
        "Configuration history",
        "Every version of each queue's configuration that started in the time range (the "
        "queues dimension keeps one row per version: valid from / to). Compare consecutive "
        "rows to see what changed; membership changes are in 'Membership history'.",
        sql(
            f"""
            SELECT q.valid_from AS "From", q.valid_to AS "To", {queue_label()} AS "Queue",
                   q.polling_strategy AS "Strategy", q.sla_time_s AS "SLA target",
                   q.ring_timeout_s AS "Ring timeout", q.master_timeout_s AS "Max wait",
                   q.wrap_up_time_s AS "Wrap-up", q.max_callers AS "Max callers",
                   q.priority_queue AS "Priority"
            FROM queues q
            WHERE $__timeFilter(q.valid_from) AND q.pbx_id IN ($pbx) AND q.queue_dn IN ($queue)
            ORDER BY q.valid_from DESC, q.queue_dn
            LIMIT 500
            """
        ),
        p.pos(12, 9, 12, 10),
    )


def membership_history() -> table.Panel:
    """Agents who joined or left the chosen queues in the time range."""
    return p.table_panel(
        "Membership history",
        "Agents who joined (valid from) or left (valid to) the chosen queues in the time range.",
        sql(
            """
            SELECT ts AS "Time", queue_dn AS "Queue", agent_dn AS "Agent", change AS "Change",
                   skill_group AS "Skill group"
            FROM (
              SELECT valid_from AS ts, queue_dn, agent_dn, 'joined' AS change, skill_group
              FROM queue_agents
              WHERE $__timeFilter(valid_from) AND pbx_id IN ($pbx) AND queue_dn IN ($queue)
              UNION ALL
              SELECT valid_to, queue_dn, agent_dn, 'left', skill_group
              FROM queue_agents
              WHERE valid_to IS NOT NULL AND $__timeFilter(valid_to) AND pbx_id IN ($pbx)
                AND queue_dn IN ($queue)
            ) changes
            ORDER BY ts DESC, queue_dn, agent_dn
            LIMIT 500
            """
        ),
        p.pos(0, 19, 12, 10),
    )


def audit() -> table.Panel:
    """Changes made with queuepulse queues apply / agents login|logout in the time range."""
    return p.table_panel(
        "Changes made through queuepulse",
        "The audit of `queuepulse queues apply` and `queues agents login|logout`: when, who "
        "(the XAPI client id), queue or agent, field, old and new value, and the outcome "
        "(applied, failed, refused, not attempted, unknown).",
        sql(
            """
            SELECT c.changed_at AS "Time", c.client_id AS "Who",
                   coalesce(c.queue_dn, 'agent ' || c.agent_dn) AS "Queue / agent",
                   c.action AS "Action", c.field AS "Field", c.old_value::text AS "Old",
                   c.new_value::text AS "New", c.outcome AS "Outcome", c.error AS "Error"
            FROM queue_config_changes c
            WHERE $__timeFilter(c.changed_at) AND c.pbx_id IN ($pbx)
              AND (c.queue_dn IS NULL OR c.queue_dn IN ($queue))
            ORDER BY c.changed_at DESC
            LIMIT 1000
            """
        ),
        p.pos(12, 19, 12, 10),
    )


def dashboard() -> dash.Dashboard:
    """The queue configuration board."""
    board = base_dashboard(
        QUEUE_CONFIG_UID,
        "QueuePulse · Queue configuration",
        "Each queue's configuration and targets, its members logged in or out, and the "
        "history of its configuration and of the changes made through queuepulse.",
        refresh="1m",
        time_from="now-7d",
    )
    board = board.with_variable(pbx_variable()).with_variable(queue_variable())
    for panel in (queues(), members(), config_history(), membership_history(), audit()):
        board = board.with_panel(panel)
    return board
