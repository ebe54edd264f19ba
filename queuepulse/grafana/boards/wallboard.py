"""Dashboard 1 — the live wall board supervisors keep on a TV (and act on).

Top: whether the data is live (per PBX; stale after three poll intervals without a successful
poll), calls waiting, longest wait, and the agents by state counted once per agent (the state
the flow computed with its rules, ``agent_now``). Then today's figures from the 15-minute rollup
(``queue_kpi_15m``: at most 100 rows per queue), one tile per queue, the per-queue table
coloured by each queue's targets (``queue_targets_effective``), and the three lists supervisors
act on: callers waiting, calls in progress, agents. Every "now" value and list is bounded by the
PBX's last successful poll (``pbx_freshness``): a stale PBX's rows are not shown as live.

Refreshes every second. "Today" is each PBX's own local day: since midnight in its site time
zone (``pbx_sites``, ``queuepulse_site_today``), summed from the 15-minute rollup
(``queue_kpi_15m``), exact in any zone and on DST days, whatever the browser's zone; the time
range (``now/d`` → now) only frames the board.
"""

from __future__ import annotations

from collections.abc import Sequence

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import stat, table
from grafana_foundation_sdk.models import dashboard as dm

from queuepulse.grafana import panels as p
from queuepulse.grafana.boards.common import (
    AGENT_STATE_COLOURS,
    FRESH,
    QUARTER_HOURLY,
    abandon_pct,
    aht_s,
    asa_s,
    base_dashboard,
    dashboard_link,
    fresh_join,
    member_of_chosen_queues,
    queue_filter,
    queue_label,
    site_today,
    site_today_join,
    sla_pct,
)
from queuepulse.grafana.boards.staffing import expected_wait_join, next_30_min_panel
from queuepulse.grafana.ids import (
    AGENTS_UID,
    HISTORY_UID,
    QUEUE_CONFIG_UID,
    QUEUE_DETAIL_UID,
    WALLBOARD_UID,
)
from queuepulse.grafana.sqlquery import sql
from queuepulse.grafana.variables import pbx_variable, queue_variable

SLA_STEPS = p.GOOD_HIGH_PCT
WAIT_STEPS = p.BAD_HIGH_WAIT_S
WAITING_STEPS = p.BAD_HIGH_COUNT
#: "SLA % minus target" in points: red below target by 5+, orange below, green at or above.
VS_TARGET_STEPS: tuple[p.Step, ...] = ((None, "red"), (-5.0, "orange"), (0.0, "green"))
#: A waiting caller's wait as a share of the queue's SLA time.
SLA_USED_STEPS: tuple[p.Step, ...] = ((None, "green"), (80.0, "orange"), (100.0, "red"))

REFRESH = "1s"

_NOW = f"""
    FROM queue_now q
    WHERE {queue_filter("q")}"""

_TODAY = f"""
    FROM {QUARTER_HOURLY} k
    {site_today_join("k")}
    WHERE {site_today("k.bucket")} AND {queue_filter("k")}"""


def _live(expr: str, name: str) -> str:
    """A total over the chosen queues of fresh PBXs; NULL (shown as "stale") when every chosen
    PBX is stale."""
    return (
        f'SELECT CASE WHEN bool_or(NOT q.stale) THEN {expr} END AS "{name}"{_NOW}'
    )


def live_data() -> stat.Panel:
    """Per PBX: LIVE, or how long since its last successful poll."""
    return (
        p.stat_panel(
            "Live data",
            "Per PBX: LIVE while polls succeed; otherwise the time since the last successful "
            "poll. Past three poll intervals without one the live numbers and lists below hide "
            "that PBX (they would be old).",
            sql(
                """
                SELECT f.pbx_id AS "PBX",
                       CASE WHEN f.stale THEN round(coalesce(f.age_s, 86400)::numeric, 0)
                            ELSE 0 END AS "Stale for"
                FROM pbx_freshness f
                WHERE f.pbx_id IN ($pbx)
                ORDER BY f.pbx_id
                """
            ),
            "s",
            p.pos(0, 0, 4, 4),
            ((None, "green"), (0.5, "red")),
            per_row=True,
        )
        .mappings([p.value_text("0", "LIVE", "green")])
        .no_value("no PBX")
    )


