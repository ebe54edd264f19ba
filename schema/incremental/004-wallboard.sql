-- queuepulse schema 004: what the supervisor wall board reads.
-- Released: never edit this file; add a new numbered file instead.
--
--  * agent_states.state: the agent's state as the flow computed it with its configured rules
--    (free / talking / away / logged out / offline); dashboards never re-derive it.
--  * agent_now: the current state of every agent and since when, kept by a trigger on
--    agent_states (so the live flow and `run sync` keep it alike).
--  * queue_kpi_hourly: the hourly rollup of queue_kpi_1m on every TimescaleDB licence, kept by a
--    trigger on queue_kpi_1m from the same minute rows: the live flow's upserts and the
--    reconciliation's recomputed (or deleted) buckets both re-roll their hour.
--  * queue_targets: per-queue SLA targets and alert thresholds (a '*' row holds the defaults).
--  * an index for the calls in progress.

-- --- agent state, computed by the flow ------------------------------------------------------

ALTER TABLE agent_states ADD COLUMN state text;
ALTER TABLE agent_states ADD CONSTRAINT agent_states_state_check
    CHECK (state IS NULL OR state IN ('free', 'talking', 'away', 'logged out', 'offline'));
COMMENT ON COLUMN agent_states.state IS
    'The agent''s state as the live flow (or run sync) computed it from this row with its '
    'configured rules: offline (not registered), talking (on a call), logged out (queue status '
    'not LoggedIn), away (profile not one of QUEUEPULSE_RULES__AVAILABLE_PROFILES), free. '
    'NULL on rows written before schema 004.';

-- Not a hypertable: one row per agent, rewritten in place on every change (the history is
-- agent_states). A few thousand rows; the wall board reads it whole every second.
CREATE TABLE agent_now (
    pbx_id       text        NOT NULL,
    agent_dn     text        NOT NULL,
    ts           timestamptz NOT NULL,
    state        text,
    state_since  timestamptz NOT NULL,
    queue_status text,
    profile      text,
    registered   boolean,
    on_call      boolean,
    CONSTRAINT agent_now_key PRIMARY KEY (pbx_id, agent_dn)
);
COMMENT ON TABLE agent_now IS
    'Current state of each agent: the newest agent_states row, and since when the agent has been '
    'in that state. Kept by a trigger on agent_states; not a hypertable (one row per agent, '
    'updated in place).';
COMMENT ON COLUMN agent_now.ts IS 'Time (UTC, PBX clock) of the newest agent_states row.';
COMMENT ON COLUMN agent_now.state IS 'State as the flow computed it (see agent_states.state).';
COMMENT ON COLUMN agent_now.state_since IS
    'Time (UTC, PBX clock) of the first agent_states row of the current state: now() minus this '
    'is the time in state.';
COMMENT ON COLUMN agent_now.queue_status IS 'QueueStatus of the newest row (LoggedIn, LoggedOut).';
COMMENT ON COLUMN agent_now.profile IS 'CurrentProfileName of the newest row.';
COMMENT ON COLUMN agent_now.registered IS 'Phone registered (newest row).';
COMMENT ON COLUMN agent_now.on_call IS 'On a call (newest row); NULL when unknown.';

CREATE FUNCTION queuepulse_agent_now_upsert() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
    INSERT INTO agent_now AS a (pbx_id, agent_dn, ts, state, state_since, queue_status, profile,
                                registered, on_call)
    VALUES (NEW.pbx_id, NEW.agent_dn, NEW.ts, NEW.state, NEW.ts, NEW.queue_status, NEW.profile,
            NEW.registered, NEW.on_call)
    ON CONFLICT (pbx_id, agent_dn) DO UPDATE
        SET ts = EXCLUDED.ts,
            state = EXCLUDED.state,
            state_since = CASE WHEN a.state IS NOT DISTINCT FROM EXCLUDED.state
                               THEN a.state_since ELSE EXCLUDED.ts END,
            queue_status = EXCLUDED.queue_status,
            profile = EXCLUDED.profile,
            registered = EXCLUDED.registered,
            on_call = EXCLUDED.on_call
        WHERE a.ts <= EXCLUDED.ts;
    RETURN NULL;
