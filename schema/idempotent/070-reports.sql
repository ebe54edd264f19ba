-- queuepulse idempotent: the standard report views (schema 009). Re-run on every upgrade.
--
-- Plain SQL views on every TimescaleDB licence. Times are stored in UTC; each view also gives
-- local columns in the site time zone of its PBX (pbx_sites.time_zone, UTC when unknown), and
-- local days are the site's days: 23 or 25 hours long on a DST change, cut at local midnight
-- in any zone (Asia/Kolkata's +05:30 too). The KPI definitions are those of
-- queuepulse/domain/kpi.py:
--   sla_pct      = 100 * answered_in_sla / (answered + abandoned - short_abandoned)
--   asa_s        = wait_answered_s_sum / answered
--   avg_wait_s   = (wait_answered_s_sum + wait_abandoned_s_sum) / (answered + abandoned)
--   avg_talk_s   = talk_s_sum / talk_count
--   avg_handle_s = handle_s_sum / talk_count, handle = talk + the queue's wrap-up time
-- Each is NULL when its denominator is 0. A visit counts where its event happened: offered at
-- queue entry, answered at the answer, abandoned / transferred at the hang-up or hand-over, a
-- talk at its end.

-- --- "today" at the site ---------------------------------------------------------------------

-- Local midnight that started today at the PBX's site (timestamptz): the start of the wall
-- board's "today". A plain SQL function so that the planner inlines it.
CREATE OR REPLACE FUNCTION queuepulse_site_today(p_pbx text) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT date_trunc('day', now() AT TIME ZONE queuepulse_site_tz(p_pbx))
           AT TIME ZONE queuepulse_site_tz(p_pbx)
$$;
COMMENT ON FUNCTION queuepulse_site_today(text) IS
    'Start of today at the PBX''s site: local midnight in its pbx_sites time zone (UTC when '
    'unknown), as a UTC instant. E.g. today''s offered calls of each queue: SELECT pbx_id, '
    'queue_dn, sum(offered) FROM queue_kpi_15m WHERE bucket > now() - interval ''26 hours'' AND '
    'bucket >= queuepulse_site_today(pbx_id) GROUP BY 1, 2.';

-- --- interval report --------------------------------------------------------------------------

CREATE OR REPLACE VIEW report_queue_interval AS
WITH config AS (
    -- each queue configuration row with the period it was valid; the first row of a queue
    -- also stands for the time before queuepulse first saw the queue
    SELECT q.pbx_id, q.queue_dn, q.wrap_up_time_s,
           CASE WHEN q.valid_from = min(q.valid_from) OVER w THEN '-infinity'::timestamptz
                ELSE q.valid_from END AS config_from,
           coalesce(q.valid_to, 'infinity'::timestamptz) AS config_to,
           first_value(q.name) OVER (w ORDER BY q.valid_from DESC) AS current_name
    FROM queues q
    WINDOW w AS (PARTITION BY q.pbx_id, q.queue_dn)
)
SELECT k.pbx_id, k.queue_dn, n.current_name AS queue_name, z.time_zone,
       k.bucket AS interval_start,
       k.bucket + INTERVAL '15 minutes' AS interval_end,
       (k.bucket AT TIME ZONE z.time_zone)::date AS local_date,
       k.bucket AT TIME ZONE z.time_zone AS local_start,
       k.offered, k.answered, k.abandoned, k.short_abandoned, k.transferred, k.answered_in_sla,
       100 * k.answered_in_sla::double precision
           / nullif(k.answered + k.abandoned - k.short_abandoned, 0) AS sla_pct,
       k.wait_answered_s_sum / nullif(k.answered, 0) AS asa_s,
       (k.wait_answered_s_sum + k.wait_abandoned_s_sum) / nullif(k.answered + k.abandoned, 0)
           AS avg_wait_s,
       k.max_wait_s,
       k.talk_s_sum / nullif(k.talk_count, 0) AS avg_talk_s,
       (k.talk_s_sum + k.talk_count * coalesce(c.wrap_up_time_s, 0))
           / nullif(k.talk_count, 0) AS avg_handle_s,
       k.wait_answered_s_sum, k.wait_abandoned_s_sum, k.talk_s_sum, k.talk_count,
       k.talk_s_sum + k.talk_count * coalesce(c.wrap_up_time_s, 0)::double precision
           AS handle_s_sum,
       c.wrap_up_time_s AS wrap_up_s
FROM queue_kpi_15m k
LEFT JOIN pbx_sites s ON s.pbx_id = k.pbx_id
CROSS JOIN LATERAL (SELECT coalesce(s.time_zone, 'UTC') AS time_zone) z
LEFT JOIN config c
       ON c.pbx_id = k.pbx_id AND c.queue_dn = k.queue_dn
      AND k.bucket >= c.config_from AND k.bucket < c.config_to
LEFT JOIN (SELECT DISTINCT pbx_id, queue_dn, current_name FROM config) n
       ON n.pbx_id = k.pbx_id AND n.queue_dn = k.queue_dn;

COMMENT ON VIEW report_queue_interval IS
    'Interval report: one row per PBX, queue and 15-minute interval with data (from '
    'queue_kpi_15m), with the interval''s local date and wall-clock start in the site time '
    'zone. For 30- or 60-minute intervals group by date_bin on local_start and recompute the '
    'ratios from the sums. Example (one queue, one local day, 30-minute intervals): '
    'SELECT date_bin(''30 minutes'', local_start, ''2000-01-01'') AS local_interval, '
    'sum(offered) AS offered, sum(answered) AS answered, sum(abandoned) AS abandoned, '
    '100 * sum(answered_in_sla)::float8 / nullif(sum(answered + abandoned - short_abandoned), 0) '
    'AS sla_pct, sum(wait_answered_s_sum) / nullif(sum(answered), 0) AS asa_s '
    'FROM report_queue_interval WHERE pbx_id = ''pbx-1'' AND queue_dn = ''800'' '
    'AND local_date = ''2026-03-29'' GROUP BY 1 ORDER BY 1;';
COMMENT ON COLUMN report_queue_interval.pbx_id IS 'The PBX.';
COMMENT ON COLUMN report_queue_interval.queue_dn IS 'Extension number of the queue.';
COMMENT ON COLUMN report_queue_interval.queue_name IS
    'The queue''s current name (its newest queues row); NULL before the first sync.';
COMMENT ON COLUMN report_queue_interval.time_zone IS
    'Site time zone of the PBX (pbx_sites; UTC when unknown) the local columns are in.';
COMMENT ON COLUMN report_queue_interval.interval_start IS 'Start of the 15-minute interval (UTC).';
COMMENT ON COLUMN report_queue_interval.interval_end IS
    'End of the interval (UTC, exclusive): interval_start + 15 minutes.';
COMMENT ON COLUMN report_queue_interval.local_date IS
    'The site''s local date of the interval (time_zone).';
COMMENT ON COLUMN report_queue_interval.local_start IS
    'Wall-clock start of the interval in the site time zone (timestamp without time zone; on '
    'the night DST ends, the hour 02:00-03:00 occurs twice: order by interval_start).';
COMMENT ON COLUMN report_queue_interval.offered IS 'Visits that entered the queue in the interval.';
COMMENT ON COLUMN report_queue_interval.answered IS 'Visits answered in the interval (at the answer).';
COMMENT ON COLUMN report_queue_interval.abandoned IS
    'Visits abandoned in the interval (at the hang-up; short abandons included).';
COMMENT ON COLUMN report_queue_interval.short_abandoned IS
    'Abandons within the short-abandon threshold (QUEUEPULSE_RULES__SHORT_ABANDON_S, seconds).';
COMMENT ON COLUMN report_queue_interval.transferred IS
    'Visits that left the queue without answer or abandon (overflow, transfer).';
COMMENT ON COLUMN report_queue_interval.answered_in_sla IS
    'Answers within the queue''s SLA time (wait <= SLATime seconds).';
COMMENT ON COLUMN report_queue_interval.sla_pct IS
    'Service level in per cent (0-100): 100 * answered_in_sla / (answered + abandoned - '
    'short_abandoned); NULL when that is 0.';
COMMENT ON COLUMN report_queue_interval.asa_s IS
    'Average speed of answer (seconds): wait_answered_s_sum / answered; NULL without answers.';
COMMENT ON COLUMN report_queue_interval.avg_wait_s IS
    'Average wait of answered and abandoned visits (seconds); NULL without either.';
COMMENT ON COLUMN report_queue_interval.max_wait_s IS
    'Longest completed wait (answered or abandoned) in the interval (seconds); NULL when none.';
COMMENT ON COLUMN report_queue_interval.avg_talk_s IS
    'Average talk time (seconds): talk_s_sum / talk_count; NULL without ended talks.';
COMMENT ON COLUMN report_queue_interval.avg_handle_s IS
    'Average handle time (seconds): talk + the queue''s configured wrap-up time (wrap_up_s); '
    'equals avg_talk_s where the wrap-up time is unknown (wrap_up_s NULL). Hold time is not '
    'known to queuepulse and is not included.';
COMMENT ON COLUMN report_queue_interval.wait_answered_s_sum IS 'Sum of answered waits (seconds).';
COMMENT ON COLUMN report_queue_interval.wait_abandoned_s_sum IS 'Sum of abandoned waits (seconds).';
COMMENT ON COLUMN report_queue_interval.talk_s_sum IS
    'Sum of the talk times of talks that ended in the interval (seconds).';
COMMENT ON COLUMN report_queue_interval.talk_count IS 'Ended talks summed in talk_s_sum.';
COMMENT ON COLUMN report_queue_interval.handle_s_sum IS
    'talk_s_sum + talk_count * wrap_up_s (seconds; wrap-up 0 where unknown).';
COMMENT ON COLUMN report_queue_interval.wrap_up_s IS
    'The queue''s wrap-up time (WrapUpTime, seconds) valid at the interval (queues history; its '
    'first known value before queuepulse first saw the queue); NULL when unknown.';

-- --- daily queue report -----------------------------------------------------------------------

CREATE OR REPLACE FUNCTION report_queue_daily_between(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (
    pbx_id text, queue_dn text, queue_name text, time_zone text, local_date date,
    day_start timestamptz, day_end timestamptz, hours numeric, offered bigint, answered bigint,
    abandoned bigint, short_abandoned bigint, transferred bigint, answered_in_sla bigint,
    sla_pct double precision, asa_s double precision, avg_wait_s double precision,
    max_wait_s double precision, avg_talk_s double precision, avg_handle_s double precision,
    wait_answered_s_sum double precision, wait_abandoned_s_sum double precision,
    talk_s_sum double precision, talk_count bigint, handle_s_sum double precision,
    wrap_up_known boolean, intervals bigint
)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT i.pbx_id, i.queue_dn, i.queue_name, i.time_zone, i.local_date,
           i.local_date::timestamp AT TIME ZONE i.time_zone AS day_start,
           (i.local_date + 1)::timestamp AT TIME ZONE i.time_zone AS day_end,
           round(extract(epoch FROM ((i.local_date + 1)::timestamp AT TIME ZONE i.time_zone)
                                   - (i.local_date::timestamp AT TIME ZONE i.time_zone)) / 3600, 2)
               AS hours,
           sum(i.offered) AS offered, sum(i.answered) AS answered, sum(i.abandoned) AS abandoned,
           sum(i.short_abandoned) AS short_abandoned, sum(i.transferred) AS transferred,
           sum(i.answered_in_sla) AS answered_in_sla,
           100 * sum(i.answered_in_sla)::double precision
               / nullif(sum(i.answered + i.abandoned - i.short_abandoned), 0) AS sla_pct,
           sum(i.wait_answered_s_sum) / nullif(sum(i.answered), 0) AS asa_s,
           sum(i.wait_answered_s_sum + i.wait_abandoned_s_sum)
               / nullif(sum(i.answered + i.abandoned), 0) AS avg_wait_s,
           max(i.max_wait_s) AS max_wait_s,
           sum(i.talk_s_sum) / nullif(sum(i.talk_count), 0) AS avg_talk_s,
           sum(i.handle_s_sum) / nullif(sum(i.talk_count), 0) AS avg_handle_s,
           sum(i.wait_answered_s_sum) AS wait_answered_s_sum,
           sum(i.wait_abandoned_s_sum) AS wait_abandoned_s_sum,
           sum(i.talk_s_sum) AS talk_s_sum, sum(i.talk_count) AS talk_count,
           sum(i.handle_s_sum) AS handle_s_sum,
           coalesce(bool_and(i.wrap_up_s IS NOT NULL) FILTER (WHERE i.talk_count > 0), false)
               AS wrap_up_known,
           count(*) AS intervals
    FROM report_queue_interval i
    -- the bounds select whole intervals; a day cut by them holds only the intervals inside
    WHERE i.interval_start >= p_from AND i.interval_start < p_to
    GROUP BY i.pbx_id, i.queue_dn, i.queue_name, i.time_zone, i.local_date
$$;
COMMENT ON FUNCTION report_queue_daily_between(timestamptz, timestamptz) IS
    'report_queue_daily over the 15-minute intervals that start within [p_from, p_to) (UTC '
    'instants; the view is this function over all time): read through the time index of '
    'queue_kpi_15m. A local day cut by the bounds holds only its intervals inside them, so give '
    'the bounds of whole local days (or wider) and filter on local_date. Example (the site''s '
    '2026-03-29 in Europe/Berlin, a 23-hour day): SELECT queue_dn, offered, sla_pct FROM '
    'report_queue_daily_between(''2026-03-28 23:00+00'', ''2026-03-29 22:00+00'') WHERE pbx_id '
    '= ''pbx-1'' AND local_date = ''2026-03-29'';';

CREATE OR REPLACE VIEW report_queue_daily AS
SELECT * FROM report_queue_daily_between('-infinity', 'infinity');

COMMENT ON VIEW report_queue_daily IS
    'Daily queue report: one row per PBX, queue and local day of the site (time_zone) with '
    'data: the sum of the day''s 15-minute intervals (report_queue_interval), so a DST day has '
    '23 or 25 hours (hours). Example (last week, one queue): SELECT local_date, offered, '
    'answered, abandoned, sla_pct, asa_s, avg_handle_s FROM report_queue_daily WHERE pbx_id = '
    '''pbx-1'' AND queue_dn = ''800'' AND local_date >= current_date - 7 ORDER BY local_date;';
COMMENT ON COLUMN report_queue_daily.pbx_id IS 'The PBX.';
COMMENT ON COLUMN report_queue_daily.queue_dn IS 'Extension number of the queue.';
COMMENT ON COLUMN report_queue_daily.queue_name IS 'The queue''s current name; NULL before the first sync.';
COMMENT ON COLUMN report_queue_daily.time_zone IS 'Site time zone of the PBX (UTC when unknown).';
COMMENT ON COLUMN report_queue_daily.local_date IS 'The site''s local date (time_zone).';
COMMENT ON COLUMN report_queue_daily.day_start IS 'Local midnight that starts the day (UTC instant).';
COMMENT ON COLUMN report_queue_daily.day_end IS
    'Local midnight that ends the day (UTC instant, exclusive).';
COMMENT ON COLUMN report_queue_daily.hours IS
    'Length of the local day in hours: 24, or 23 / 25 on a DST change.';
COMMENT ON COLUMN report_queue_daily.offered IS 'Visits that entered the queue on the day.';
COMMENT ON COLUMN report_queue_daily.answered IS 'Visits answered on the day (at the answer).';
COMMENT ON COLUMN report_queue_daily.abandoned IS
    'Visits abandoned on the day (at the hang-up; short abandons included).';
COMMENT ON COLUMN report_queue_daily.short_abandoned IS
    'Abandons within the short-abandon threshold (seconds).';
COMMENT ON COLUMN report_queue_daily.transferred IS
    'Visits that left the queue without answer or abandon (overflow, transfer).';
COMMENT ON COLUMN report_queue_daily.answered_in_sla IS 'Answers within the queue''s SLA time.';
COMMENT ON COLUMN report_queue_daily.sla_pct IS
    'Service level in per cent (0-100): 100 * answered_in_sla / (answered + abandoned - '
    'short_abandoned); NULL when that is 0.';
COMMENT ON COLUMN report_queue_daily.asa_s IS 'Average speed of answer (seconds).';
COMMENT ON COLUMN report_queue_daily.avg_wait_s IS
    'Average wait of answered and abandoned visits (seconds).';
COMMENT ON COLUMN report_queue_daily.max_wait_s IS 'Longest completed wait of the day (seconds).';
COMMENT ON COLUMN report_queue_daily.avg_talk_s IS 'Average talk time of ended talks (seconds).';
COMMENT ON COLUMN report_queue_daily.avg_handle_s IS
    'Average handle time (seconds): talk + the queue''s configured wrap-up time; equals '
    'avg_talk_s where the wrap-up time is unknown (see wrap_up_known). Hold time not included.';
COMMENT ON COLUMN report_queue_daily.wait_answered_s_sum IS 'Sum of answered waits (seconds).';
COMMENT ON COLUMN report_queue_daily.wait_abandoned_s_sum IS 'Sum of abandoned waits (seconds).';
COMMENT ON COLUMN report_queue_daily.talk_s_sum IS 'Sum of talk times of ended talks (seconds).';
COMMENT ON COLUMN report_queue_daily.talk_count IS 'Ended talks summed in talk_s_sum.';
COMMENT ON COLUMN report_queue_daily.handle_s_sum IS
    'Sum of handle times (seconds): talk + wrap-up per ended talk (wrap-up 0 where unknown).';
COMMENT ON COLUMN report_queue_daily.wrap_up_known IS
    'The wrap-up time was known for every interval with ended talks (false: avg_handle_s '
    'counts part or all of the day as talk only).';
COMMENT ON COLUMN report_queue_daily.intervals IS '15-minute intervals of the day with data.';

-- --- agent report -----------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION report_agent_daily_between(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (
    pbx_id text, agent_dn text, agent_name text, time_zone text, local_date date,
    answered bigint, talk_s_sum double precision, talk_count bigint,
    avg_talk_s double precision, handle_s_sum double precision, avg_handle_s double precision,
    logged_in_s double precision, occupancy_pct double precision,
    calls_per_hour double precision
)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    WITH config AS (
        SELECT q.pbx_id, q.queue_dn, q.wrap_up_time_s,
               CASE WHEN q.valid_from = min(q.valid_from) OVER w THEN '-infinity'::timestamptz
                    ELSE q.valid_from END AS config_from,
               coalesce(q.valid_to, 'infinity'::timestamptz) AS config_to
        FROM queues q
        WINDOW w AS (PARTITION BY q.pbx_id, q.queue_dn)
    ), calls AS (
        -- an answered visit counts on the local day of its answer; its talk (and handle) time on
        -- the day the talk ended, like the queue reports; each counts when it happened within
        -- the bounds
        SELECT c.pbx_id, c.agent_dn, e.local_date, e.answered, e.talk_s,
               e.talk_s + coalesce(cfg.wrap_up_time_s, 0) AS handle_s
        FROM queue_calls c
        LEFT JOIN pbx_sites s ON s.pbx_id = c.pbx_id
        CROSS JOIN LATERAL (SELECT coalesce(s.time_zone, 'UTC') AS time_zone) z
        LEFT JOIN config cfg
               ON cfg.pbx_id = c.pbx_id AND cfg.queue_dn = c.queue_dn
              AND c.ended_at >= cfg.config_from AND c.ended_at < cfg.config_to
        CROSS JOIN LATERAL (VALUES
            (CASE WHEN c.answered_at >= p_from AND c.answered_at < p_to
                  THEN (c.answered_at AT TIME ZONE z.time_zone)::date END, 1, NULL::double precision),
            (CASE WHEN c.outcome = 'answered' AND c.ended_at >= p_from AND c.ended_at < p_to
                  THEN (c.ended_at AT TIME ZONE z.time_zone)::date END,
             0, extract(epoch FROM c.ended_at - c.answered_at)::double precision)
        ) e(local_date, answered, talk_s)
        WHERE c.answered_at IS NOT NULL AND c.agent_dn IS NOT NULL AND e.local_date IS NOT NULL
          -- a visit enters before it is answered and ends after (the time index of queue_calls)
          AND c.entered_at < p_to AND c.answered_at < p_to
          AND (c.ended_at >= p_from OR c.answered_at >= p_from)
    ), call_days AS (
        SELECT pbx_id, agent_dn, local_date, sum(answered) AS answered,
               coalesce(sum(talk_s), 0) AS talk_s_sum, count(talk_s) AS talk_count,
               coalesce(sum(handle_s), 0) AS handle_s_sum
        FROM calls
        GROUP BY pbx_id, agent_dn, local_date
    ), spans AS (
        -- each agent_states row holds until the agent's next row; the newest until the PBX
        -- time of the PBX's newest pipeline_health row (its ts + skew_s: agent_states are in
        -- PBX time; a flow that stopped does not keep agents logged in), or now when no flow
        -- reports health; clipped to the bounds
        SELECT x.pbx_id, x.agent_dn, greatest(x.span_from, p_from) AS span_from,
               least(coalesce(x.next_ts,
                              (SELECT min(n.ts) FROM agent_states n
                               WHERE n.pbx_id = x.pbx_id AND n.agent_dn = x.agent_dn
                                 AND n.ts >= p_to),
                              (SELECT h.ts + make_interval(secs => coalesce(h.skew_s, 0))
                               FROM pipeline_health h WHERE h.pbx_id = x.pbx_id
                               ORDER BY h.ts DESC LIMIT 1),
                              now()), p_to) AS span_to,
               x.logged_in
        FROM (
            SELECT a.pbx_id, a.agent_dn, a.ts AS span_from,
                   lead(a.ts) OVER (PARTITION BY a.pbx_id, a.agent_dn ORDER BY a.ts) AS next_ts,
                   a.queue_status = 'LoggedIn' AS logged_in
            FROM (
                -- the state in force at p_from (each agent's last row before it), then the rows
                -- within the bounds
                -- (one index probe per agent: the agents of agent_now, kept from every
                -- agent_states row, and of the agents dimension)
                SELECT b.pbx_id, b.agent_dn, b.ts, b.queue_status
                FROM (SELECT n.pbx_id, n.agent_dn FROM agent_now n
                      UNION
                      SELECT g.pbx_id, g.agent_dn FROM agents g) k
                CROSS JOIN LATERAL (
                    SELECT b.pbx_id, b.agent_dn, b.ts, b.queue_status FROM agent_states b
                    WHERE b.pbx_id = k.pbx_id AND b.agent_dn = k.agent_dn AND b.ts < p_from
                    ORDER BY b.ts DESC LIMIT 1
                ) b
                UNION ALL
                SELECT b.pbx_id, b.agent_dn, b.ts, b.queue_status
                FROM agent_states b WHERE b.ts >= p_from AND b.ts < p_to
            ) a
        ) x
    ), login_days AS (
        SELECT p.pbx_id, p.agent_dn, d.local_date,
               sum(extract(epoch FROM least(p.span_to, d.day_end) - greatest(p.span_from, d.day_start)))
                   ::double precision AS logged_in_s
        FROM spans p
        LEFT JOIN pbx_sites s ON s.pbx_id = p.pbx_id
        CROSS JOIN LATERAL (SELECT coalesce(s.time_zone, 'UTC') AS time_zone) z
        CROSS JOIN LATERAL (
            SELECT g::date AS local_date, g AT TIME ZONE z.time_zone AS day_start,
                   (g + INTERVAL '1 day') AT TIME ZONE z.time_zone AS day_end
            FROM generate_series(date_trunc('day', p.span_from AT TIME ZONE z.time_zone),
                                 p.span_to AT TIME ZONE z.time_zone, INTERVAL '1 day') g
        ) d
        WHERE p.logged_in AND p.span_to > p.span_from
          AND least(p.span_to, d.day_end) > greatest(p.span_from, d.day_start)
        GROUP BY p.pbx_id, p.agent_dn, d.local_date
    ), names AS (
        SELECT DISTINCT ON (g.pbx_id, g.agent_dn) g.pbx_id, g.agent_dn,
               coalesce(nullif(g.display_name, ''),
                        nullif(trim(concat_ws(' ', g.first_name, g.last_name)), '')) AS agent_name
        FROM agents g
        ORDER BY g.pbx_id, g.agent_dn, g.valid_from DESC
    ), per_day AS (
        -- a UNION, not a full join, so that filters on pbx_id, agent_dn and local_date reach both
        -- sides (and the indexes of queue_calls and agent_states)
        SELECT pbx_id, agent_dn, local_date, answered, talk_s_sum, talk_count, handle_s_sum,
               0::double precision AS logged_in_s
        FROM call_days
        UNION ALL
        SELECT pbx_id, agent_dn, local_date, 0, 0, 0, 0, logged_in_s
        FROM login_days
    )
    SELECT d.pbx_id, d.agent_dn, n.agent_name, coalesce(s.time_zone, 'UTC') AS time_zone,
           d.local_date,
           sum(d.answered)::bigint AS answered,
           sum(d.talk_s_sum) AS talk_s_sum,
           sum(d.talk_count)::bigint AS talk_count,
           sum(d.talk_s_sum) / nullif(sum(d.talk_count), 0) AS avg_talk_s,
           sum(d.handle_s_sum) AS handle_s_sum,
           sum(d.handle_s_sum) / nullif(sum(d.talk_count), 0) AS avg_handle_s,
           sum(d.logged_in_s) AS logged_in_s,
           100 * sum(d.handle_s_sum) / nullif(sum(d.logged_in_s), 0) AS occupancy_pct,
           sum(d.answered) * 3600 / nullif(sum(d.logged_in_s), 0) AS calls_per_hour
    FROM per_day d
    LEFT JOIN pbx_sites s ON s.pbx_id = d.pbx_id
    LEFT JOIN names n ON n.pbx_id = d.pbx_id AND n.agent_dn = d.agent_dn
    GROUP BY d.pbx_id, d.agent_dn, n.agent_name, s.time_zone, d.local_date
$$;
COMMENT ON FUNCTION report_agent_daily_between(timestamptz, timestamptz) IS
    'report_agent_daily from the answers, talk ends and logged-in time within [p_from, p_to) '
    '(UTC instants; the view is this function over all time): reads the visits and agent '
    'states of the bounds (and each agent''s state in force at p_from) through the time '
    'indexes. Logged-in time is clipped to the bounds, so a local day cut by them is partial: '
    'give the bounds of whole local days (or wider) and filter on local_date. Example (the '
    'site''s 2026-10-25 in Europe/Berlin, a 25-hour day): SELECT agent_dn, answered, '
    'logged_in_s / 3600 AS logged_in_h, occupancy_pct FROM report_agent_daily_between('
    '''2026-10-24 22:00+00'', ''2026-10-25 23:00+00'') WHERE pbx_id = ''pbx-1'' AND '
    'local_date = ''2026-10-25'' ORDER BY answered DESC;';

CREATE OR REPLACE VIEW report_agent_daily AS
SELECT * FROM report_agent_daily_between('-infinity', 'infinity');

COMMENT ON VIEW report_agent_daily IS
    'Agent report: one row per PBX, agent and local day of the site (time_zone) on which the '
    'agent answered queue calls or was logged in: answered queue calls (queue_calls, by the '
    'answering agent), talk and handle time, logged-in time (agent_states: QueueStatus '
    'LoggedIn, cut at local midnight), occupancy and calls per logged-in hour. Example: SELECT '
    'local_date, agent_dn, agent_name, answered, avg_handle_s, logged_in_s / 3600 AS '
    'logged_in_h, occupancy_pct, calls_per_hour FROM report_agent_daily WHERE pbx_id = '
    '''pbx-1'' AND local_date = ''2026-10-25'' ORDER BY answered DESC;';
COMMENT ON COLUMN report_agent_daily.pbx_id IS 'The PBX.';
COMMENT ON COLUMN report_agent_daily.agent_dn IS 'Extension number of the agent.';
COMMENT ON COLUMN report_agent_daily.agent_name IS
    'The agent''s current display name (else first and last name); NULL before the first sync.';
COMMENT ON COLUMN report_agent_daily.time_zone IS 'Site time zone of the PBX (UTC when unknown).';
COMMENT ON COLUMN report_agent_daily.local_date IS 'The site''s local date (time_zone).';
COMMENT ON COLUMN report_agent_daily.answered IS
    'Queue visits the agent answered on the day (counted at the answer, transferred later '
    'or not).';
COMMENT ON COLUMN report_agent_daily.talk_s_sum IS
    'Talk time (answer to end) of the agent''s queue talks that ended on the day, as in the '
    'queue reports (visits transferred on are not talks; seconds).';
COMMENT ON COLUMN report_agent_daily.talk_count IS 'Queue talks of the agent that ended on the day.';
COMMENT ON COLUMN report_agent_daily.avg_talk_s IS
    'Average talk time (seconds): talk_s_sum / talk_count; NULL without ended talks.';
COMMENT ON COLUMN report_agent_daily.handle_s_sum IS
    'Handle time (seconds): each ended talk plus its queue''s configured wrap-up time valid at '
    'the end of the talk (0 where the wrap-up time is unknown: talk only). Hold not included.';
COMMENT ON COLUMN report_agent_daily.avg_handle_s IS
    'Average handle time (seconds): handle_s_sum / talk_count.';
COMMENT ON COLUMN report_agent_daily.logged_in_s IS
    'Time the agent was logged in to the queues (QueueStatus LoggedIn in agent_states, each row '
    'holding until the next; the newest until the PBX time of the PBX''s newest pipeline_health '
    'row (ts + skew_s), else now), '
    'cut at the local day''s boundaries (seconds).';
COMMENT ON COLUMN report_agent_daily.occupancy_pct IS
    'Occupancy in per cent: 100 * handle_s_sum / logged_in_s; NULL when not logged in (may '
    'exceed 100 when calls were taken while logged out).';
COMMENT ON COLUMN report_agent_daily.calls_per_hour IS
    'Answered queue calls per logged-in hour: answered * 3600 / logged_in_s.';

-- --- abandon curve ----------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION report_abandon_curve_between(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (
    pbx_id text, queue_dn text, local_date date, wait_from_s integer, wait_to_s integer,
    abandoned bigint, cumulative_abandoned bigint, cumulative_pct double precision
)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    WITH abandons AS (
        SELECT c.pbx_id, c.queue_dn, (c.ended_at AT TIME ZONE z.time_zone)::date AS local_date,
               least(floor(greatest(extract(epoch FROM c.ended_at - c.entered_at)::float8, 0)
                           / 10) * 10, 120)::integer AS band
        FROM queue_calls c
        LEFT JOIN pbx_sites s ON s.pbx_id = c.pbx_id
        CROSS JOIN LATERAL (SELECT coalesce(s.time_zone, 'UTC') AS time_zone) z
        WHERE c.outcome = 'abandoned' AND c.ended_at IS NOT NULL
          -- hung up within the bounds (and so entered before p_to: the time index)
          AND c.ended_at >= p_from AND c.ended_at < p_to AND c.entered_at < p_to
    ), per_band AS (
        SELECT pbx_id, queue_dn, local_date, band, count(*) AS n
        FROM abandons GROUP BY pbx_id, queue_dn, local_date, band
    ), days AS (
        -- one row per queue and day with its abandons per band (each step read once, so that
        -- filters on pbx_id, queue_dn and local_date reach queue_calls)
        SELECT pbx_id, queue_dn, local_date, sum(n)::bigint AS total,
               ARRAY[
                     coalesce(sum(n) FILTER (WHERE band = 0), 0)::bigint,
                     coalesce(sum(n) FILTER (WHERE band = 10), 0)::bigint,
                     coalesce(sum(n) FILTER (WHERE band = 20), 0)::bigint,
                     coalesce(sum(n) FILTER (WHERE band = 30), 0)::bigint,
                     coalesce(sum(n) FILTER (WHERE band = 40), 0)::bigint,
                     coalesce(sum(n) FILTER (WHERE band = 50), 0)::bigint,
                     coalesce(sum(n) FILTER (WHERE band = 60), 0)::bigint,
                     coalesce(sum(n) FILTER (WHERE band = 70), 0)::bigint,
                     coalesce(sum(n) FILTER (WHERE band = 80), 0)::bigint,
                     coalesce(sum(n) FILTER (WHERE band = 90), 0)::bigint,
                     coalesce(sum(n) FILTER (WHERE band = 100), 0)::bigint,
                     coalesce(sum(n) FILTER (WHERE band = 110), 0)::bigint,
                     coalesce(sum(n) FILTER (WHERE band = 120), 0)::bigint
               ] AS counts
        FROM per_band GROUP BY pbx_id, queue_dn, local_date
    )
    SELECT d.pbx_id, d.queue_dn, d.local_date, ((u.i - 1) * 10)::integer AS wait_from_s,
           CASE WHEN u.i < 13 THEN (u.i * 10)::integer END AS wait_to_s,
           u.abandoned,
           (sum(u.abandoned) OVER w)::bigint AS cumulative_abandoned,
           (100 * sum(u.abandoned) OVER w / d.total)::double precision AS cumulative_pct
    FROM days d
    CROSS JOIN LATERAL unnest(d.counts) WITH ORDINALITY AS u(abandoned, i)
    WINDOW w AS (PARTITION BY d.pbx_id, d.queue_dn, d.local_date ORDER BY u.i)
$$;
COMMENT ON FUNCTION report_abandon_curve_between(timestamptz, timestamptz) IS
    'report_abandon_curve from the abandons that hung up within [p_from, p_to) (UTC instants; '
    'the view is this function over all time), read through the time index of queue_calls. A '
    'local day cut by the bounds is partial: give the bounds of whole local days (or wider) '
    'and filter on local_date. Example (March 2026 in Europe/Berlin): SELECT wait_from_s, '
    'sum(abandoned) FROM report_abandon_curve_between(''2026-02-28 23:00+00'', '
    '''2026-03-31 22:00+00'') WHERE pbx_id = ''pbx-1'' AND local_date >= ''2026-03-01'' AND '
    'local_date < ''2026-04-01'' GROUP BY 1 ORDER BY 1;';

