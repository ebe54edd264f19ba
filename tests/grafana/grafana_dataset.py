"""A realistic synthetic data set for the Grafana query tests, filled with SQL.

Two PBXs, seven queues, twelve agents; three days of per-minute KPIs, two days of queue visits
with their lifecycle events, ten minutes of live gauges, twelve hours of agent states, an hour
of pipeline health, a day of reconciliation runs and 3CX SLA reports, and a few audited
queue configuration changes. Everything is anchored
at the database's ``now()`` and seeded (``setseed``), so runs are repeatable.

Deliberate trouble, so every alert rule has something to fire on:
queue 8003 on pbx-a has had a bad half hour (SLA 0 %, abandonment spike, long waits) and now
has callers waiting with no agent logged in; pbx-b's last successful poll was 5 minutes ago
(stale: its live rows are hidden); answered visits of the last 10 minutes are still talking;
pbx-b's reconciliation corrected 12 % of the CDR.
"""

from __future__ import annotations

from typing import Any

QUEUES: tuple[tuple[str, str, str, int], ...] = (
    ("pbx-a", "8000", "Sales", 20),
    ("pbx-a", "8001", "Support", 30),
    ("pbx-a", "8002", "Billing", 20),
    ("pbx-a", "8003", "Overflow", 15),
    ("pbx-a", "8004", "VIP", 10),
    ("pbx-b", "8000", "Front desk", 20),
    ("pbx-b", "8001", "Night line", 20),
)
BAD_QUEUE = ("pbx-a", "8003")
STALE_PBX = "pbx-b"
AGENTS: tuple[tuple[str, str, str], ...] = tuple(
    ("pbx-a" if i < 8 else "pbx-b", f"1{i:02d}", f"Agent {i:02d}") for i in range(12)
)
SAMPLE_CALL_KEY = "9000001@2020-01-01T00:00:00Z"

_DIMENSIONS = """
INSERT INTO queues (pbx_id, queue_dn, valid_from, valid_to, queue_id, name, sla_time_s)
SELECT pbx, dn, now() - interval '30 days', NULL, row_number() OVER (), name, sla
FROM (VALUES {queues}) AS q(pbx, dn, name, sla);

-- a closed historical row: a queue renamed a week ago (must not appear twice in pickers)
INSERT INTO queues (pbx_id, queue_dn, valid_from, valid_to, queue_id, name, sla_time_s)
VALUES ('pbx-a', '8000', now() - interval '60 days', now() - interval '30 days', 1,
        'Sales (old name)', 20);

INSERT INTO agents (pbx_id, agent_dn, valid_from, valid_to, user_id, first_name, last_name,
                    display_name, enabled)
SELECT pbx, dn, now() - interval '30 days', NULL, row_number() OVER (), 'Agent', dn, name, true
FROM (VALUES {agents}) AS a(pbx, dn, name);

-- every pbx-a agent in queues 8000-8002 and 8004, pbx-b agents in both of theirs; nobody in 8003
INSERT INTO queue_agents (pbx_id, queue_dn, agent_dn, valid_from, valid_to, skill_group)
SELECT a.pbx_id, q.queue_dn, a.agent_dn, now() - interval '30 days', NULL, 'default'
FROM agents a JOIN queues q ON q.pbx_id = a.pbx_id AND q.valid_to IS NULL
WHERE NOT (q.pbx_id = 'pbx-a' AND q.queue_dn = '8003');

-- recent configuration history: queue 8001's ring strategy changed two days ago, and agent 107
-- helped out in 8003 from three days ago until yesterday
UPDATE queues SET valid_to = now() - interval '2 days'
WHERE pbx_id = 'pbx-a' AND queue_dn = '8001' AND valid_to IS NULL;
INSERT INTO queues (pbx_id, queue_dn, valid_from, valid_to, queue_id, name, sla_time_s,
                    polling_strategy)
SELECT pbx_id, queue_dn, now() - interval '2 days', NULL, queue_id, name, sla_time_s,
       'LongestWaiting'
FROM queues WHERE pbx_id = 'pbx-a' AND queue_dn = '8001';
INSERT INTO queue_agents (pbx_id, queue_dn, agent_dn, valid_from, valid_to, skill_group)
VALUES ('pbx-a', '8003', '107', now() - interval '3 days', now() - interval '1 day', 'default');
"""