def calls_waiting() -> stat.Panel:
    """Calls waiting now in the chosen queues."""
    return p.stat_panel(
        "Calls waiting",
        "Calls waiting now in the chosen queues (PBXs with live data).",
        sql(_live("sum(q.waiting) FILTER (WHERE NOT q.stale)", "Calls waiting")),
        "short",
        p.pos(4, 0, 3, 4),
        WAITING_STEPS,
    ).no_value("stale")


def longest_wait() -> stat.Panel:
    """Longest current wait over the chosen queues."""
    return p.stat_panel(
        "Longest wait",
        "Longest wait of a caller still waiting, over the chosen queues (as of the last poll).",
        sql(_live("max(q.longest_wait_s) FILTER (WHERE NOT q.stale)", "Longest wait")),
        "s",
        p.pos(7, 0, 3, 4),
        WAIT_STEPS,
    ).no_value("stale")


def _agents_sql(columns: Sequence[tuple[str, str]]) -> str:
    counts = ",\n           ".join(
        f"CASE WHEN count(f.pbx_id) > 0 THEN count(*) FILTER (WHERE a.state = '{state}' "
        f'AND {FRESH}) END AS "{name}"'
        for state, name in columns
    )
    return f"""
    SELECT {counts}
    FROM agent_now a
    LEFT JOIN pbx_freshness f ON f.pbx_id = a.pbx_id AND {FRESH}
    WHERE a.pbx_id IN ($pbx) AND {member_of_chosen_queues("a")}
    """


def agents_free() -> stat.Panel:
    """Agents free now, each agent once."""
    return p.stat_panel(
        "Agents free",
        "Agents of the chosen queues who are free now: logged in, registered, in an available "
        "profile (QUEUEPULSE_RULES__AVAILABLE_PROFILES) and not on a call — as the flow "
        "decided. An agent in several queues counts once.",
        sql(_agents_sql((("free", "Agents free"),))),
        "short",
        p.pos(10, 0, 3, 4),
        p.GOOD_HIGH_COUNT,
    ).no_value("stale")


def agents_by_state() -> stat.Panel:
    """Agents talking / away / logged out / offline now, each agent once."""
    return p.stat_panel(
        "Agents",
        "Agents of the chosen queues by state now, each agent once: talking (on a call), away "
        "(logged in, another profile), logged out (of the queues), offline (phone not "
        "registered).",
        sql(_agents_sql((("talking", "Talking"), ("away", "Away"), ("logged out", "Logged out"),
                         ("offline", "Offline")))),
        "short",
        p.pos(13, 0, 7, 4),
        p.NEUTRAL,
    ).no_value("stale")


def today() -> stat.Panel:
    """Today's figures over the chosen queues, from the hourly rollup."""
    return (
        p.stat_panel(
            "Today",
            "Since local midnight at each PBX's site (its time zone), from the 15-minute "
            "rollup: offered, answered, abandoned and "
            "short abandoned (within the short-abandon threshold), abandon % (short abandons "
            "excluded), SLA %, ASA, AHT, longest completed wait, transferred / overflowed out.",
            sql(
                f"""
                SELECT coalesce(sum(offered), 0) AS "Offered",
                       coalesce(sum(answered), 0) AS "Answered",
                       coalesce(sum(abandoned), 0) AS "Abandoned",
                       coalesce(sum(short_abandoned), 0) AS "Short abandoned",
                       {abandon_pct()} AS "Abandon %",
                       {sla_pct()} AS "SLA %",
                       {asa_s()} AS "ASA (s)",
                       {aht_s()} AS "AHT (s)",
                       max(max_wait_s) AS "Longest wait (s)",
                       coalesce(sum(transferred), 0) AS "Transferred"
                {_TODAY}
                """
            ),
            "short",
            p.pos(0, 4, 24, 4),
            p.NEUTRAL,
        )
        .decimals(1)
        .no_value("—")
    )


def waiting_per_queue() -> stat.Panel:
    """One tile per queue: calls waiting."""
    return p.stat_panel(
        "Calls waiting per queue",
        "One tile per queue: calls waiting now. Orange from 1, red from 5. A stale PBX's queues "
        "show no value.",
        sql(
            f'SELECT {queue_label()} AS "Queue", CASE WHEN NOT q.stale THEN q.waiting END '
            f'AS "Waiting"{_NOW}\n    ORDER BY q.pbx_id, q.queue_dn'
        ),
        "short",
        p.pos(0, 8, 12, 6),
        WAITING_STEPS,
        per_row=True,
    )