CREATE OR REPLACE VIEW report_abandon_curve AS
SELECT * FROM report_abandon_curve_between('-infinity', 'infinity');

COMMENT ON VIEW report_abandon_curve IS
    'Abandon curve: how long callers waited before hanging up. One row per PBX, queue, local '
    'day of the site (abandons counted on the day they hung up) and 10-second wait band '
    '(0-10, 10-20, ..., 110-120, then 120 and over), every band present once the day has an '
    'abandon. Example: SELECT wait_from_s, wait_to_s, abandoned, cumulative_pct FROM '
    'report_abandon_curve WHERE pbx_id = ''pbx-1'' AND queue_dn = ''800'' AND local_date = '
    '''2026-03-29'' ORDER BY wait_from_s;';
COMMENT ON COLUMN report_abandon_curve.pbx_id IS 'The PBX.';
COMMENT ON COLUMN report_abandon_curve.queue_dn IS 'Extension number of the queue.';
COMMENT ON COLUMN report_abandon_curve.local_date IS
    'The site''s local date (pbx_sites time zone) on which the callers hung up.';
COMMENT ON COLUMN report_abandon_curve.wait_from_s IS
    'Lower end of the wait band (seconds, inclusive): 0, 10, ..., 120.';
COMMENT ON COLUMN report_abandon_curve.wait_to_s IS
    'Upper end of the wait band (seconds, exclusive); NULL for the open last band (120 s and over).';
COMMENT ON COLUMN report_abandon_curve.abandoned IS
    'Abandoned visits (short abandons included) whose wait (entry to hang-up) was in the band.';
COMMENT ON COLUMN report_abandon_curve.cumulative_abandoned IS
    'Abandoned visits of the day that waited less than wait_to_s (this band and those before).';
COMMENT ON COLUMN report_abandon_curve.cumulative_pct IS
    'cumulative_abandoned as a per cent (0-100) of the day''s abandoned visits.';

-- --- service-level curve ----------------------------------------------------------------------

CREATE OR REPLACE FUNCTION report_service_level_curve_between(p_from timestamptz, p_to timestamptz)
RETURNS TABLE (
    pbx_id text, queue_dn text, local_date date, threshold_s integer, answered_within bigint,
    calls_counted bigint, service_level_pct double precision
)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    WITH answers AS (
        SELECT c.pbx_id, c.queue_dn, (c.answered_at AT TIME ZONE z.time_zone)::date AS local_date,
               -- the smallest threshold the wait is within (wait <= threshold); 130 = over 120 s
               least(greatest(ceil(extract(epoch FROM c.answered_at - c.entered_at)::float8
                                   / 10) * 10, 10), 130)::integer AS band
        FROM queue_calls c
        LEFT JOIN pbx_sites s ON s.pbx_id = c.pbx_id
        CROSS JOIN LATERAL (SELECT coalesce(s.time_zone, 'UTC') AS time_zone) z
        WHERE c.answered_at IS NOT NULL
          -- answered within the bounds (and so entered before p_to: the time index)
          AND c.answered_at >= p_from AND c.answered_at < p_to AND c.entered_at < p_to
    ), per_band AS (
        SELECT pbx_id, queue_dn, local_date, band, count(*) AS answered
        FROM answers GROUP BY pbx_id, queue_dn, local_date, band
    )
    SELECT d.pbx_id, d.queue_dn, d.local_date, t.threshold_s,
           coalesce(sum(p.answered) FILTER (WHERE p.band <= t.threshold_s), 0)::bigint
               AS answered_within,
           d.answered + d.abandoned - d.short_abandoned AS calls_counted,
           (100 * coalesce(sum(p.answered) FILTER (WHERE p.band <= t.threshold_s), 0)
                / nullif(d.answered + d.abandoned - d.short_abandoned, 0))::double precision
               AS service_level_pct
    FROM report_queue_daily_between(p_from, p_to) d
    CROSS JOIN generate_series(10, 120, 10) t(threshold_s)
    LEFT JOIN per_band p ON p.pbx_id = d.pbx_id AND p.queue_dn = d.queue_dn
                        AND p.local_date = d.local_date
    GROUP BY d.pbx_id, d.queue_dn, d.local_date, t.threshold_s, d.answered, d.abandoned,
             d.short_abandoned
$$;
COMMENT ON FUNCTION report_service_level_curve_between(timestamptz, timestamptz) IS
    'report_service_level_curve from the answers and 15-minute intervals within [p_from, p_to) '
    '(UTC instants; the view is this function over all time), read through the time indexes '
    'of queue_calls and queue_kpi_15m. A local day cut by the bounds is partial: give the '
    'bounds of whole local days (or wider) and filter on local_date. Example (the site''s '
    '2026-10-25 in Europe/Berlin): SELECT queue_dn, threshold_s, service_level_pct FROM '
    'report_service_level_curve_between(''2026-10-24 22:00+00'', ''2026-10-25 23:00+00'') '
    'WHERE pbx_id = ''pbx-1'' AND local_date = ''2026-10-25'' ORDER BY 1, 2;';

CREATE OR REPLACE VIEW report_service_level_curve AS
SELECT * FROM report_service_level_curve_between('-infinity', 'infinity');

COMMENT ON VIEW report_service_level_curve IS
    'Service-level curve: per PBX, queue and local day of the site, the per cent of calls '
    'answered within 10, 20, ..., 120 seconds, on the SLA definition (answered within / '
    '(answered + abandoned - short abandons)); at the queue''s SLA time it equals the day''s '
    'sla_pct in report_queue_daily. Example: SELECT threshold_s, service_level_pct FROM '
    'report_service_level_curve WHERE pbx_id = ''pbx-1'' AND queue_dn = ''800'' AND local_date '
    '= ''2026-10-25'' ORDER BY threshold_s;';
COMMENT ON COLUMN report_service_level_curve.pbx_id IS 'The PBX.';
COMMENT ON COLUMN report_service_level_curve.queue_dn IS 'Extension number of the queue.';
COMMENT ON COLUMN report_service_level_curve.local_date IS
    'The site''s local date (pbx_sites time zone); answers count on the day of the answer.';
COMMENT ON COLUMN report_service_level_curve.threshold_s IS
    'Wait threshold in seconds: 10, 20, ..., 120.';
COMMENT ON COLUMN report_service_level_curve.answered_within IS
    'Visits answered on the day with a wait (entry to answer) <= threshold_s (queue_calls).';
COMMENT ON COLUMN report_service_level_curve.calls_counted IS
    'The denominator of the SLA: answered + abandoned - short_abandoned of the day '
    '(report_queue_daily).';
COMMENT ON COLUMN report_service_level_curve.service_level_pct IS
    'Per cent (0-100): 100 * answered_within / calls_counted; NULL when calls_counted is 0.';

-- --- ours vs 3CX's ----------------------------------------------------------------------------

CREATE OR REPLACE VIEW report_ours_vs_pbx AS
SELECT r.pbx_id, r.queue_dn, r.report, r.period_from, r.period_to,
       z.time_zone,
       r.period_from AT TIME ZONE z.time_zone AS local_from,
       r.period_to AT TIME ZONE z.time_zone AS local_to,
       r.fetched_at,
       r.received_count AS pbx_received, r.answered_count AS pbx_answered,
       r.abandoned_count AS pbx_abandoned, r.bad_sla_count AS pbx_bad_sla,
       r.sla_pct AS pbx_sla_pct,
       o.offered AS our_offered, o.answered AS our_answered, o.abandoned AS our_abandoned,
       o.short_abandoned AS our_short_abandoned, o.answered_in_sla AS our_answered_in_sla,
       100 * o.answered_in_sla::double precision
           / nullif(o.answered + o.abandoned - o.short_abandoned, 0) AS our_sla_pct,
       o.offered - r.received_count AS offered_diff,
       o.answered - r.answered_count AS answered_diff,
       o.abandoned - r.abandoned_count AS abandoned_diff,
       100 * o.answered_in_sla::double precision
           / nullif(o.answered + o.abandoned - o.short_abandoned, 0) - r.sla_pct AS sla_pct_diff
FROM pbx_queue_reports r
LEFT JOIN pbx_sites s ON s.pbx_id = r.pbx_id
CROSS JOIN LATERAL (SELECT coalesce(s.time_zone, 'UTC') AS time_zone) z
CROSS JOIN LATERAL (
    -- whole quarter-hours of the period from queue_kpi_15m, the minutes at its ends from
    -- queue_kpi_1m: exact for any period
    SELECT coalesce(sum(k.offered), 0) AS offered, coalesce(sum(k.answered), 0) AS answered,
           coalesce(sum(k.abandoned), 0) AS abandoned,
           coalesce(sum(k.short_abandoned), 0) AS short_abandoned,
           coalesce(sum(k.answered_in_sla), 0) AS answered_in_sla
    FROM (
        SELECT f.offered, f.answered, f.abandoned, f.short_abandoned, f.answered_in_sla
        FROM queue_kpi_15m f
        WHERE f.pbx_id = r.pbx_id AND f.queue_dn = r.queue_dn
          AND f.bucket >= r.period_from AND f.bucket + INTERVAL '15 minutes' <= r.period_to
        UNION ALL
        SELECT m.offered, m.answered, m.abandoned, m.short_abandoned, m.answered_in_sla
        FROM queue_kpi_1m m
        WHERE m.pbx_id = r.pbx_id AND m.queue_dn = r.queue_dn
          AND m.bucket >= r.period_from AND m.bucket < r.period_to
          AND (m.bucket < queuepulse_kpi_slot(INTERVAL '15 minutes',
                                              r.period_from - INTERVAL '1 microsecond')
                          + INTERVAL '15 minutes'
               OR m.bucket >= queuepulse_kpi_slot(INTERVAL '15 minutes', r.period_to))
    ) k
) o;

COMMENT ON VIEW report_ours_vs_pbx IS
    'Our figures beside 3CX''s own report figures (pbx_queue_reports, fetched by run reconcile) '
    'for the same queue and period, with the differences (ours minus 3CX''s). The definitions '
    'differ: 3CX''s SLA is (received - bad SLA) / received, ours answered within SLA / '
    '(answered + abandoned - short abandons); 3CX counts per report. Example: SELECT report, '
    'local_from, queue_dn, pbx_received, our_offered, offered_diff, pbx_sla_pct, our_sla_pct '
    'FROM report_ours_vs_pbx WHERE pbx_id = ''pbx-1'' AND period_from >= now() - interval '
    '''7 days'' ORDER BY period_from, queue_dn;';
