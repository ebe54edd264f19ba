-- queuepulse schema 009: each PBX's site time zone, and a 15-minute rollup of the minute KPIs.
-- Released: never edit this file; add a new numbered file instead.
--
--  * pbx_sites: the time zone of each PBX's site, written by the flows when they start for the
--    PBX: the setting QUEUEPULSE_PBX__TIME_ZONE when given, else the PBX's own office-hours
--    zone (XAPI GET /OfficeHours TimeZoneId, its IanaName in GET /Defs/TimeZones), else UTC.
--    A 'default' (UTC) row never replaces a 'pbx' one (the writers' upsert).
--  * queuepulse_site_tz(pbx): that zone, or 'UTC' for a PBX without a row.
--  * queue_kpi_15m: queue_kpi_1m summed per 15-minute UTC slot, on every TimescaleDB licence.
--    Every time-zone offset in use is a whole number of quarter-hours, so the 15-, 30- and
--    60-minute intervals and the days of ANY site zone (Asia/Kolkata's +05:30 included, and
--    the 23- and 25-hour days of a DST change) are exact sums of these rows.
--  * the rollup mechanism of schema 004 (queue_kpi_hourly) extended: one function re-rolls a
--    range of either rollup, and the one trigger on queue_kpi_1m re-rolls the slot of every
--    rollup a minute row falls in (the hour and the quarter-hour). Slots are cut with date_bin
--    from a UTC origin, so a session's TimeZone setting no longer matters (date_trunc on a
--    timestamptz cuts at the session's local hours).

-- --- the site of each PBX ------------------------------------------------------------------

-- Not a hypertable: configuration, one row per PBX, updated in place when a flow starts.
CREATE TABLE pbx_sites (
    pbx_id           text        NOT NULL,
    time_zone        text        NOT NULL,
    time_zone_source text        NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pbx_sites_key PRIMARY KEY (pbx_id),
    CONSTRAINT pbx_sites_time_zone_source_check
        CHECK (time_zone_source IN ('setting', 'pbx', 'default')),
    -- an unknown zone fails here (time zone "..." not recognized), not in every report later
    CONSTRAINT pbx_sites_time_zone_check
        CHECK (time_zone <> '' AND timezone(time_zone, '2000-01-01 00:00:00+00'::timestamptz)
               IS NOT NULL)
);
COMMENT ON TABLE pbx_sites IS
    'The site of each PBX: its IANA time zone, in which the report views (report_*) and the '
    'day-level figures ("today") cut local days and intervals. Written by the flows (run live, '
    'demo, replay, run sync) when they start for the PBX: the setting '
    'QUEUEPULSE_PBX__TIME_ZONE when given, else the PBX''s own office-hours time zone (XAPI '
    'GET /OfficeHours TimeZoneId, read by run sync and the start of run live/demo), else UTC; '
    'a UTC default never replaces the PBX''s own zone. Not a hypertable: configuration, one '
    'row per PBX, updated in place. A PBX without a row is reported in UTC '
    '(queuepulse_site_tz).';
COMMENT ON COLUMN pbx_sites.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID), as in every table.';
COMMENT ON COLUMN pbx_sites.time_zone IS
    'IANA time zone name of the site (e.g. Europe/Berlin, Asia/Kolkata, UTC).';
COMMENT ON COLUMN pbx_sites.time_zone_source IS
    'Where time_zone came from: setting (QUEUEPULSE_PBX__TIME_ZONE was set), pbx (it was not; '
    'the PBX''s own office-hours zone, XAPI OfficeHours.TimeZoneId) or default (neither: UTC).';
COMMENT ON COLUMN pbx_sites.updated_at IS 'When a flow last wrote this row (UTC).';