def longest_wait_per_queue() -> stat.Panel:
    """One tile per queue: longest current wait."""
    return p.stat_panel(
        "Longest wait per queue",
        "One tile per queue: the longest wait of a caller still waiting. Orange from 30 s, red "
        "from 60 s.",
        sql(
            f'SELECT {queue_label()} AS "Queue", CASE WHEN NOT q.stale THEN q.longest_wait_s '
            f'END AS "Longest wait"{_NOW}\n    ORDER BY q.pbx_id, q.queue_dn'
        ),
        "s",
        p.pos(12, 8, 12, 6),
        WAIT_STEPS,
        per_row=True,
    )


QUEUE_TABLE_SQL = f"""
    SELECT q.pbx_id AS "PBX", q.queue_dn AS "Queue", q.name AS "Name",
           CASE WHEN NOT q.stale THEN q.waiting END AS "Waiting",
           CASE WHEN NOT q.stale THEN q.longest_wait_s END AS "Longest wait",
           s.free AS "Free", s.talking AS "Talking", s.logged_in AS "Logged in",
           coalesce(k.offered, 0) AS "Offered",
           coalesce(k.answered, 0) AS "Answered",
           coalesce(k.abandoned, 0) AS "Abandoned",
           k.abandon_pct AS "Abandon %",
           k.sla_pct AS "SLA % today",
           t.sla_target_pct AS "SLA target",
           round((k.sla_pct - t.sla_target_pct)::numeric, 1) AS "SLA vs target",
           k.asa_s AS "ASA", k.aht_s AS "AHT",
           coalesce(k.transferred, 0) AS "Transferred",
           round(q.age_s::numeric, 1) AS "Data age"
    FROM queue_now q
    LEFT JOIN queue_targets_effective t ON t.pbx_id = q.pbx_id AND t.queue_dn = q.queue_dn
    LEFT JOIN LATERAL (
      SELECT count(*) FILTER (WHERE a.state = 'free') AS free,
             count(*) FILTER (WHERE a.state = 'talking') AS talking,
             count(*) FILTER (WHERE a.state IN ('free', 'talking', 'away')) AS logged_in
      FROM queue_agents m
      JOIN agent_now a ON a.pbx_id = m.pbx_id AND a.agent_dn = m.agent_dn
      WHERE m.valid_to IS NULL AND m.pbx_id = q.pbx_id AND m.queue_dn = q.queue_dn
        AND NOT q.stale
      HAVING NOT q.stale
    ) s ON true
    LEFT JOIN (
      SELECT k.pbx_id, k.queue_dn, sum(offered) AS offered, sum(answered) AS answered,
             sum(abandoned) AS abandoned, sum(transferred) AS transferred,
             {sla_pct()} AS sla_pct, {abandon_pct()} AS abandon_pct, {asa_s()} AS asa_s,
             {aht_s()} AS aht_s
      FROM {QUARTER_HOURLY} k
      {site_today_join("k")}
      WHERE {site_today("k.bucket")} AND {queue_filter("k")}
      GROUP BY k.pbx_id, k.queue_dn
    ) k ON k.pbx_id = q.pbx_id AND k.queue_dn = q.queue_dn
    WHERE {queue_filter("q")}
    ORDER BY CASE WHEN NOT q.stale THEN q.waiting ELSE -1 END DESC, q.pbx_id, q.queue_dn
"""


def queue_table() -> table.Panel:
    """Every gauge and today's figures of every chosen queue, most waiting first."""
    return (
        p.table_panel(
            "Queues now",
            "Per queue: calls waiting and longest wait now, its agents free / talking / logged "
            "in now (each agent once per queue), and today's offered, answered, abandoned, "
            "abandon %, SLA % (against the queue's target: 'SLA vs target' in points), ASA, "
            "AHT, transferred. 'Data age' is the time since the PBX's last successful poll; "
            "empty live cells mean the PBX is stale. Click a queue for its detail or its "
            "configuration.",
            sql(QUEUE_TABLE_SQL),
            p.pos(0, 14, 24, 9),
        )
        .override_by_name("Queue", p.link(
            "Queue detail",
            dashboard_link(QUEUE_DETAIL_UID,
                           "var-pbx=${__data.fields.PBX}&var-queue=${__data.fields.Queue}"),
            ("Queue configuration",
             dashboard_link(QUEUE_CONFIG_UID,
                            "var-pbx=${__data.fields.PBX}&var-queue=${__data.fields.Queue}")),
        ))
        .override_by_name("Waiting", p.coloured(WAITING_STEPS, "short"))
        .override_by_name("Longest wait", p.coloured(WAIT_STEPS, "s"))
        .override_by_name("Free", p.coloured(p.GOOD_HIGH_COUNT, "short"))
        .override_by_name("Abandon %", p.unit_only("percent"))
        .override_by_name("SLA % today", p.unit_only("percent"))
        .override_by_name("SLA target", p.unit_only("percent"))
        .override_by_name("SLA vs target", p.coloured(VS_TARGET_STEPS, "none"))
        .override_by_name("ASA", p.unit_only("s"))
        .override_by_name("AHT", p.unit_only("s"))
        .override_by_name(
            "Data age", p.coloured(((None, "green"), (3.0, "orange"), (10.0, "red")), "s")
        )
    )