_KPI = """
SELECT setseed(0.42);
INSERT INTO queue_kpi_1m (pbx_id, queue_dn, bucket, offered, answered, abandoned,
    short_abandoned, transferred, answered_in_sla, sla_pct, asa_s, max_wait_s, avg_talk_s,
    wait_answered_s_sum, wait_abandoned_s_sum, talk_s_sum, talk_count)
SELECT pbx_id, queue_dn, bucket, offered, answered, abandoned, short_ab, 0, in_sla,
       CASE WHEN answered + abandoned - short_ab > 0
            THEN 100.0 * in_sla / (answered + abandoned - short_ab) END,
       CASE WHEN answered > 0 THEN wait_sum / answered END,
       CASE WHEN answered + abandoned > 0 THEN max_wait END,
       CASE WHEN answered > 0 THEN talk_sum / answered END,
       wait_sum, abandoned * 40.0, talk_sum, answered
FROM (
  SELECT q.pbx_id, q.queue_dn, b.bucket, o.offered,
         CASE WHEN bad THEN o.offered / 3 ELSE o.offered - (o.offered / 8) END AS answered,
         CASE WHEN bad THEN o.offered - o.offered / 3 ELSE o.offered / 8 END AS abandoned,
         CASE WHEN bad THEN 0 ELSE (o.offered / 8) / 2 END AS short_ab,
         CASE WHEN bad THEN 0
              ELSE o.offered - (o.offered / 8) - (random() < 0.05 AND o.offered > 1)::int
         END AS in_sla,
         CASE WHEN bad THEN 240.0 ELSE 5 + random() * 60 END AS max_wait,
         (o.offered - o.offered / 8) * (5 + random() * 15) AS wait_sum,
         (o.offered - o.offered / 8) * (60 + random() * 240) AS talk_sum
  FROM queues q
  CROSS JOIN generate_series(date_trunc('minute', now()) - interval '3 days',
                             date_trunc('minute', now()), interval '1 minute') AS b(bucket)
  CROSS JOIN LATERAL (
    SELECT (q.pbx_id, q.queue_dn) = ('pbx-a', '8003')
           AND b.bucket > now() - interval '30 minutes' AS bad,
           floor(random() * (2 + 6 * (extract(hour FROM b.bucket) BETWEEN 8 AND 18)::int)
                 + (b.bucket > now() - interval '30 minutes')::int * 6)::int AS offered
  ) o
  WHERE q.valid_to IS NULL
) k
WHERE offered > 0;
"""

_ENTRY = """
INSERT INTO entry_queue_kpi_1m (pbx_id, queue_dn, bucket, offered, answered, abandoned,
    short_abandoned, answered_in_sla, wait_answered_s_sum, talk_s_sum, talk_count)
SELECT pbx_id, queue_dn, bucket, offered, answered, abandoned, short_abandoned,
       answered_in_sla, wait_answered_s_sum, talk_s_sum, talk_count
FROM queue_kpi_1m
WHERE queue_dn <> '8004';
"""