END
$$;

CREATE TRIGGER agent_states_agent_now
    AFTER INSERT OR UPDATE ON agent_states
    FOR EACH ROW EXECUTE FUNCTION queuepulse_agent_now_upsert();

INSERT INTO agent_now (pbx_id, agent_dn, ts, state, state_since, queue_status, profile,
                       registered, on_call)
SELECT DISTINCT ON (pbx_id, agent_dn) pbx_id, agent_dn, ts, state, ts, queue_status, profile,
       registered, on_call
FROM agent_states
ORDER BY pbx_id, agent_dn, ts DESC;

-- --- the newest gauges of each queue -----------------------------------------------------------

-- Not a hypertable: one row per queue, rewritten in place (the history is queue_live). The wall
-- board reads every queue's current gauges every second: a scan of this small table instead of
-- one index walk per queue into the hypertable.
CREATE TABLE queue_live_now (
    pbx_id           text        NOT NULL,
    queue_dn         text        NOT NULL,
    ts               timestamptz NOT NULL,
    waiting          integer     NOT NULL DEFAULT 0,
    longest_wait_s   double precision,
    talking          integer     NOT NULL DEFAULT 0,
    agents_logged_in integer,
    agents_talking   integer,
    agents_free      integer,
    CONSTRAINT queue_live_now_key PRIMARY KEY (pbx_id, queue_dn)
);
COMMENT ON TABLE queue_live_now IS
    'The newest queue_live row of each queue (same columns), kept by a trigger on queue_live. '
    'Not a hypertable: one row per queue, updated in place.';
COMMENT ON COLUMN queue_live_now.ts IS 'PBX time (UTC) of the newest queue_live row.';
COMMENT ON COLUMN queue_live_now.waiting IS 'Calls waiting in the queue at ts.';
COMMENT ON COLUMN queue_live_now.longest_wait_s IS
    'Longest wait (seconds) at ts; while callers wait it grows by the time since ts.';
COMMENT ON COLUMN queue_live_now.talking IS 'Queue calls being talked at ts.';
COMMENT ON COLUMN queue_live_now.agents_logged_in IS 'Agents of the queue logged in at ts.';
COMMENT ON COLUMN queue_live_now.agents_talking IS 'Agents of the queue on a call at ts.';
COMMENT ON COLUMN queue_live_now.agents_free IS 'Agents of the queue free at ts (flow rules).';

CREATE FUNCTION queuepulse_queue_live_now_upsert() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
    INSERT INTO queue_live_now AS n (pbx_id, queue_dn, ts, waiting, longest_wait_s, talking,
                                     agents_logged_in, agents_talking, agents_free)
    VALUES (NEW.pbx_id, NEW.queue_dn, NEW.ts, NEW.waiting, NEW.longest_wait_s, NEW.talking,
            NEW.agents_logged_in, NEW.agents_talking, NEW.agents_free)
    ON CONFLICT (pbx_id, queue_dn) DO UPDATE
        SET ts = EXCLUDED.ts, waiting = EXCLUDED.waiting,
            longest_wait_s = EXCLUDED.longest_wait_s, talking = EXCLUDED.talking,
            agents_logged_in = EXCLUDED.agents_logged_in,
            agents_talking = EXCLUDED.agents_talking, agents_free = EXCLUDED.agents_free
        WHERE n.ts <= EXCLUDED.ts;
    RETURN NULL;
END
$$;

CREATE TRIGGER queue_live_queue_live_now
    AFTER INSERT OR UPDATE ON queue_live
    FOR EACH ROW EXECUTE FUNCTION queuepulse_queue_live_now_upsert();

INSERT INTO queue_live_now (pbx_id, queue_dn, ts, waiting, longest_wait_s, talking,
                            agents_logged_in, agents_talking, agents_free)
SELECT DISTINCT ON (pbx_id, queue_dn) pbx_id, queue_dn, ts, waiting, longest_wait_s, talking,
       agents_logged_in, agents_talking, agents_free