def waiting_list_sql(extra_columns: Sequence[str] = (), extra_joins: Sequence[str] = ()) -> str:
    """The callers waiting now: one row per waiting visit of a fresh PBX, longest wait first.

    The one place this list is built. ``extra_columns`` are more select-list items
    (``'<expr> AS "Name"'``) over ``w`` — the waiting visit: ``pbx_id``, ``queue_dn``,
    ``call_key``, ``caller``, ``position``, ``wait_s``, ``sla_time_s`` — and over the tables of
    ``extra_joins`` (``'LEFT JOIN <table or view> x ON x.pbx_id = w.pbx_id AND x.queue_dn =
    w.queue_dn'``; ``w.entered_at`` too), e.g. each caller's expected wait.
    """
    extra = "".join(f",\n           {column}" for column in extra_columns)
    joins = "".join(f"\n    {join}" for join in extra_joins)
    return f"""
    SELECT w.pbx_id AS "PBX", w.queue_dn AS "Queue", w.position AS "Position",
           w.caller AS "Caller", w.wait_s AS "Waiting",
           round((100.0 * w.wait_s / nullif(w.sla_time_s, 0))::numeric, 0) AS "% of SLA time",
           w.call_key AS "Call"{extra}
    FROM (
      SELECT c.pbx_id, c.queue_dn, c.call_key, c.entered_at, coalesce(c.caller, '') AS caller,
             row_number() OVER (PARTITION BY c.pbx_id, c.queue_dn
                                ORDER BY c.entered_at, c.call_key) AS position,
             round(greatest(extract(epoch FROM f.last_ok_at - c.entered_at), 0)::numeric, 0)
               AS wait_s,
             t.sla_time_s
      FROM queue_calls c
      {fresh_join("c")}
      LEFT JOIN queue_targets_effective t ON t.pbx_id = c.pbx_id AND t.queue_dn = c.queue_dn
      WHERE c.outcome = 'waiting' AND c.entered_at > now() - interval '1 day'
        AND {queue_filter("c")}
    ) w{joins}
    ORDER BY w.wait_s DESC, w.pbx_id, w.queue_dn, w.position
    """


def _visit_link() -> list[dm.DynamicConfigValue]:
    return p.link(
        "Call events",
        dashboard_link(HISTORY_UID,
                       "var-pbx=${__data.fields.PBX}&var-call_key=${__data.fields.Call}"),
    )


def waiting_list() -> table.Panel:
    """Callers waiting now."""
    return (
        p.table_panel(
            "Callers waiting",
            "Every caller waiting now: queue, position in the queue, caller (after the privacy "
            "policy), wait so far — coloured by the share of the queue's SLA time used (orange "
            "from 80 %, red past it), and the expected wait until an agent answers (from the "
            "queue's position, agents and recent handle times; empty until `queuepulse run "
            "forecast` runs). Click a call for its events.",
            sql(waiting_list_sql(
                ['round(ew.expected_wait_now_s::numeric) AS "Expected wait"'],
                [expected_wait_join("w")],
            )),
            p.pos(0, 23, 8, 10),
        )
        .override_by_name("Waiting", p.unit_only("s"))
        .override_by_name("% of SLA time", p.coloured(SLA_USED_STEPS, "percent"))
        .override_by_name("Expected wait", p.unit_only("s"))
        .override_by_name("Call", _visit_link())
    )