_VISITS = """
SELECT setseed(0.17);
INSERT INTO queue_calls (pbx_id, call_key, call_id, queue_dn, entered_at, answered_at,
    ended_at, outcome, wait_s, talk_s, agent_dn, caller_number, entry_queue_dn, visit_seq,
    source)
SELECT pbx_id, call_id || '@' || to_char(entered_at AT TIME ZONE 'UTC',
                                         'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       call_id, queue_dn, entered_at,
       CASE WHEN outcome = 'answered' THEN entered_at + make_interval(secs => wait) END,
       CASE WHEN outcome = 'waiting' OR in_progress THEN NULL
            ELSE entered_at + make_interval(secs => wait + coalesce(talk, 0)) END,
       outcome, CASE WHEN outcome = 'waiting' THEN NULL ELSE wait END,
       CASE WHEN NOT in_progress THEN talk END, CASE WHEN outcome = 'answered' THEN agent END,
       '+4930' || lpad((call_id % 100000)::text, 6, '0'), queue_dn, 1,
       CASE WHEN call_id % 10 = 0 THEN 'cdr' ELSE 'live' END
FROM (
  SELECT q.pbx_id, q.queue_dn, t.entered_at,
         (1000000 + row_number() OVER (ORDER BY q.pbx_id, q.queue_dn, t.entered_at))::bigint
           AS call_id,
         CASE WHEN t.entered_at > now() - interval '2 minutes' THEN 'waiting'
              WHEN r < 0.75 THEN 'answered'
              WHEN r < 0.93 THEN 'abandoned'
              ELSE 'transferred' END AS outcome,
         round((2 + random() * 120)::numeric, 1)::double precision AS wait,
         CASE WHEN r < 0.75 THEN round((30 + random() * 400)::numeric, 1)::double precision
         END AS talk,
         (r < 0.75 AND t.entered_at > now() - interval '10 minutes'
          AND t.entered_at <= now() - interval '2 minutes') AS in_progress,
         (SELECT a.agent_dn FROM agents a WHERE a.pbx_id = q.pbx_id
          ORDER BY md5(a.agent_dn || t.entered_at::text) LIMIT 1) AS agent
  FROM queues q
  CROSS JOIN generate_series(now() - interval '2 days', now(), interval '3 minutes')
    AS t(entered_at)
  CROSS JOIN LATERAL (SELECT random() + 0 * extract(epoch FROM t.entered_at) AS r) rr
  WHERE q.valid_to IS NULL
) v;

INSERT INTO queue_calls (pbx_id, call_key, call_id, queue_dn, entered_at, outcome,
                         caller_number, caller_name, source)
VALUES ('pbx-a', '{sample_key}', 9000001, '8003', now() - interval '20 minutes', 'abandoned',
        '+44', 'O''Brien', 'live');

INSERT INTO call_events (event_id, pbx_id, call_key, call_id, event_type, occurred_at,
                         observed_at, queue_dn, agent_dn, status, details)
SELECT gen_random_uuid(), pbx_id, call_key, call_id, e.event_type, e.at, e.at, queue_dn,
       CASE WHEN e.event_type = 'answered' THEN agent_dn END, e.status,
       jsonb_build_object('source', source)
FROM queue_calls
CROSS JOIN LATERAL (VALUES ('queue_entered', entered_at, 'Ringing'),
                           ('answered', answered_at, 'Talking'),
                           ('call_ended', ended_at, NULL)) AS e(event_type, at, status)
WHERE e.at IS NOT NULL;
"""

_LIVE = """
SELECT setseed(0.23);
INSERT INTO queue_live (pbx_id, queue_dn, ts, waiting, longest_wait_s, talking,
                        agents_logged_in, agents_talking, agents_free)
SELECT q.pbx_id, q.queue_dn, t.ts,
       CASE WHEN bad THEN 4 ELSE (random() * 3)::int END,
       CASE WHEN bad THEN 150 + extract(epoch FROM t.ts - (now() - interval '10 minutes')) / 10
            ELSE round((random() * 40)::numeric, 1) END,
       (random() * 5)::int,
       CASE WHEN bad THEN 0 ELSE 3 + (random() * 3)::int END,
       CASE WHEN bad THEN 0 ELSE (random() * 3)::int END,
       CASE WHEN bad THEN 0 ELSE (random() * 2)::int END
FROM queues q
CROSS JOIN generate_series(now() - interval '10 minutes', now(), interval '5 seconds') AS t(ts)
CROSS JOIN LATERAL (SELECT (q.pbx_id, q.queue_dn) = ('pbx-a', '8003') AS bad) b
WHERE q.valid_to IS NULL;
"""