FROM queue_live
ORDER BY pbx_id, queue_dn, ts DESC;

-- --- hourly rollup of the 1-minute KPIs -------------------------------------------------------

CREATE TABLE queue_kpi_hourly (
    pbx_id               text        NOT NULL,
    queue_dn             text        NOT NULL,
    bucket               timestamptz NOT NULL,
    minutes              integer     NOT NULL DEFAULT 0,
    offered              integer     NOT NULL DEFAULT 0,
    answered             integer     NOT NULL DEFAULT 0,
    abandoned            integer     NOT NULL DEFAULT 0,
    short_abandoned      integer     NOT NULL DEFAULT 0,
    transferred          integer     NOT NULL DEFAULT 0,
    answered_in_sla      integer     NOT NULL DEFAULT 0,
    max_wait_s           double precision,
    wait_answered_s_sum  double precision NOT NULL DEFAULT 0,
    wait_abandoned_s_sum double precision NOT NULL DEFAULT 0,
    talk_s_sum           double precision NOT NULL DEFAULT 0,
    talk_count           integer     NOT NULL DEFAULT 0,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT queue_kpi_hourly_key UNIQUE (pbx_id, queue_dn, bucket)
);
SELECT create_hypertable('queue_kpi_hourly', by_range('bucket', INTERVAL '30 days'));
CREATE INDEX queue_kpi_hourly_pbx_bucket_idx ON queue_kpi_hourly (pbx_id, bucket DESC);
COMMENT ON TABLE queue_kpi_hourly IS
    'Hourly rollup of queue_kpi_1m (sums of its minute rows, same column meanings), on every '
    'TimescaleDB licence. Kept by a trigger on queue_kpi_1m, so live upserts and reconciliation '
    'corrections re-roll their hour. Sum these for any whole-hour range (today in a whole-hour '
    'time zone = at most 24 rows per queue); ratios (SLA %, ASA, AHT) from the sums.';
COMMENT ON COLUMN queue_kpi_hourly.bucket IS 'Start of the hour (UTC).';
COMMENT ON COLUMN queue_kpi_hourly.minutes IS 'Minute rows of queue_kpi_1m summed in this hour.';
COMMENT ON COLUMN queue_kpi_hourly.offered IS 'Visits that entered the queue in the hour.';
COMMENT ON COLUMN queue_kpi_hourly.answered IS 'Visits answered in the hour.';
COMMENT ON COLUMN queue_kpi_hourly.abandoned IS 'Visits abandoned in the hour (short included).';
COMMENT ON COLUMN queue_kpi_hourly.short_abandoned IS
    'Abandons within the short-abandon threshold (seconds, per the rules).';
COMMENT ON COLUMN queue_kpi_hourly.transferred IS
    'Visits that left the queue without answer or abandon (overflow, transfer), in the hour.';
COMMENT ON COLUMN queue_kpi_hourly.answered_in_sla IS 'Answers within the queue''s SLA time.';
COMMENT ON COLUMN queue_kpi_hourly.max_wait_s IS 'Longest completed wait in the hour (seconds).';
COMMENT ON COLUMN queue_kpi_hourly.wait_answered_s_sum IS 'Sum of answered waits (seconds).';
COMMENT ON COLUMN queue_kpi_hourly.wait_abandoned_s_sum IS 'Sum of abandoned waits (seconds).';
COMMENT ON COLUMN queue_kpi_hourly.talk_s_sum IS 'Sum of talk times of ended talks (seconds).';
COMMENT ON COLUMN queue_kpi_hourly.talk_count IS 'Ended talks summed in talk_s_sum.';
COMMENT ON COLUMN queue_kpi_hourly.updated_at IS 'When the hour was last re-rolled (UTC).';