IN_PROGRESS_SQL = f"""
    SELECT c.pbx_id AS "PBX", c.queue_dn AS "Queue",
           coalesce(c.agent_dn || coalesce(' ' || a.display_name, ''), '') AS "Agent",
           coalesce(c.caller, '') AS "Caller",
           round(greatest(extract(epoch FROM f.last_ok_at - c.answered_at), 0)::numeric, 0)
             AS "Talk time",
           c.call_key AS "Call"
    FROM queue_calls c
    {fresh_join("c")}
    LEFT JOIN agents a ON a.pbx_id = c.pbx_id AND a.agent_dn = c.agent_dn AND a.valid_to IS NULL
    WHERE c.outcome = 'answered' AND c.ended_at IS NULL
      AND c.entered_at > now() - interval '1 day' AND {queue_filter("c")}
    ORDER BY 5 DESC, c.pbx_id, c.queue_dn
"""


def in_progress_list() -> table.Panel:
    """Queue calls being talked now."""
    return (
        p.table_panel(
            "Calls in progress",
            "Queue calls answered and not ended: queue, agent (where the PBX shows who "
            "answered), caller, talk time so far. Click a call for its events.",
            sql(IN_PROGRESS_SQL),
            p.pos(8, 23, 8, 10),
        )
        .override_by_name("Talk time", p.unit_only("s"))
        .override_by_name("Call", _visit_link())
    )


AGENT_BOARD_SQL = f"""
    SELECT a.pbx_id AS "PBX", a.agent_dn AS "Agent", coalesce(ag.display_name, '') AS "Name",
           coalesce(a.state, 'unknown') AS "State",
           round(greatest(extract(epoch FROM f.last_ok_at - a.state_since), 0)::numeric, 0)
             AS "Time in state",
           m.queues AS "Queues",
           coalesce(c.answered, 0) AS "Answered today"
    FROM agent_now a
    {fresh_join("a")}
    {site_today_join("a")}
    JOIN agents ag ON ag.pbx_id = a.pbx_id AND ag.agent_dn = a.agent_dn AND ag.valid_to IS NULL
    CROSS JOIN LATERAL (
      SELECT string_agg(m.queue_dn, ', ' ORDER BY m.queue_dn) AS queues,
             bool_or(m.queue_dn IN ($queue)) AS chosen
      FROM queue_agents m
      WHERE m.valid_to IS NULL AND m.pbx_id = a.pbx_id AND m.agent_dn = a.agent_dn
    ) m
    LEFT JOIN LATERAL (
      SELECT count(*) AS answered
      FROM queue_calls c
      WHERE c.pbx_id = a.pbx_id AND c.agent_dn = a.agent_dn AND c.outcome = 'answered'
        AND {site_today("c.entered_at")}
    ) c ON true
    WHERE a.pbx_id IN ($pbx) AND m.chosen
    ORDER BY array_position(ARRAY['free', 'talking', 'away', 'logged out', 'offline'],
                            a.state), 5 DESC, a.pbx_id, a.agent_dn
"""


def agent_board() -> table.Panel:
    """Every agent of the chosen queues: state, time in state, queues, answered today."""
    return (
        p.table_panel(
            "Agents now",
            "Each agent of the chosen queues once: state as the flow decided it (free, talking, "
            "away, logged out, offline), time in that state, their queues and queue calls "
            "answered today. Click an agent for their activity.",
            sql(AGENT_BOARD_SQL),
            p.pos(16, 23, 8, 10),
        )
        .override_by_name("State", p.text_colours(AGENT_STATE_COLOURS))
        .override_by_name("Time in state", p.unit_only("s"))
        .override_by_name("Agent", p.link(
            "Agent activity",
            dashboard_link(AGENTS_UID,
                           "var-pbx=${__data.fields.PBX}&var-agent=${__data.fields.Agent}"),
        ))
    )


def dashboard() -> dash.Dashboard:
    """The wall board."""
    board = base_dashboard(
        WALLBOARD_UID,
        "QueuePulse · Wall board",
        "Live wall board: is the data live, calls waiting, longest wait, agents by state (each "
        "agent once), today's figures, per-queue tiles and table, and the callers waiting, "
        "calls in progress and agents. 1 s refresh; made for a TV.",
        refresh=REFRESH,
        time_from="now/d",
    )
    board = board.with_variable(pbx_variable()).with_variable(queue_variable())
    for panel in (
        live_data(),
        calls_waiting(),
        longest_wait(),
        agents_free(),
        agents_by_state(),
        next_30_min_panel(p.pos(20, 0, 4, 4)),
        today(),
        waiting_per_queue(),
        longest_wait_per_queue(),
        queue_table(),
        waiting_list(),
        in_progress_list(),
        agent_board(),
    ):
        board = board.with_panel(panel)
    return board