-- The site time zone of a PBX ('UTC' when it has no pbx_sites row). A plain SQL function (no
-- SET clause) so that the planner inlines it and a tenant's call reads its own pbx_sites view.
CREATE FUNCTION queuepulse_site_tz(p_pbx text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT coalesce((SELECT s.time_zone FROM pbx_sites s WHERE s.pbx_id = p_pbx), 'UTC')
$$;
COMMENT ON FUNCTION queuepulse_site_tz(text) IS
    'IANA time zone of a PBX''s site (pbx_sites.time_zone), ''UTC'' when unknown. E.g. the '
    'local day of a call: (entered_at AT TIME ZONE queuepulse_site_tz(pbx_id))::date.';

-- --- the 15-minute rollup ------------------------------------------------------------------

CREATE TABLE queue_kpi_15m (LIKE queue_kpi_hourly INCLUDING DEFAULTS);
ALTER TABLE queue_kpi_15m ADD CONSTRAINT queue_kpi_15m_key UNIQUE (pbx_id, queue_dn, bucket);
SELECT create_hypertable('queue_kpi_15m', by_range('bucket', INTERVAL '30 days'));
CREATE INDEX queue_kpi_15m_pbx_bucket_idx ON queue_kpi_15m (pbx_id, bucket DESC);
COMMENT ON TABLE queue_kpi_15m IS
    '15-minute rollup of queue_kpi_1m (sums of its minute rows, same column meanings), on every '
    'TimescaleDB licence; the report views read it. Kept by the trigger on queue_kpi_1m, so '
    'live upserts and reconciliation corrections re-roll their quarter-hour. Every time-zone '
    'offset is a whole number of quarter-hours: 15/30/60-minute intervals and local days of any '
    'site zone are exact sums of these rows; ratios (SLA %, ASA, average talk) from the sums.';
COMMENT ON COLUMN queue_kpi_15m.pbx_id IS 'The PBX.';
COMMENT ON COLUMN queue_kpi_15m.queue_dn IS 'Extension number of the queue.';
COMMENT ON COLUMN queue_kpi_15m.bucket IS 'Start of the 15-minute slot (UTC; :00, :15, :30, :45).';
COMMENT ON COLUMN queue_kpi_15m.minutes IS 'Minute rows of queue_kpi_1m summed in this slot (0-15).';
COMMENT ON COLUMN queue_kpi_15m.offered IS 'Visits that entered the queue in the slot.';
COMMENT ON COLUMN queue_kpi_15m.answered IS 'Visits answered in the slot (counted at the answer).';
COMMENT ON COLUMN queue_kpi_15m.abandoned IS
    'Visits abandoned in the slot (counted at the hang-up; short abandons included).';
COMMENT ON COLUMN queue_kpi_15m.short_abandoned IS
    'Abandons within the short-abandon threshold (seconds, QUEUEPULSE_RULES__SHORT_ABANDON_S).';
COMMENT ON COLUMN queue_kpi_15m.transferred IS
    'Visits that left the queue without answer or abandon (overflow, transfer), in the slot.';
COMMENT ON COLUMN queue_kpi_15m.answered_in_sla IS
    'Answers within the queue''s SLA time (wait <= SLATime seconds).';
COMMENT ON COLUMN queue_kpi_15m.max_wait_s IS
    'Longest completed wait (answered or abandoned) in the slot, seconds; NULL when none.';
COMMENT ON COLUMN queue_kpi_15m.wait_answered_s_sum IS 'Sum of answered waits (seconds).';
COMMENT ON COLUMN queue_kpi_15m.wait_abandoned_s_sum IS 'Sum of abandoned waits (seconds).';
COMMENT ON COLUMN queue_kpi_15m.talk_s_sum IS
    'Sum of talk times of the talks that ended in the slot (seconds).';
COMMENT ON COLUMN queue_kpi_15m.talk_count IS 'Ended talks summed in talk_s_sum.';
COMMENT ON COLUMN queue_kpi_15m.updated_at IS 'When the slot was last re-rolled (UTC).';

-- --- one rollup mechanism for both slot widths ---------------------------------------------

-- The KPI rollups of queue_kpi_1m and their slot widths, all kept by the trigger below.
CREATE FUNCTION queuepulse_kpi_rollups() RETURNS TABLE (rollup text, width interval)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    VALUES ('queue_kpi_hourly', INTERVAL '1 hour'), ('queue_kpi_15m', INTERVAL '15 minutes')
$$;
COMMENT ON FUNCTION queuepulse_kpi_rollups() IS
    'The rollups of queue_kpi_1m (table, slot width) kept by the trigger queue_kpi_1m_hourly.';

-- The slot of width p_width (UTC-aligned) holding p_at; infinities stay themselves.
CREATE FUNCTION queuepulse_kpi_slot(p_width interval, p_at timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN isfinite(p_at)
                THEN date_bin(p_width, p_at, '2000-01-01 00:00:00+00'::timestamptz)
                ELSE p_at END
$$;
COMMENT ON FUNCTION queuepulse_kpi_slot(interval, timestamptz) IS
    'Start of the UTC-aligned slot of the given width holding a time (date_bin from '
    '2000-01-01 00:00 UTC), whatever the session''s TimeZone.';

-- Re-roll the slots of one rollup between p_from and p_to (the slot holding p_from first) of
-- one PBX (all queues when p_queue is NULL) from queue_kpi_1m: slots without minute rows are
-- deleted. E.g. rebuild a month: SELECT queuepulse_rollup_kpi('queue_kpi_15m', 'pbx', NULL,
-- '2026-01-01', '2026-02-01'). The two rollups' statements differ only in table and width;
-- they are written out (not built for EXECUTE) because PL/pgSQL keeps the plans of static
-- statements, and the trigger runs them for every minute row the flow upserts (EXECUTE, which
-- plans each time, made an upsert five times as costly).
CREATE FUNCTION queuepulse_rollup_kpi(
    p_rollup text, p_pbx text, p_queue text, p_from timestamptz, p_to timestamptz
) RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
    first_slot timestamptz;
    written integer;
BEGIN
    IF p_rollup = 'queue_kpi_hourly' THEN
        first_slot := queuepulse_kpi_slot(INTERVAL '1 hour', p_from);
        DELETE FROM queue_kpi_hourly h
        WHERE h.pbx_id = p_pbx AND (p_queue IS NULL OR h.queue_dn = p_queue)
          AND h.bucket >= first_slot AND h.bucket < p_to
          AND NOT EXISTS (
            SELECT 1 FROM queue_kpi_1m k
            WHERE k.pbx_id = h.pbx_id AND k.queue_dn = h.queue_dn
              AND k.bucket >= h.bucket AND k.bucket < h.bucket + INTERVAL '1 hour');
        INSERT INTO queue_kpi_hourly AS h (pbx_id, queue_dn, bucket, minutes, offered, answered,
            abandoned, short_abandoned, transferred, answered_in_sla, max_wait_s,
            wait_answered_s_sum, wait_abandoned_s_sum, talk_s_sum, talk_count, updated_at)
        SELECT k.pbx_id, k.queue_dn, queuepulse_kpi_slot(INTERVAL '1 hour', k.bucket), count(*),
               sum(k.offered), sum(k.answered), sum(k.abandoned), sum(k.short_abandoned),
               sum(k.transferred), sum(k.answered_in_sla), max(k.max_wait_s),
               sum(k.wait_answered_s_sum), sum(k.wait_abandoned_s_sum), sum(k.talk_s_sum),
               sum(k.talk_count), now()
        FROM queue_kpi_1m k
        WHERE k.pbx_id = p_pbx AND (p_queue IS NULL OR k.queue_dn = p_queue)
          AND k.bucket >= first_slot AND k.bucket < p_to
        GROUP BY k.pbx_id, k.queue_dn, queuepulse_kpi_slot(INTERVAL '1 hour', k.bucket)
        ON CONFLICT (pbx_id, queue_dn, bucket) DO UPDATE SET
            minutes = EXCLUDED.minutes, offered = EXCLUDED.offered,
            answered = EXCLUDED.answered, abandoned = EXCLUDED.abandoned,
            short_abandoned = EXCLUDED.short_abandoned, transferred = EXCLUDED.transferred,
            answered_in_sla = EXCLUDED.answered_in_sla, max_wait_s = EXCLUDED.max_wait_s,
            wait_answered_s_sum = EXCLUDED.wait_answered_s_sum,
            wait_abandoned_s_sum = EXCLUDED.wait_abandoned_s_sum,
            talk_s_sum = EXCLUDED.talk_s_sum, talk_count = EXCLUDED.talk_count,
            updated_at = now();
    ELSIF p_rollup = 'queue_kpi_15m' THEN
        first_slot := queuepulse_kpi_slot(INTERVAL '15 minutes', p_from);
        DELETE FROM queue_kpi_15m h
        WHERE h.pbx_id = p_pbx AND (p_queue IS NULL OR h.queue_dn = p_queue)
          AND h.bucket >= first_slot AND h.bucket < p_to
          AND NOT EXISTS (
            SELECT 1 FROM queue_kpi_1m k
            WHERE k.pbx_id = h.pbx_id AND k.queue_dn = h.queue_dn
              AND k.bucket >= h.bucket AND k.bucket < h.bucket + INTERVAL '15 minutes');
        INSERT INTO queue_kpi_15m AS h (pbx_id, queue_dn, bucket, minutes, offered, answered,
            abandoned, short_abandoned, transferred, answered_in_sla, max_wait_s,
            wait_answered_s_sum, wait_abandoned_s_sum, talk_s_sum, talk_count, updated_at)
        SELECT k.pbx_id, k.queue_dn, queuepulse_kpi_slot(INTERVAL '15 minutes', k.bucket),
               count(*), sum(k.offered), sum(k.answered), sum(k.abandoned),
               sum(k.short_abandoned), sum(k.transferred), sum(k.answered_in_sla),
               max(k.max_wait_s), sum(k.wait_answered_s_sum), sum(k.wait_abandoned_s_sum),
               sum(k.talk_s_sum), sum(k.talk_count), now()
        FROM queue_kpi_1m k
        WHERE k.pbx_id = p_pbx AND (p_queue IS NULL OR k.queue_dn = p_queue)
          AND k.bucket >= first_slot AND k.bucket < p_to
        GROUP BY k.pbx_id, k.queue_dn, queuepulse_kpi_slot(INTERVAL '15 minutes', k.bucket)
        ON CONFLICT (pbx_id, queue_dn, bucket) DO UPDATE SET
            minutes = EXCLUDED.minutes, offered = EXCLUDED.offered,
            answered = EXCLUDED.answered, abandoned = EXCLUDED.abandoned,
            short_abandoned = EXCLUDED.short_abandoned, transferred = EXCLUDED.transferred,
            answered_in_sla = EXCLUDED.answered_in_sla, max_wait_s = EXCLUDED.max_wait_s,
            wait_answered_s_sum = EXCLUDED.wait_answered_s_sum,
            wait_abandoned_s_sum = EXCLUDED.wait_abandoned_s_sum,
            talk_s_sum = EXCLUDED.talk_s_sum, talk_count = EXCLUDED.talk_count,
            updated_at = now();
    ELSE
        RAISE EXCEPTION 'queuepulse_rollup_kpi: % is not a KPI rollup', p_rollup
            USING HINT = 'The rollups: SELECT * FROM queuepulse_kpi_rollups()';
    END IF;
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END
$$;
COMMENT ON FUNCTION queuepulse_rollup_kpi(text, text, text, timestamptz, timestamptz) IS
    'Re-roll one KPI rollup (queue_kpi_hourly, queue_kpi_15m) of a PBX (all queues when the '
    'queue is NULL) between two times from queue_kpi_1m; returns the slots written.';

-- Schema 004's hourly function, now the hourly case of the general one (same signature).
CREATE OR REPLACE FUNCTION queuepulse_rollup_hours(
    p_pbx text, p_queue text, p_from timestamptz, p_to timestamptz
) RETURNS integer
LANGUAGE sql
SET search_path = pg_catalog, public
AS $$
    SELECT queuepulse_rollup_kpi('queue_kpi_hourly', p_pbx, p_queue, p_from, p_to)
$$;

-- One minute row of a queue changed: lock the slot rows holding it in every rollup (the hour,
-- then the quarter-hour: one order for every writer, so two cannot deadlock on them), then
-- re-roll those slots. The locks come first so that the re-roll (a new statement, a new
-- snapshot under READ COMMITTED) sees every minute row a concurrent writer of the same slot
-- committed before it.
CREATE FUNCTION queuepulse_kpi_reroll_minute(p_pbx text, p_queue text, p_bucket timestamptz)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
    hour timestamptz := queuepulse_kpi_slot(INTERVAL '1 hour', p_bucket);
    quarter timestamptz := queuepulse_kpi_slot(INTERVAL '15 minutes', p_bucket);
BEGIN
    INSERT INTO queue_kpi_hourly (pbx_id, queue_dn, bucket) VALUES (p_pbx, p_queue, hour)
    ON CONFLICT (pbx_id, queue_dn, bucket) DO NOTHING;
    PERFORM 1 FROM queue_kpi_hourly
    WHERE pbx_id = p_pbx AND queue_dn = p_queue AND bucket = hour FOR UPDATE;
    INSERT INTO queue_kpi_15m (pbx_id, queue_dn, bucket) VALUES (p_pbx, p_queue, quarter)
    ON CONFLICT (pbx_id, queue_dn, bucket) DO NOTHING;
    PERFORM 1 FROM queue_kpi_15m
    WHERE pbx_id = p_pbx AND queue_dn = p_queue AND bucket = quarter FOR UPDATE;
    PERFORM queuepulse_rollup_kpi('queue_kpi_hourly', p_pbx, p_queue, hour,
                                  hour + INTERVAL '1 hour');
    PERFORM queuepulse_rollup_kpi('queue_kpi_15m', p_pbx, p_queue, quarter,
                                  quarter + INTERVAL '15 minutes');
END
$$;
COMMENT ON FUNCTION queuepulse_kpi_reroll_minute(text, text, timestamptz) IS
    'Re-roll the hour and the quarter-hour holding one minute of a queue (the trigger''s step).';

-- Schema 004's trigger function, now re-rolling every rollup of the minute row (same name,
-- so the trigger queue_kpi_1m_hourly keeps calling it).
CREATE OR REPLACE FUNCTION queuepulse_kpi_hourly_reroll() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        PERFORM queuepulse_kpi_reroll_minute(NEW.pbx_id, NEW.queue_dn, NEW.bucket);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND (OLD.pbx_id, OLD.queue_dn, OLD.bucket)
                            IS DISTINCT FROM (NEW.pbx_id, NEW.queue_dn, NEW.bucket)) THEN
        PERFORM queuepulse_kpi_reroll_minute(OLD.pbx_id, OLD.queue_dn, OLD.bucket);
    END IF;
    RETURN NULL;
END
$$;

-- History written before this migration.
SELECT queuepulse_rollup_kpi('queue_kpi_15m', p.pbx_id, NULL, '-infinity', 'infinity')
FROM (SELECT DISTINCT pbx_id FROM queue_kpi_1m) p;
