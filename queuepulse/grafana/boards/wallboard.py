"""Dashboard 1 — the live wall board supervisors keep on a TV.

Big numbers across the top (totals of the chosen queues), one coloured tile per queue for
calls waiting and longest wait, and a per-queue table with every gauge. Refreshes every 5 s;
"today" is the dashboard's time range (``now/d`` → now, in the viewer's time zone).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import stat, table

from queuepulse.grafana import panels as p
from queuepulse.grafana.boards.common import (
    CURRENT_QUEUES,
    LATEST_LIVE,
    QUEUE_FILTER,
    base_dashboard,
    queue_filter,
    queue_label,
    sla_pct,
)
from queuepulse.grafana.ids import WALLBOARD_UID
from queuepulse.grafana.sqlquery import sql
from queuepulse.grafana.variables import pbx_variable, queue_variable

SLA_STEPS = p.GOOD_HIGH_PCT
WAIT_STEPS = p.BAD_HIGH_WAIT_S
WAITING_STEPS = p.BAD_HIGH_COUNT

_LIVE_FROM = f"""
    FROM queues q{LATEST_LIVE}
    WHERE {queue_filter("q")} AND {CURRENT_QUEUES}"""

_TODAY = f"""
    FROM queue_kpi_1m
    WHERE $__timeFilter(bucket) AND {QUEUE_FILTER}"""


def _live_total(expr: str, name: str) -> str:
    return f'SELECT coalesce({expr}, 0) AS "{name}"{_LIVE_FROM}'


def calls_waiting() -> stat.Panel:
    """Calls waiting now in the chosen queues."""
    return p.stat_panel(
        "Calls waiting",
        "Calls waiting in the chosen queues right now (newest live gauge of each queue).",
        sql(_live_total("sum(l.waiting)", "Calls waiting")),
        "short",
        p.pos(0, 0, 3, 5),
        WAITING_STEPS,
    )


def longest_wait() -> stat.Panel:
    """Longest current wait over the chosen queues."""
    return p.stat_panel(
        "Longest wait",
        "Longest wait of a call still waiting, over the chosen queues.",
        sql(_live_total("max(l.longest_wait_s)", "Longest wait")),
        "s",
        p.pos(3, 0, 3, 5),
        WAIT_STEPS,
    )


def sla_today() -> stat.Panel:
    """SLA % today over the chosen queues."""
    return (
        p.stat_panel(
            "SLA % today",
            "Answered within the queue's SLA time / (answered + abandoned − short abandoned), "
            "since the start of today.",
            sql(f'SELECT {sla_pct()} AS "SLA %"{_TODAY}'),
            "percent",
            p.pos(6, 0, 3, 5),
            SLA_STEPS,
        )
        .decimals(1)
        .no_value("—")
    )


def answered_today() -> stat.Panel:
    """Calls answered today."""
    return p.stat_panel(
        "Answered today",
        "Queue calls answered by an agent since the start of today.",
        sql(f'SELECT coalesce(sum(answered), 0) AS "Answered"{_TODAY}'),
        "short",
        p.pos(9, 0, 3, 5),
        p.NEUTRAL,
    )


def abandoned_today() -> stat.Panel:
    """Calls abandoned today."""
    return p.stat_panel(
        "Abandoned today",
        "Callers who hung up while waiting, since the start of today (short abandons included).",
        sql(f'SELECT coalesce(sum(abandoned), 0) AS "Abandoned"{_TODAY}'),
        "short",
        p.pos(12, 0, 3, 5),
        ((None, "green"), (10.0, "orange"), (50.0, "red")),
    )


def agents_free() -> stat.Panel:
    """Agents free now."""
    return p.stat_panel(
        "Agents free",
        "Agents logged in, registered, profile Available and not on a call. An agent in "
        "several queues counts once per queue.",
        sql(_live_total("sum(l.agents_free)", "Agents free")),
        "short",
        p.pos(15, 0, 3, 5),
        p.GOOD_HIGH_COUNT,
    )


def agents_talking() -> stat.Panel:
    """Agents talking now."""
    return p.stat_panel(
        "Agents talking",
        "Agents of the chosen queues on a call now (counted per queue).",
        sql(_live_total("sum(l.agents_talking)", "Agents talking")),
        "short",
        p.pos(18, 0, 3, 5),
        p.NEUTRAL,
    )


def agents_logged_in() -> stat.Panel:
    """Agents logged in now."""
    return p.stat_panel(
        "Agents logged in",
        "Agents logged in to the chosen queues now (counted per queue).",
        sql(_live_total("sum(l.agents_logged_in)", "Agents logged in")),
        "short",
        p.pos(21, 0, 3, 5),
        p.GOOD_HIGH_COUNT,
    )


def waiting_per_queue() -> stat.Panel:
    """One tile per queue: calls waiting."""
    return p.stat_panel(
        "Calls waiting per queue",
        "One tile per queue: calls waiting now. Orange from 1, red from 5.",
        sql(
            f'SELECT {queue_label()} AS "Queue", coalesce(l.waiting, 0) AS "Waiting"'
            f"{_LIVE_FROM}\n    ORDER BY q.pbx_id, q.queue_dn"
        ),
        "short",
        p.pos(0, 5, 12, 9),
        WAITING_STEPS,
        per_row=True,
    )


def longest_wait_per_queue() -> stat.Panel:
    """One tile per queue: longest current wait."""
    return p.stat_panel(
        "Longest wait per queue",
        "One tile per queue: the longest wait of a call still waiting. Orange from 30 s, red "
        "from 60 s.",
        sql(
            f'SELECT {queue_label()} AS "Queue", coalesce(l.longest_wait_s, 0) AS "Longest wait"'
            f"{_LIVE_FROM}\n    ORDER BY q.pbx_id, q.queue_dn"
        ),
        "s",
        p.pos(12, 5, 12, 9),
        WAIT_STEPS,
        per_row=True,
    )


QUEUE_TABLE_SQL = f"""
    SELECT q.pbx_id AS "PBX", q.queue_dn AS "Queue", q.name AS "Name",
           coalesce(l.waiting, 0) AS "Waiting",
           coalesce(l.longest_wait_s, 0) AS "Longest wait",
           k.sla_pct AS "SLA % today",
           coalesce(k.answered, 0) AS "Answered",
           coalesce(k.abandoned, 0) AS "Abandoned",
           coalesce(l.agents_free, 0) AS "Free",
           coalesce(l.agents_talking, 0) AS "Talking",
           coalesce(l.agents_logged_in, 0) AS "Logged in",
           extract(epoch FROM now() - l.ts) AS "Data age"
    FROM queues q{LATEST_LIVE}
    LEFT JOIN (
      SELECT pbx_id, queue_dn, sum(answered) AS answered, sum(abandoned) AS abandoned,
             {sla_pct()} AS sla_pct
      FROM queue_kpi_1m
      WHERE $__timeFilter(bucket) AND {QUEUE_FILTER}
      GROUP BY pbx_id, queue_dn
    ) k ON k.pbx_id = q.pbx_id AND k.queue_dn = q.queue_dn
    WHERE {queue_filter("q")} AND {CURRENT_QUEUES}
    ORDER BY coalesce(l.waiting, 0) DESC, q.pbx_id, q.queue_dn