COMMENT ON COLUMN report_ours_vs_pbx.pbx_id IS 'The PBX.';
COMMENT ON COLUMN report_ours_vs_pbx.queue_dn IS 'Extension number of the queue.';
COMMENT ON COLUMN report_ours_vs_pbx.report IS
    'The 3CX report the figures come from (QueuePerformanceTotals, StatisticSla, '
    'AbandonedQueueCalls, AgentsInQueueStatistics).';
COMMENT ON COLUMN report_ours_vs_pbx.period_from IS 'Start of the report period (UTC).';
COMMENT ON COLUMN report_ours_vs_pbx.period_to IS 'End of the report period (UTC, exclusive).';
COMMENT ON COLUMN report_ours_vs_pbx.time_zone IS 'Site time zone of the PBX (UTC when unknown).';
COMMENT ON COLUMN report_ours_vs_pbx.local_from IS 'period_from as site wall-clock time.';
COMMENT ON COLUMN report_ours_vs_pbx.local_to IS 'period_to as site wall-clock time.';
COMMENT ON COLUMN report_ours_vs_pbx.fetched_at IS 'When the 3CX figures were fetched (UTC).';
COMMENT ON COLUMN report_ours_vs_pbx.pbx_received IS '3CX: calls received by the queue.';
COMMENT ON COLUMN report_ours_vs_pbx.pbx_answered IS '3CX: calls answered.';
COMMENT ON COLUMN report_ours_vs_pbx.pbx_abandoned IS '3CX: calls abandoned (dropped).';
COMMENT ON COLUMN report_ours_vs_pbx.pbx_bad_sla IS '3CX: calls that waited longer than the SLA time.';
COMMENT ON COLUMN report_ours_vs_pbx.pbx_sla_pct IS
    '3CX''s SLA in per cent (0-100): 100 * (received - bad SLA) / received.';