-- Re-roll hours [p_from, p_to) of one PBX (all queues when p_queue is NULL) from queue_kpi_1m:
-- hours without minute rows are deleted. Used by the trigger (one hour) and to rebuild history
-- (SELECT queuepulse_rollup_hours('pbx', NULL, '2026-01-01', '2026-02-01')).
CREATE FUNCTION queuepulse_rollup_hours(
    p_pbx text, p_queue text, p_from timestamptz, p_to timestamptz
) RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
    written integer;
BEGIN
    DELETE FROM queue_kpi_hourly h
    WHERE h.pbx_id = p_pbx AND (p_queue IS NULL OR h.queue_dn = p_queue)
      AND h.bucket >= date_trunc('hour', p_from) AND h.bucket < p_to
      AND NOT EXISTS (
        SELECT 1 FROM queue_kpi_1m k
        WHERE k.pbx_id = h.pbx_id AND k.queue_dn = h.queue_dn
          AND k.bucket >= h.bucket AND k.bucket < h.bucket + INTERVAL '1 hour');
    INSERT INTO queue_kpi_hourly AS h (pbx_id, queue_dn, bucket, minutes, offered, answered,
        abandoned, short_abandoned, transferred, answered_in_sla, max_wait_s,
        wait_answered_s_sum, wait_abandoned_s_sum, talk_s_sum, talk_count, updated_at)
    SELECT k.pbx_id, k.queue_dn, date_trunc('hour', k.bucket), count(*), sum(k.offered),
           sum(k.answered), sum(k.abandoned), sum(k.short_abandoned), sum(k.transferred),
           sum(k.answered_in_sla), max(k.max_wait_s), sum(k.wait_answered_s_sum),
           sum(k.wait_abandoned_s_sum), sum(k.talk_s_sum), sum(k.talk_count), now()
    FROM queue_kpi_1m k
    WHERE k.pbx_id = p_pbx AND (p_queue IS NULL OR k.queue_dn = p_queue)
      AND k.bucket >= date_trunc('hour', p_from) AND k.bucket < p_to
    GROUP BY k.pbx_id, k.queue_dn, date_trunc('hour', k.bucket)
    ON CONFLICT (pbx_id, queue_dn, bucket) DO UPDATE SET
        minutes = EXCLUDED.minutes, offered = EXCLUDED.offered, answered = EXCLUDED.answered,
        abandoned = EXCLUDED.abandoned, short_abandoned = EXCLUDED.short_abandoned,
        transferred = EXCLUDED.transferred, answered_in_sla = EXCLUDED.answered_in_sla,
        max_wait_s = EXCLUDED.max_wait_s, wait_answered_s_sum = EXCLUDED.wait_answered_s_sum,
        wait_abandoned_s_sum = EXCLUDED.wait_abandoned_s_sum, talk_s_sum = EXCLUDED.talk_s_sum,
        talk_count = EXCLUDED.talk_count, updated_at = now();
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END
$$;

-- One minute row changed: lock its hour row, then re-roll the hour. The lock comes first so that
-- the re-roll (a new statement, a new snapshot under READ COMMITTED) sees every minute row a
-- concurrent writer of the same hour committed before it.
CREATE FUNCTION queuepulse_kpi_hourly_reroll() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
    r record;
    hour timestamptz;
BEGIN
    FOR r IN
        SELECT DISTINCT x.pbx_id, x.queue_dn, date_trunc('hour', x.bucket) AS hour
        FROM (SELECT NEW.pbx_id, NEW.queue_dn, NEW.bucket WHERE TG_OP <> 'DELETE'
              UNION ALL
              SELECT OLD.pbx_id, OLD.queue_dn, OLD.bucket WHERE TG_OP <> 'INSERT') x
    LOOP
        hour := r.hour;
        INSERT INTO queue_kpi_hourly (pbx_id, queue_dn, bucket)
        VALUES (r.pbx_id, r.queue_dn, hour)
        ON CONFLICT (pbx_id, queue_dn, bucket) DO NOTHING;
        PERFORM 1 FROM queue_kpi_hourly
        WHERE pbx_id = r.pbx_id AND queue_dn = r.queue_dn AND bucket = hour FOR UPDATE;
        PERFORM queuepulse_rollup_hours(r.pbx_id, r.queue_dn, hour, hour + INTERVAL '1 hour');
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER queue_kpi_1m_hourly
    AFTER INSERT OR UPDATE OR DELETE ON queue_kpi_1m
    FOR EACH ROW EXECUTE FUNCTION queuepulse_kpi_hourly_reroll();

