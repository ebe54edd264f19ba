"""A small, deterministic data set for the report tests: one PBX in Europe/Berlin, two queues,
minute KPIs over the two DST changes of 2026 (29 March: a 23-hour day; 25 October: a 25-hour
day), queue visits with answers and abandons, and an agent's log-in spans.

Written straight into the tables the flows write (queue_kpi_1m, queue_calls, queues, agents,
agent_states, pbx_sites). The minute rows go in with the row triggers off (one re-roll per row
would take seconds); the rollups are then rebuilt in one call each, as for history.
"""

from __future__ import annotations

from datetime import date
from typing import Any

PBX = "pbx-a"
SITE_TZ = "Europe/Berlin"
QUEUES = ("800", "801")
AGENT = "100"
# Local days with data: the 23-hour day and its neighbours, the 25-hour day and its neighbours.
SPRING = (date(2026, 3, 28), date(2026, 3, 31))  # [first, end): 28, 29 (23 h), 30
AUTUMN = (date(2026, 10, 24), date(2026, 10, 27))  # 24, 25 (25 h), 26

_KPI = """
INSERT INTO queue_kpi_1m (pbx_id, queue_dn, bucket, offered, answered, abandoned,
    short_abandoned, transferred, answered_in_sla, max_wait_s, wait_answered_s_sum,
    wait_abandoned_s_sum, talk_s_sum, talk_count)
SELECT %(pbx)s, q.dn, b,
       1 + m %% 4, m %% 3, (m + q.n) %% 2, (m %% 5 = 0 AND (m + q.n) %% 2 = 1)::int, m %% 7 / 6,
       CASE WHEN m %% 3 = 0 THEN 0 ELSE (m + q.n) %% 2 END,
       5 + m %% 90, (m %% 3) * (3 + m %% 40), ((m + q.n) %% 2) * (2 + m %% 70),
       (m %% 3) * (30 + m %% 200), m %% 3
FROM (VALUES ('800', 0), ('801', 1)) q(dn, n),
     generate_series(%(first)s::timestamptz, %(last)s::timestamptz, interval '11 minutes') b,
     LATERAL (SELECT (extract(epoch FROM b) / 60)::bigint AS m) x
"""

_CALLS = """
INSERT INTO queue_calls (pbx_id, call_key, call_id, queue_dn, entered_at, answered_at, ended_at,
    outcome, wait_s, talk_s, agent_dn, visit_seq, source)
SELECT %(pbx)s, 'k' || g || %(tag)s, g, q.dn, t,
       CASE WHEN g %% 3 <> 0 THEN t + (g %% 130) * interval '1 second' END,
       t + (g %% 130) * interval '1 second' + CASE WHEN g %% 3 <> 0 THEN interval '90 seconds'
                                                  ELSE interval '0 seconds' END,
       CASE WHEN g %% 3 = 0 THEN 'abandoned' ELSE 'answered' END,
       g %% 130, CASE WHEN g %% 3 <> 0 THEN 90 END, CASE WHEN g %% 3 <> 0 THEN %(agent)s END,
       1, 'live'
FROM (VALUES ('800'), ('801')) q(dn),
     generate_series(1, 240) g,
     LATERAL (SELECT %(first)s::timestamptz + g * interval '17 minutes' AS t) x
"""


def fill(conn: Any) -> None:
    """Write the data set (superuser connection, autocommit)."""
    conn.execute("INSERT INTO pbx_sites (pbx_id, time_zone, time_zone_source) "
                 "VALUES (%s, %s, 'setting')", (PBX, SITE_TZ))
    conn.execute(
        "INSERT INTO queues (pbx_id, queue_dn, valid_from, name, sla_time_s, wrap_up_time_s) "
        "VALUES (%s, '800', '2026-01-01', 'Sales', 20, 10), "
        "(%s, '801', '2026-01-01', 'Support', 30, NULL)", (PBX, PBX))
    conn.execute("INSERT INTO agents (pbx_id, agent_dn, valid_from, display_name) "
                 "VALUES (%s, %s, '2026-01-01', 'Ada Agent')", (PBX, AGENT))
    conn.execute("SET session_replication_role = replica")
    for tag, (first, last) in (("s", ("2026-03-27 22:00+00", "2026-03-30 21:59+00")),
                               ("a", ("2026-10-23 22:00+00", "2026-10-26 22:59+00"))):
        conn.execute(_KPI, {"pbx": PBX, "first": first, "last": last})
        conn.execute(_CALLS, {"pbx": PBX, "first": first, "agent": AGENT, "tag": tag})
    conn.execute("SET session_replication_role = DEFAULT")
    for rollup in ("queue_kpi_15m", "queue_kpi_hourly"):
        conn.execute("SELECT queuepulse_rollup_kpi(%s, %s, NULL, '-infinity', 'infinity')",
                     (rollup, PBX))
    conn.execute(
        "INSERT INTO agent_states (pbx_id, agent_dn, ts, queue_status) VALUES "
        "(%(p)s, %(a)s, '2026-10-24 06:00+00', 'LoggedIn'), "
        "(%(p)s, %(a)s, '2026-10-24 14:00+00', 'LoggedOut'), "
        "(%(p)s, %(a)s, '2026-10-25 07:00+00', 'LoggedIn'), "
        "(%(p)s, %(a)s, '2026-10-25 16:30+00', 'LoggedOut'), "
        # a night shift over local midnight (22:00-03:00 CET): both days get their part
        "(%(p)s, %(a)s, '2026-10-25 21:00+00', 'LoggedIn'), "
        "(%(p)s, %(a)s, '2026-10-26 02:00+00', 'LoggedOut')", {"p": PBX, "a": AGENT})