_AGENTS = """
SELECT setseed(0.31);
-- state: what the flow computes with the default rules (available profile: Available)
INSERT INTO agent_states (pbx_id, agent_dn, ts, queue_status, profile, registered, on_call,
                          state)
SELECT a.pbx_id, a.agent_dn, t.ts,
       CASE WHEN s < 0.1 THEN 'LoggedOut' ELSE 'LoggedIn' END,
       CASE WHEN s BETWEEN 0.1 AND 0.2 THEN 'Lunch' ELSE 'Available' END,
       s > 0.03,
       s > 0.55,
       CASE WHEN s <= 0.03 THEN 'offline' WHEN s > 0.55 THEN 'talking'
            WHEN s < 0.1 THEN 'logged out' WHEN s BETWEEN 0.1 AND 0.2 THEN 'away'
            ELSE 'free' END
FROM agents a
CROSS JOIN generate_series(now() - interval '12 hours', now(), interval '10 minutes') AS t(ts)
CROSS JOIN LATERAL (SELECT random() + 0 * extract(epoch FROM t.ts) AS s) r
WHERE a.valid_to IS NULL;
"""

_PIPELINE = """
SELECT setseed(0.57);
-- one row per 10 s; the poll interval is declared 60 s so that pbx-a stays live (stale after
-- three intervals) for the few minutes a test runs, while pbx-b (5 minutes silent) is stale
INSERT INTO pipeline_health (pbx_id, component, ts, poll_latency_ms, polls, errors, stale_polls,
    gaps, gap_s, lag_s, rows_written, write_errors, token_failures, breaker_state, skew_s,
    details)
SELECT p.pbx_id, 'live', t.ts, 20 + random() * 80, 10,
       (random() < 0.05 AND t.ts < now() - interval '1 minute')::int,
       (random() < 0.02 AND t.ts < now() - interval '1 minute')::int, (random() < 0.01)::int,
       NULL, random() * 2, (50 + random() * 200)::int, 0, 0, 'closed', -0.4 + random() * 0.8,
       '{"poll_interval_s": 60}'::jsonb
FROM (VALUES ('pbx-a', interval '0 seconds'), ('pbx-b', interval '5 minutes')) AS p(pbx_id, stop)
CROSS JOIN generate_series(now() - interval '1 hour', now(), interval '10 seconds') AS t(ts)
WHERE t.ts <= now() - p.stop;

INSERT INTO reconciliation_runs (run_id, pbx_id, started_at, finished_at, period_from,
    period_to, status, cdr_rows, matched, corrected, inserted, diffs, dead_letters)
SELECT gen_random_uuid(), p.pbx_id, t.ts, t.ts + interval '20 seconds',
       t.ts - interval '2 hours', t.ts - interval '1 hour', 'ok', 200, 200 - p.fix,
       p.fix, p.fix / 3, p.fix + p.fix / 3, 0
FROM (VALUES ('pbx-a', 2), ('pbx-b', 18)) AS p(pbx_id, fix)
CROSS JOIN generate_series(now() - interval '23 hours', now(), interval '1 hour') AS t(ts);

INSERT INTO pbx_queue_reports (pbx_id, report, queue_dn, period_from, period_to, fetched_at,
    received_count, answered_count, abandoned_count, bad_sla_count, sla_pct)
SELECT q.pbx_id, 'StatisticSla', q.queue_dn, h.h, h.h + interval '1 hour', now(),
       40, 33, 7, 6, 85.0
FROM queues q
CROSS JOIN generate_series(date_trunc('hour', now()) - interval '2 days',
                           date_trunc('hour', now()) - interval '1 hour', interval '1 hour')
  AS h(h)
WHERE q.valid_to IS NULL;
"""

_AUDIT = """
INSERT INTO queue_config_changes (change_id, changed_at, pbx_id, client_id, run_id, queue_dn,
    agent_dn, action, field, old_value, new_value, outcome, error)
VALUES
  ('a1', now() - interval '2 days', 'pbx-a', 'queuepulse-apply', 'r1', '8000', NULL, 'update',
   'sla_time', '20', '30', 'applied', NULL),
  ('a2', now() - interval '2 days', 'pbx-a', 'queuepulse-apply', 'r1', '8001', NULL, 'update',
   'agents', '["100"]', '["100", {"number": "101", "skill_group": "B"}]', 'failed',
   'PATCH /Queues(2) failed on the PBX (503)'),
  ('a3', now() - interval '1 hour', 'pbx-a', 'queuepulse-apply', 'r2', NULL, '102',
   'agent_logout', 'QueueStatus', '"LoggedIn"', '"LoggedOut"', 'applied', NULL);
"""