-- History written before this migration.
SELECT queuepulse_rollup_hours(p.pbx_id, NULL, '-infinity', 'infinity')
FROM (SELECT DISTINCT pbx_id FROM queue_kpi_1m) p;

-- --- per-queue targets ------------------------------------------------------------------------

-- Not a hypertable: configuration, one row per queue (plus the defaults), edited in place.
CREATE TABLE queue_targets (
    pbx_id               text        NOT NULL,
    queue_dn             text        NOT NULL,
    sla_target_pct       double precision,
    sla_time_s           integer,
    short_abandon_s      double precision,
    longest_wait_alert_s double precision,
    abandon_alert_pct    double precision,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT queue_targets_key PRIMARY KEY (pbx_id, queue_dn),
    CONSTRAINT queue_targets_sla_target_check
        CHECK (sla_target_pct IS NULL OR (sla_target_pct >= 0 AND sla_target_pct <= 100)),
    CONSTRAINT queue_targets_sla_time_check CHECK (sla_time_s IS NULL OR sla_time_s > 0),
    CONSTRAINT queue_targets_short_abandon_check
        CHECK (short_abandon_s IS NULL OR short_abandon_s >= 0),
    CONSTRAINT queue_targets_longest_wait_check
        CHECK (longest_wait_alert_s IS NULL OR longest_wait_alert_s > 0),
    CONSTRAINT queue_targets_abandon_check
        CHECK (abandon_alert_pct IS NULL OR (abandon_alert_pct >= 0 AND abandon_alert_pct <= 100)),
    CONSTRAINT queue_targets_defaults_check
        CHECK ((pbx_id = '*') = (queue_dn = '*'))
);
COMMENT ON TABLE queue_targets IS
    'Per-queue targets and alert thresholds, read by the dashboards and the alert rules at query '
    'time (no rebuild). The row (''*'', ''*'') holds the defaults; in a queue''s row NULL means '
    'the default. Edit with `queuepulse targets` or SQL; read queue_targets_effective. Not a '
    'hypertable (configuration, updated in place).';
COMMENT ON COLUMN queue_targets.sla_target_pct IS 'SLA % the queue should reach (0-100).';
COMMENT ON COLUMN queue_targets.sla_time_s IS
    'SLA time override in seconds (default: the queue''s SLATime from 3CX, else 20 s); colours '
    'the waiting list. Not applied to KPIs already computed.';
COMMENT ON COLUMN queue_targets.short_abandon_s IS
    'Short-abandon threshold shown beside the KPIs (seconds); the flow counts short abandons '
    'with QUEUEPULSE_RULES__SHORT_ABANDON_S.';
COMMENT ON COLUMN queue_targets.longest_wait_alert_s IS
    'Alert when a caller has waited longer than this (seconds).';
COMMENT ON COLUMN queue_targets.abandon_alert_pct IS
    'Alert when abandon % (short abandons excluded) over 15 minutes is above this (0-100).';
COMMENT ON COLUMN queue_targets.updated_at IS 'Last edit (UTC).';

INSERT INTO queue_targets (pbx_id, queue_dn, sla_target_pct, sla_time_s, short_abandon_s,
                           longest_wait_alert_s, abandon_alert_pct)
VALUES ('*', '*', 80, NULL, 5, 90, 25);

-- --- calls in progress -------------------------------------------------------------------------

CREATE INDEX queue_calls_talking_idx ON queue_calls (pbx_id, queue_dn, entered_at)
    WHERE outcome = 'answered' AND ended_at IS NULL;

-- Calls answered per agent (the agent board's "answered today"): an index-only count.
CREATE INDEX queue_calls_agent_answered_idx ON queue_calls (pbx_id, agent_dn, entered_at)
    WHERE outcome = 'answered';