"""


def queue_table() -> table.Panel:
    """Every gauge of every chosen queue, worst first."""
    return (
        p.table_panel(
            "Queues now",
            "Per queue: live gauges (newest poll) and today's answered / abandoned / SLA %. "
            "Sorted by calls waiting. 'Data age' is how old the live gauge is.",
            sql(QUEUE_TABLE_SQL),
            p.pos(0, 14, 24, 12),
        )
        .override_by_name("Waiting", p.coloured(WAITING_STEPS, "short"))
        .override_by_name("Longest wait", p.coloured(WAIT_STEPS, "s"))
        .override_by_name("SLA % today", p.coloured(SLA_STEPS, "percent"))
        .override_by_name("Abandoned", p.unit_only("short"))
        .override_by_name("Free", p.coloured(p.GOOD_HIGH_COUNT, "short"))
        .override_by_name("Logged in", p.coloured(p.GOOD_HIGH_COUNT, "short"))
        .override_by_name(
            "Data age", p.coloured(((None, "green"), (10.0, "orange"), (60.0, "red")), "s")
        )
    )


def dashboard() -> dash.Dashboard:
    """The wall board."""
    board = base_dashboard(
        WALLBOARD_UID,
        "QueuePulse · Wall board",
        "Live per-queue wall board: waiting, longest wait, SLA % today, answered and abandoned "
        "today, agents free / talking / logged in. 5 s refresh; made for a TV.",
        refresh="5s",
        time_from="now/d",
    )
    board = board.with_variable(pbx_variable()).with_variable(queue_variable())
    for panel in (
        calls_waiting(),
        longest_wait(),
        sla_today(),
        answered_today(),
        abandoned_today(),
        agents_free(),
        agents_talking(),
        agents_logged_in(),
        waiting_per_queue(),
        longest_wait_per_queue(),
        queue_table(),
    ):
        board = board.with_panel(panel)
    return board