_STAFFING = """
SELECT setseed(0.61);
INSERT INTO staffing_intervals (pbx_id, queue_dn, interval_start, computed_at, kind, calls, aht_s,
    patience_s, sla_s, target_pct, agents_needed, needed_sla_pct, agents_logged_in,
    agents_available, predicted_sla_pct, predicted_abandon_pct, predicted_asa_s, model)
SELECT q.pbx_id, q.queue_dn, t.s, least(now(), t.s + interval '15 minutes'),
       CASE WHEN t.s + interval '15 minutes' <= now() THEN 'measured' ELSE 'forecast' END,
       round((8 + random() * 10)::numeric, 1), 180, 120, q.sla_time_s, 80,
       CASE WHEN bad THEN 3 ELSE 4 END, 84.0,
       CASE WHEN bad THEN 0 ELSE 5 END, CASE WHEN bad THEN 0 ELSE 2 END,
       CASE WHEN bad THEN 0 ELSE 88 + random() * 10 END, CASE WHEN bad THEN 100 ELSE 2.5 END,
       CASE WHEN bad THEN NULL ELSE 4 + random() * 4 END, 'erlang-a'
FROM queues q
CROSS JOIN generate_series(date_trunc('hour', now()) - interval '12 hours',
                           date_trunc('hour', now()) + interval '12 hours',
                           interval '15 minutes') AS t(s)
CROSS JOIN LATERAL (SELECT (q.pbx_id, q.queue_dn) = ('pbx-a', '8003') AS bad) b
WHERE q.valid_to IS NULL;

INSERT INTO arrival_forecasts (pbx_id, queue_dn, interval_start, made_at, calls, local_date,
    slot, time_zone, basis_days, level, holdout_wape_pct)
SELECT s.pbx_id, s.queue_dn, s.interval_start, m.made_at, s.calls * m.bias,
       (s.interval_start AT TIME ZONE 'UTC')::date,
       (extract(hour FROM s.interval_start AT TIME ZONE 'UTC') * 4
        + extract(minute FROM s.interval_start AT TIME ZONE 'UTC') / 15)::int,
       'UTC', 8, 1.0, 21.5
FROM staffing_intervals s
CROSS JOIN LATERAL (VALUES (s.interval_start - interval '1 day', 1.2),
                           (date_trunc('hour', now()) - interval '719 minutes', 0.9))
  AS m(made_at, bias);

INSERT INTO expected_waits (pbx_id, call_key, queue_dn, entered_at, predicted_at, position,
    agents, free_agents, aht_s, patience_s, expected_wait_s, method)
SELECT pbx_id, call_key, queue_dn, entered_at, entered_at + interval '1 second', 1, 5, 0, 180,
       120, CASE WHEN outcome = 'waiting' THEN 40 ELSE greatest(wait_s - 1, 0) + 6 END,
       'position-erlang-a'
FROM queue_calls
WHERE outcome IN ('waiting', 'answered') AND entered_at > now() - interval '2 hours';
"""


def _values(rows: tuple[tuple[Any, ...], ...]) -> str:
    def lit(v: Any) -> str:
        return str(v) if isinstance(v, int) else "'" + str(v).replace("'", "''") + "'"

    return ", ".join("(" + ", ".join(lit(v) for v in row) + ")" for row in rows)


def fill_sql() -> list[str]:
    """The statements that fill a freshly migrated database, in order."""
    return [
        _DIMENSIONS.format(queues=_values(QUEUES), agents=_values(AGENTS)),
        _KPI,
        _ENTRY,
        _VISITS.format(sample_key=SAMPLE_CALL_KEY),
        _LIVE,
        _AGENTS,
        _PIPELINE,
        _AUDIT,
        _STAFFING,
    ]