COMMENT ON COLUMN report_ours_vs_pbx.our_offered IS 'Ours: visits offered to the queue in the period.';
COMMENT ON COLUMN report_ours_vs_pbx.our_answered IS 'Ours: visits answered in the period.';
COMMENT ON COLUMN report_ours_vs_pbx.our_abandoned IS
    'Ours: visits abandoned in the period (short abandons included).';
COMMENT ON COLUMN report_ours_vs_pbx.our_short_abandoned IS 'Ours: short abandons in the period.';
COMMENT ON COLUMN report_ours_vs_pbx.our_answered_in_sla IS 'Ours: answers within the SLA time.';
COMMENT ON COLUMN report_ours_vs_pbx.our_sla_pct IS
    'Our SLA in per cent (0-100): 100 * answered_in_sla / (answered + abandoned - short).';
COMMENT ON COLUMN report_ours_vs_pbx.offered_diff IS 'our_offered - pbx_received.';
COMMENT ON COLUMN report_ours_vs_pbx.answered_diff IS 'our_answered - pbx_answered.';
COMMENT ON COLUMN report_ours_vs_pbx.abandoned_diff IS 'our_abandoned - pbx_abandoned.';
COMMENT ON COLUMN report_ours_vs_pbx.sla_pct_diff IS
    'our_sla_pct - pbx_sla_pct in percentage points (definitions differ, see the view).';
