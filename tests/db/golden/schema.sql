--
-- PostgreSQL database dump
--



SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: public; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA public;


--
-- Name: grafana_value(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.grafana_value(p_encoded text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $$
DECLARE
    decoded bytea;
BEGIN
    IF strpos(p_encoded, '%') = 0 THEN
        RETURN p_encoded;
    END IF;
    -- 'a%27b%2C' splits into 'a', '27b', '2C': each part after the first starts with two hex
    -- digits (a cut-off '%' or '%X' leaves fewer, and '%' is no hex digit: the decode fails)
    SELECT string_agg(
               CASE WHEN p.n = 1 THEN convert_to(p.part, 'UTF8')
                    ELSE decode(CASE WHEN length(p.part) >= 2 THEN left(p.part, 2) ELSE '%' END,
                                'hex')
                         || convert_to(substr(p.part, 3), 'UTF8') END,
               ''::bytea ORDER BY p.n)
      INTO decoded
      FROM unnest(string_to_array(p_encoded, '%')) WITH ORDINALITY AS p(part, n);
    RETURN convert_from(decoded, 'UTF8');
END
$$;


--
-- Name: grafana_values(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.grafana_values(p_encoded text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'public'
    AS $$
    SELECT CASE WHEN d.v LIKE '{%}' THEN string_to_array(substr(d.v, 2, length(d.v) - 2), ',')
                ELSE ARRAY[d.v] END
    FROM (SELECT grafana_value(p_encoded) AS v) AS d
$$;


--
-- Name: queuepulse_agent_now_upsert(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.queuepulse_agent_now_upsert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public'
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


--
-- Name: queuepulse_apply_retention(interval, interval, interval, interval); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.queuepulse_apply_retention(p_keep_live interval DEFAULT '30 days'::interval, p_keep_health interval DEFAULT '30 days'::interval, p_keep_events interval DEFAULT '365 days'::interval, p_keep_facts interval DEFAULT '730 days'::interval) RETURNS TABLE(hypertable text, keep interval, dropped_chunks integer)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public'
    AS $$
DECLARE
    spec record;
BEGIN
    FOR spec IN
        SELECT s.tbl, s.keep_for FROM (VALUES
            ('queue_live', p_keep_live),
            ('pipeline_health', p_keep_health),
            ('call_events', p_keep_events),
            ('cdr_dead_letters', p_keep_events),
            ('write_dead_letters', p_keep_events),
            ('reconciliation_diffs', p_keep_events),
            ('queue_calls', p_keep_facts),
            ('queue_kpi_1m', p_keep_facts),
            ('entry_queue_kpi_1m', p_keep_facts),
            ('queue_kpi_hourly', p_keep_facts),
            ('queue_kpi_15m', p_keep_facts),
            ('agent_states', p_keep_facts),
            ('reconciliation_runs', p_keep_facts),
            ('pbx_queue_reports', p_keep_facts)
        ) AS s(tbl, keep_for)
        WHERE s.keep_for IS NOT NULL AND to_regclass('public.' || s.tbl) IS NOT NULL
    LOOP
        hypertable := spec.tbl;
        keep := spec.keep_for;
        dropped_chunks := queuepulse_drop_old_chunks(('public.' || spec.tbl)::regclass, spec.keep_for);
        RETURN NEXT;
    END LOOP;
    -- the one-copy ledger of event ids (a plain table) goes with the events it stands for
    IF p_keep_events IS NOT NULL AND to_regclass('public.call_event_ids') IS NOT NULL THEN
        DELETE FROM call_event_ids WHERE occurred_at < now() - p_keep_events;
    END IF;
END
$$;


--
-- Name: queuepulse_drop_old_chunks(regclass, interval); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.queuepulse_drop_old_chunks(p_table regclass, p_keep interval) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'public'
    AS $$
DECLARE
    dropped integer;
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM unnest(ARRAY[
            'call_events', 'queue_calls', 'queue_kpi_1m', 'entry_queue_kpi_1m', 'queue_live',
            'queue_kpi_hourly', 'queue_kpi_15m',
            'agent_states', 'pipeline_health', 'reconciliation_runs', 'reconciliation_diffs',
            'cdr_dead_letters', 'pbx_queue_reports', 'write_dead_letters'
        ]) AS fact(name)
        WHERE to_regclass('public.' || fact.name) = p_table
    ) THEN
        RAISE EXCEPTION 'queuepulse_drop_old_chunks: % is not a queuepulse fact table', p_table
            USING HINT = 'Dimension history (queues, agents, queue_agents) is kept forever.';
    END IF;
    IF p_keep IS NULL OR p_keep <= INTERVAL '0' THEN
        RAISE EXCEPTION 'queuepulse_drop_old_chunks: keep interval must be positive, got %', p_keep;
    END IF;
    SELECT count(*) INTO dropped FROM drop_chunks(p_table, older_than => now() - p_keep);
    RETURN dropped;
END
$$;


--
-- Name: queuepulse_keep_reconciled_visits(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.queuepulse_keep_reconciled_visits() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public'
    AS $$
BEGIN
    IF OLD.source = 'cdr'
       AND pg_has_role(current_user, 'queuepulse_writer', 'USAGE')
       AND NOT pg_has_role(current_user, 'queuepulse_retention', 'USAGE')
       AND NOT pg_has_role(current_user,
                           (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
        RAISE EXCEPTION 'queuepulse: the writer may not delete reconciled (cdr) queue visits'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END
$$;


--
-- Name: queuepulse_kpi_hourly_reroll(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.queuepulse_kpi_hourly_reroll() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public'
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


--
-- Name: queuepulse_kpi_reroll_minute(text, text, timestamp with time zone); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.queuepulse_kpi_reroll_minute(p_pbx text, p_queue text, p_bucket timestamp with time zone) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public'
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


--
-- Name: queuepulse_kpi_rollups(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.queuepulse_kpi_rollups() RETURNS TABLE(rollup text, width interval)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    VALUES ('queue_kpi_hourly', INTERVAL '1 hour'), ('queue_kpi_15m', INTERVAL '15 minutes')
$$;


--
-- Name: queuepulse_kpi_slot(interval, timestamp with time zone); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.queuepulse_kpi_slot(p_width interval, p_at timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT CASE WHEN isfinite(p_at)
                THEN date_bin(p_width, p_at, '2000-01-01 00:00:00+00'::timestamptz)
                ELSE p_at END
$$;


--
-- Name: queuepulse_queue_live_now_upsert(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.queuepulse_queue_live_now_upsert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public'
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


--
-- Name: queuepulse_rollup_hours(text, text, timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.queuepulse_rollup_hours(p_pbx text, p_queue text, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS integer
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'public'
    AS $$
    SELECT queuepulse_rollup_kpi('queue_kpi_hourly', p_pbx, p_queue, p_from, p_to)
$$;


--
-- Name: queuepulse_rollup_kpi(text, text, text, timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.queuepulse_rollup_kpi(p_rollup text, p_pbx text, p_queue text, p_from timestamp with time zone, p_to timestamp with time zone) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public'
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


--
-- Name: queuepulse_site_today(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.queuepulse_site_today(p_pbx text) RETURNS timestamp with time zone
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT date_trunc('day', now() AT TIME ZONE queuepulse_site_tz(p_pbx))
           AT TIME ZONE queuepulse_site_tz(p_pbx)
$$;


--
-- Name: queuepulse_site_tz(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.queuepulse_site_tz(p_pbx text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT coalesce((SELECT s.time_zone FROM pbx_sites s WHERE s.pbx_id = p_pbx), 'UTC')
$$;


--
-- Name: queuepulse_split_caller(text); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.queuepulse_split_caller(raw text, OUT caller_number text, OUT caller_name text) RETURNS record
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog'
    AS $_$
DECLARE
    ws constant text := E' \t\n\r\f\x0b';
    t text := btrim(raw, E' \t\n\r\f\x0b');
    m text[];
BEGIN
    IF t IS NULL OR t = '' THEN
        RETURN;
    END IF;
    m := regexp_match(t, '^(.*[^ \t\n\r\f\v])?[ \t\n\r\f\v]*[(<][ \t\n\r\f\v]*'
        '(sha256:[0-9a-f]{64}|\+?[0-9*]+(?:[ ./-][0-9*]+)*)[ \t\n\r\f\v]*[)>]$');
    IF m IS NOT NULL THEN
        caller_number := m[2];
        caller_name := nullif(btrim(m[1], ws), '');
        RETURN;
    END IF;
    m := regexp_match(t, '^(sha256:[0-9a-f]{64}|\+?[0-9*]+(?:[ ./-][0-9*]+)*)'
        '(?:[ \t\n\r\f\v]+(.*))?$');
    IF m IS NOT NULL THEN
        caller_number := m[1];
        caller_name := nullif(btrim(m[2], ws), '');
        RETURN;
    END IF;
    caller_name := t;
END
$_$;


--
-- Name: queuepulse_tenant_pbx_ids(); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.queuepulse_tenant_pbx_ids() RETURNS text[]
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT CASE
        WHEN (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN NULL
        WHEN pg_has_role(current_user, 'queuepulse_tenant', 'MEMBER') THEN ARRAY(
            SELECT t.pbx_id FROM queuepulse_tenant.tenant_pbx t
            WHERE t.role_name = current_user ORDER BY t.pbx_id)
    END
$$;


--
-- Name: report_abandon_curve_between(timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.report_abandon_curve_between(p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(pbx_id text, queue_dn text, local_date date, wait_from_s integer, wait_to_s integer, abandoned bigint, cumulative_abandoned bigint, cumulative_pct double precision)
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


--
-- Name: report_agent_daily_between(timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.report_agent_daily_between(p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(pbx_id text, agent_dn text, agent_name text, time_zone text, local_date date, answered bigint, talk_s_sum double precision, talk_count bigint, avg_talk_s double precision, handle_s_sum double precision, avg_handle_s double precision, logged_in_s double precision, occupancy_pct double precision, calls_per_hour double precision)
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


--
-- Name: report_queue_daily_between(timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.report_queue_daily_between(p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(pbx_id text, queue_dn text, queue_name text, time_zone text, local_date date, day_start timestamp with time zone, day_end timestamp with time zone, hours numeric, offered bigint, answered bigint, abandoned bigint, short_abandoned bigint, transferred bigint, answered_in_sla bigint, sla_pct double precision, asa_s double precision, avg_wait_s double precision, max_wait_s double precision, avg_talk_s double precision, avg_handle_s double precision, wait_answered_s_sum double precision, wait_abandoned_s_sum double precision, talk_s_sum double precision, talk_count bigint, handle_s_sum double precision, wrap_up_known boolean, intervals bigint)
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


--
-- Name: report_service_level_curve_between(timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.report_service_level_curve_between(p_from timestamp with time zone, p_to timestamp with time zone) RETURNS TABLE(pbx_id text, queue_dn text, local_date date, threshold_s integer, answered_within bigint, calls_counted bigint, service_level_pct double precision)
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


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: agent_now; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agent_now (
    pbx_id text NOT NULL,
    agent_dn text NOT NULL,
    ts timestamp with time zone NOT NULL,
    state text,
    state_since timestamp with time zone NOT NULL,
    queue_status text,
    profile text,
    registered boolean,
    on_call boolean
);


--
-- Name: agent_states; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agent_states (
    pbx_id text NOT NULL,
    agent_dn text NOT NULL,
    ts timestamp with time zone NOT NULL,
    queue_status text,
    profile text,
    registered boolean,
    on_call boolean,
    state text,
    CONSTRAINT agent_states_state_check CHECK (((state IS NULL) OR (state = ANY (ARRAY['free'::text, 'talking'::text, 'away'::text, 'logged out'::text, 'offline'::text]))))
);


--
-- Name: agents; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agents (
    pbx_id text NOT NULL,
    agent_dn text NOT NULL,
    valid_from timestamp with time zone NOT NULL,
    valid_to timestamp with time zone,
    user_id bigint,
    first_name text,
    last_name text,
    display_name text,
    enabled boolean,
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT agents_validity_check CHECK (((valid_to IS NULL) OR (valid_to >= valid_from)))
);


--
-- Name: agents_current; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.agents_current WITH (security_invoker='true') AS
 SELECT agents.pbx_id,
    agents.agent_dn,
    agents.valid_from,
    agents.valid_to,
    agents.user_id,
    agents.first_name,
    agents.last_name,
    agents.display_name,
    agents.enabled,
    agents.details
   FROM public.agents
  WHERE (agents.valid_to IS NULL);


--
-- Name: arrival_forecasts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.arrival_forecasts (
    pbx_id text NOT NULL,
    queue_dn text NOT NULL,
    interval_start timestamp with time zone NOT NULL,
    made_at timestamp with time zone NOT NULL,
    calls double precision NOT NULL,
    local_date date NOT NULL,
    slot smallint NOT NULL,
    time_zone text NOT NULL,
    basis_days integer NOT NULL,
    level double precision NOT NULL,
    holdout_wape_pct double precision,
    method text DEFAULT 'weekday-profile-level'::text NOT NULL,
    CONSTRAINT arrival_forecasts_calls_check CHECK ((calls >= (0)::double precision)),
    CONSTRAINT arrival_forecasts_slot_check CHECK (((slot >= 0) AND (slot <= 95)))
);


--
-- Name: queue_kpi_1m; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.queue_kpi_1m (
    pbx_id text NOT NULL,
    queue_dn text NOT NULL,
    bucket timestamp with time zone NOT NULL,
    offered integer DEFAULT 0 NOT NULL,
    answered integer DEFAULT 0 NOT NULL,
    abandoned integer DEFAULT 0 NOT NULL,
    short_abandoned integer DEFAULT 0 NOT NULL,
    transferred integer DEFAULT 0 NOT NULL,
    answered_in_sla integer DEFAULT 0 NOT NULL,
    sla_pct double precision,
    asa_s double precision,
    max_wait_s double precision,
    avg_talk_s double precision,
    wait_answered_s_sum double precision DEFAULT 0 NOT NULL,
    wait_abandoned_s_sum double precision DEFAULT 0 NOT NULL,
    talk_s_sum double precision DEFAULT 0 NOT NULL,
    talk_count integer DEFAULT 0 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: arrival_forecast_accuracy; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.arrival_forecast_accuracy WITH (security_invoker='true') AS
 SELECT f.pbx_id,
    f.queue_dn,
    f.interval_start,
    f.made_at,
    (f.interval_start - f.made_at) AS lead,
    f.calls AS forecast_calls,
    (COALESCE(a.offered, (0)::bigint))::double precision AS actual_calls
   FROM (public.arrival_forecasts f
     LEFT JOIN LATERAL ( SELECT sum(k.offered) AS offered
           FROM public.queue_kpi_1m k
          WHERE ((k.pbx_id = f.pbx_id) AND (k.queue_dn = f.queue_dn) AND (k.bucket >= f.interval_start) AND (k.bucket < (f.interval_start + '00:15:00'::interval)))) a ON (true))
  WHERE ((f.interval_start + '00:15:00'::interval) <= now());


--
-- Name: call_event_ids; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.call_event_ids (
    event_id uuid NOT NULL,
    occurred_at timestamp with time zone NOT NULL
);


--
-- Name: call_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.call_events (
    event_id uuid NOT NULL,
    pbx_id text NOT NULL,
    call_key text NOT NULL,
    call_id bigint,
    event_type text NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    observed_at timestamp with time zone NOT NULL,
    queue_dn text,
    agent_dn text,
    status text,
    details jsonb DEFAULT '{}'::jsonb NOT NULL
);


--
-- Name: cdr_dead_letters; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.cdr_dead_letters (
    letter_id uuid NOT NULL,
    pbx_id text NOT NULL,
    received_at timestamp with time zone NOT NULL,
    run_id uuid,
    endpoint text NOT NULL,
    reason text NOT NULL,
    body jsonb NOT NULL
);


--
-- Name: entry_queue_kpi_1m; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.entry_queue_kpi_1m (
    pbx_id text NOT NULL,
    queue_dn text NOT NULL,
    bucket timestamp with time zone NOT NULL,
    offered integer DEFAULT 0 NOT NULL,
    answered integer DEFAULT 0 NOT NULL,
    abandoned integer DEFAULT 0 NOT NULL,
    short_abandoned integer DEFAULT 0 NOT NULL,
    transferred integer DEFAULT 0 NOT NULL,
    answered_in_sla integer DEFAULT 0 NOT NULL,
    sla_pct double precision,
    asa_s double precision,
    max_wait_s double precision,
    avg_talk_s double precision,
    wait_answered_s_sum double precision DEFAULT 0 NOT NULL,
    wait_abandoned_s_sum double precision DEFAULT 0 NOT NULL,
    talk_s_sum double precision DEFAULT 0 NOT NULL,
    talk_count integer DEFAULT 0 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: expected_waits; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.expected_waits (
    pbx_id text NOT NULL,
    call_key text NOT NULL,
    queue_dn text NOT NULL,
    entered_at timestamp with time zone NOT NULL,
    predicted_at timestamp with time zone NOT NULL,
    "position" integer NOT NULL,
    agents integer NOT NULL,
    free_agents integer NOT NULL,
    aht_s double precision NOT NULL,
    patience_s double precision,
    expected_wait_s double precision,
    method text NOT NULL,
    CONSTRAINT expected_waits_position_check CHECK (("position" >= 1))
);


--
-- Name: queue_calls; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.queue_calls (
    pbx_id text NOT NULL,
    call_key text NOT NULL,
    call_id bigint,
    queue_dn text NOT NULL,
    entered_at timestamp with time zone NOT NULL,
    answered_at timestamp with time zone,
    ended_at timestamp with time zone,
    outcome text DEFAULT 'waiting'::text NOT NULL,
    wait_s double precision,
    talk_s double precision,
    agent_dn text,
    entry_queue_dn text,
    visit_seq integer,
    end_uncertainty_s double precision,
    source text DEFAULT 'live'::text NOT NULL,
    reconciled_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    caller_number text,
    caller_name text,
    CONSTRAINT queue_calls_outcome_check CHECK ((outcome = ANY (ARRAY['waiting'::text, 'answered'::text, 'abandoned'::text, 'transferred'::text]))),
    CONSTRAINT queue_calls_source_check CHECK ((source = ANY (ARRAY['live'::text, 'cdr'::text])))
);


--
-- Name: expected_wait_accuracy; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.expected_wait_accuracy WITH (security_invoker='true') AS
 SELECT e.pbx_id,
    e.queue_dn,
    e.call_key,
    e.entered_at,
    e.predicted_at,
    e."position",
    e.expected_wait_s,
    (EXTRACT(epoch FROM (c.answered_at - e.predicted_at)))::double precision AS actual_wait_s,
    abs((e.expected_wait_s - (EXTRACT(epoch FROM (c.answered_at - e.predicted_at)))::double precision)) AS abs_error_s
   FROM (public.expected_waits e
     JOIN public.queue_calls c ON (((c.pbx_id = e.pbx_id) AND (c.call_key = e.call_key) AND (c.queue_dn = e.queue_dn) AND (c.entered_at = e.entered_at))))
  WHERE ((c.outcome = 'answered'::text) AND (c.answered_at >= e.predicted_at) AND (e.expected_wait_s IS NOT NULL));


--
-- Name: pipeline_health; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.pipeline_health (
    pbx_id text NOT NULL,
    component text DEFAULT 'live'::text NOT NULL,
    ts timestamp with time zone NOT NULL,
    poll_latency_ms double precision,
    polls integer DEFAULT 0 NOT NULL,
    errors integer DEFAULT 0 NOT NULL,
    error_kind text,
    stale_polls integer DEFAULT 0 NOT NULL,
    gaps integer DEFAULT 0 NOT NULL,
    gap_s double precision,
    lag_s double precision,
    rows_written integer DEFAULT 0 NOT NULL,
    write_errors integer DEFAULT 0 NOT NULL,
    token_failures integer DEFAULT 0 NOT NULL,
    breaker_state text,
    skew_s double precision,
    details jsonb DEFAULT '{}'::jsonb NOT NULL
);


--
-- Name: queues; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.queues (
    pbx_id text NOT NULL,
    queue_dn text NOT NULL,
    valid_from timestamp with time zone NOT NULL,
    valid_to timestamp with time zone,
    queue_id bigint,
    name text,
    sla_time_s integer,
    polling_strategy text,
    max_callers integer,
    ring_timeout_s integer,
    master_timeout_s integer,
    wrap_up_time_s integer,
    priority_queue boolean,
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT queues_validity_check CHECK (((valid_to IS NULL) OR (valid_to >= valid_from)))
);


--
-- Name: pbx_freshness; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.pbx_freshness WITH (security_invoker='true') AS
 SELECT p.pbx_id,
    h.ts AS last_ok_at,
    COALESCE(h.interval_s, (1.0)::double precision) AS poll_interval_s,
    (EXTRACT(epoch FROM (now() - h.ts)))::double precision AS age_s,
    ((h.ts IS NULL) OR ((now() - h.ts) > make_interval(secs => ((3)::double precision * COALESCE(h.interval_s, (1.0)::double precision))))) AS stale
   FROM (( SELECT DISTINCT queues.pbx_id
           FROM public.queues
          WHERE (queues.valid_to IS NULL)) p
     LEFT JOIN LATERAL ( SELECT ph.ts,
            ((ph.details ->> 'poll_interval_s'::text))::double precision AS interval_s
           FROM public.pipeline_health ph
          WHERE ((ph.pbx_id = p.pbx_id) AND (ph.component = 'live'::text) AND (ph.polls > 0) AND (ph.errors = 0) AND (ph.stale_polls = 0) AND (ph.ts > (now() - '1 day'::interval)))
          ORDER BY ph.ts DESC
         LIMIT 1) h ON (true));


--
-- Name: pbx_queue_reports; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.pbx_queue_reports (
    pbx_id text NOT NULL,
    report text NOT NULL,
    queue_dn text NOT NULL,
    period_from timestamp with time zone NOT NULL,
    period_to timestamp with time zone NOT NULL,
    fetched_at timestamp with time zone NOT NULL,
    received_count integer,
    answered_count integer,
    abandoned_count integer,
    bad_sla_count integer,
    sla_pct double precision,
    figures jsonb DEFAULT '{}'::jsonb NOT NULL
);


--
-- Name: pbx_sites; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.pbx_sites (
    pbx_id text NOT NULL,
    time_zone text NOT NULL,
    time_zone_source text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT pbx_sites_time_zone_check CHECK (((time_zone <> ''::text) AND (timezone(time_zone, '2000-01-01 00:00:00+00'::timestamp with time zone) IS NOT NULL))),
    CONSTRAINT pbx_sites_time_zone_source_check CHECK ((time_zone_source = ANY (ARRAY['setting'::text, 'pbx'::text, 'default'::text])))
);


--
-- Name: queue_agents; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.queue_agents (
    pbx_id text NOT NULL,
    queue_dn text NOT NULL,
    agent_dn text NOT NULL,
    valid_from timestamp with time zone NOT NULL,
    valid_to timestamp with time zone,
    skill_group text,
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT queue_agents_validity_check CHECK (((valid_to IS NULL) OR (valid_to >= valid_from)))
);


--
-- Name: queue_agents_current; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.queue_agents_current WITH (security_invoker='true') AS
 SELECT queue_agents.pbx_id,
    queue_agents.queue_dn,
    queue_agents.agent_dn,
    queue_agents.valid_from,
    queue_agents.valid_to,
    queue_agents.skill_group,
    queue_agents.details
   FROM public.queue_agents
  WHERE (queue_agents.valid_to IS NULL);


--
-- Name: queue_config_changes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.queue_config_changes (
    change_id text NOT NULL,
    changed_at timestamp with time zone NOT NULL,
    pbx_id text NOT NULL,
    client_id text NOT NULL,
    run_id text NOT NULL,
    queue_dn text,
    agent_dn text,
    action text NOT NULL,
    field text,
    old_value jsonb,
    new_value jsonb,
    outcome text NOT NULL,
    error text,
    CONSTRAINT queue_config_changes_action CHECK ((action = ANY (ARRAY['create'::text, 'update'::text, 'delete'::text, 'agent_login'::text, 'agent_logout'::text]))),
    CONSTRAINT queue_config_changes_outcome CHECK ((outcome = ANY (ARRAY['applied'::text, 'failed'::text, 'refused'::text, 'not_attempted'::text, 'unknown'::text])))
);


--
-- Name: queue_kpi_15m; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.queue_kpi_15m (
    pbx_id text NOT NULL,
    queue_dn text NOT NULL,
    bucket timestamp with time zone NOT NULL,
    minutes integer DEFAULT 0 NOT NULL,
    offered integer DEFAULT 0 NOT NULL,
    answered integer DEFAULT 0 NOT NULL,
    abandoned integer DEFAULT 0 NOT NULL,
    short_abandoned integer DEFAULT 0 NOT NULL,
    transferred integer DEFAULT 0 NOT NULL,
    answered_in_sla integer DEFAULT 0 NOT NULL,
    max_wait_s double precision,
    wait_answered_s_sum double precision DEFAULT 0 NOT NULL,
    wait_abandoned_s_sum double precision DEFAULT 0 NOT NULL,
    talk_s_sum double precision DEFAULT 0 NOT NULL,
    talk_count integer DEFAULT 0 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: queue_kpi_hourly; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.queue_kpi_hourly (
    pbx_id text NOT NULL,
    queue_dn text NOT NULL,
    bucket timestamp with time zone NOT NULL,
    minutes integer DEFAULT 0 NOT NULL,
    offered integer DEFAULT 0 NOT NULL,
    answered integer DEFAULT 0 NOT NULL,
    abandoned integer DEFAULT 0 NOT NULL,
    short_abandoned integer DEFAULT 0 NOT NULL,
    transferred integer DEFAULT 0 NOT NULL,
    answered_in_sla integer DEFAULT 0 NOT NULL,
    max_wait_s double precision,
    wait_answered_s_sum double precision DEFAULT 0 NOT NULL,
    wait_abandoned_s_sum double precision DEFAULT 0 NOT NULL,
    talk_s_sum double precision DEFAULT 0 NOT NULL,
    talk_count integer DEFAULT 0 NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: queue_live; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.queue_live (
    pbx_id text NOT NULL,
    queue_dn text NOT NULL,
    ts timestamp with time zone NOT NULL,
    waiting integer DEFAULT 0 NOT NULL,
    longest_wait_s double precision,
    talking integer DEFAULT 0 NOT NULL,
    agents_logged_in integer,
    agents_talking integer,
    agents_free integer
);


--
-- Name: queue_live_now; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.queue_live_now (
    pbx_id text NOT NULL,
    queue_dn text NOT NULL,
    ts timestamp with time zone NOT NULL,
    waiting integer DEFAULT 0 NOT NULL,
    longest_wait_s double precision,
    talking integer DEFAULT 0 NOT NULL,
    agents_logged_in integer,
    agents_talking integer,
    agents_free integer
);


--
-- Name: queue_now; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.queue_now WITH (security_invoker='true') AS
 SELECT q.pbx_id,
    q.queue_dn,
    q.name,
    l.ts,
    f.last_ok_at,
    f.age_s,
    f.stale,
    COALESCE(l.waiting, 0) AS waiting,
        CASE
            WHEN (COALESCE(l.waiting, 0) > 0) THEN (l.longest_wait_s + GREATEST((EXTRACT(epoch FROM (f.last_ok_at - l.ts)))::double precision, (0)::double precision))
            ELSE (0)::double precision
        END AS longest_wait_s,
    COALESCE(l.talking, 0) AS talking
   FROM ((public.queues q
     JOIN public.pbx_freshness f ON ((f.pbx_id = q.pbx_id)))
     LEFT JOIN public.queue_live_now l ON (((l.pbx_id = q.pbx_id) AND (l.queue_dn = q.queue_dn))))
  WHERE (q.valid_to IS NULL);


--
-- Name: queue_targets; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.queue_targets (
    pbx_id text NOT NULL,
    queue_dn text NOT NULL,
    sla_target_pct double precision,
    sla_time_s integer,
    short_abandon_s double precision,
    longest_wait_alert_s double precision,
    abandon_alert_pct double precision,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT queue_targets_abandon_check CHECK (((abandon_alert_pct IS NULL) OR ((abandon_alert_pct >= (0)::double precision) AND (abandon_alert_pct <= (100)::double precision)))),
    CONSTRAINT queue_targets_defaults_check CHECK (((pbx_id = '*'::text) = (queue_dn = '*'::text))),
    CONSTRAINT queue_targets_longest_wait_check CHECK (((longest_wait_alert_s IS NULL) OR (longest_wait_alert_s > (0)::double precision))),
    CONSTRAINT queue_targets_short_abandon_check CHECK (((short_abandon_s IS NULL) OR (short_abandon_s >= (0)::double precision))),
    CONSTRAINT queue_targets_sla_target_check CHECK (((sla_target_pct IS NULL) OR ((sla_target_pct >= (0)::double precision) AND (sla_target_pct <= (100)::double precision)))),
    CONSTRAINT queue_targets_sla_time_check CHECK (((sla_time_s IS NULL) OR (sla_time_s > 0)))
);


--
-- Name: queue_targets_effective; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.queue_targets_effective WITH (security_invoker='true') AS
 SELECT q.pbx_id,
    q.queue_dn,
    COALESCE(t.sla_target_pct, d.sla_target_pct, (80)::double precision) AS sla_target_pct,
    COALESCE(t.sla_time_s, d.sla_time_s, NULLIF(q.sla_time_s, 0), 20) AS sla_time_s,
    COALESCE(t.short_abandon_s, d.short_abandon_s, (5)::double precision) AS short_abandon_s,
    COALESCE(t.longest_wait_alert_s, d.longest_wait_alert_s, (90)::double precision) AS longest_wait_alert_s,
    COALESCE(t.abandon_alert_pct, d.abandon_alert_pct, (25)::double precision) AS abandon_alert_pct,
    (t.pbx_id IS NOT NULL) AS overridden
   FROM ((public.queues q
     LEFT JOIN public.queue_targets t ON (((t.pbx_id = q.pbx_id) AND (t.queue_dn = q.queue_dn))))
     LEFT JOIN public.queue_targets d ON (((d.pbx_id = '*'::text) AND (d.queue_dn = '*'::text))))
  WHERE (q.valid_to IS NULL);


--
-- Name: queuepulse_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.queuepulse_migrations (
    kind text NOT NULL,
    name text NOT NULL,
    sha256 text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT queuepulse_migrations_kind_check CHECK ((kind = ANY (ARRAY['incremental'::text, 'idempotent'::text])))
);


--
-- Name: queues_current; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.queues_current WITH (security_invoker='true') AS
 SELECT queues.pbx_id,
    queues.queue_dn,
    queues.valid_from,
    queues.valid_to,
    queues.queue_id,
    queues.name,
    queues.sla_time_s,
    queues.polling_strategy,
    queues.max_callers,
    queues.ring_timeout_s,
    queues.master_timeout_s,
    queues.wrap_up_time_s,
    queues.priority_queue,
    queues.details
   FROM public.queues
  WHERE (queues.valid_to IS NULL);


--
-- Name: reconciliation_diffs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.reconciliation_diffs (
    diff_id uuid NOT NULL,
    run_id uuid NOT NULL,
    pbx_id text NOT NULL,
    detected_at timestamp with time zone NOT NULL,
    call_key text,
    queue_dn text,
    entered_at timestamp with time zone,
    field text NOT NULL,
    live_value text,
    cdr_value text,
    action text NOT NULL,
    CONSTRAINT reconciliation_diffs_action_check CHECK ((action = ANY (ARRAY['corrected'::text, 'inserted'::text, 'flagged'::text])))
);


--
-- Name: reconciliation_runs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.reconciliation_runs (
    run_id uuid NOT NULL,
    pbx_id text NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone,
    period_from timestamp with time zone NOT NULL,
    period_to timestamp with time zone NOT NULL,
    status text DEFAULT 'running'::text NOT NULL,
    cdr_rows integer DEFAULT 0 NOT NULL,
    matched integer DEFAULT 0 NOT NULL,
    corrected integer DEFAULT 0 NOT NULL,
    inserted integer DEFAULT 0 NOT NULL,
    diffs integer DEFAULT 0 NOT NULL,
    dead_letters integer DEFAULT 0 NOT NULL,
    error text,
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT reconciliation_runs_status_check CHECK ((status = ANY (ARRAY['running'::text, 'ok'::text, 'failed'::text])))
);


--
-- Name: report_abandon_curve; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.report_abandon_curve WITH (security_invoker='true') AS
 SELECT report_abandon_curve_between.pbx_id,
    report_abandon_curve_between.queue_dn,
    report_abandon_curve_between.local_date,
    report_abandon_curve_between.wait_from_s,
    report_abandon_curve_between.wait_to_s,
    report_abandon_curve_between.abandoned,
    report_abandon_curve_between.cumulative_abandoned,
    report_abandon_curve_between.cumulative_pct
   FROM public.report_abandon_curve_between('-infinity'::timestamp with time zone, 'infinity'::timestamp with time zone) report_abandon_curve_between(pbx_id, queue_dn, local_date, wait_from_s, wait_to_s, abandoned, cumulative_abandoned, cumulative_pct);


--
-- Name: report_agent_daily; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.report_agent_daily WITH (security_invoker='true') AS
 SELECT report_agent_daily_between.pbx_id,
    report_agent_daily_between.agent_dn,
    report_agent_daily_between.agent_name,
    report_agent_daily_between.time_zone,
    report_agent_daily_between.local_date,
    report_agent_daily_between.answered,
    report_agent_daily_between.talk_s_sum,
    report_agent_daily_between.talk_count,
    report_agent_daily_between.avg_talk_s,
    report_agent_daily_between.handle_s_sum,
    report_agent_daily_between.avg_handle_s,
    report_agent_daily_between.logged_in_s,
    report_agent_daily_between.occupancy_pct,
    report_agent_daily_between.calls_per_hour
   FROM public.report_agent_daily_between('-infinity'::timestamp with time zone, 'infinity'::timestamp with time zone) report_agent_daily_between(pbx_id, agent_dn, agent_name, time_zone, local_date, answered, talk_s_sum, talk_count, avg_talk_s, handle_s_sum, avg_handle_s, logged_in_s, occupancy_pct, calls_per_hour);


--
-- Name: report_ours_vs_pbx; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.report_ours_vs_pbx WITH (security_invoker='true') AS
 SELECT r.pbx_id,
    r.queue_dn,
    r.report,
    r.period_from,
    r.period_to,
    z.time_zone,
    (r.period_from AT TIME ZONE z.time_zone) AS local_from,
    (r.period_to AT TIME ZONE z.time_zone) AS local_to,
    r.fetched_at,
    r.received_count AS pbx_received,
    r.answered_count AS pbx_answered,
    r.abandoned_count AS pbx_abandoned,
    r.bad_sla_count AS pbx_bad_sla,
    r.sla_pct AS pbx_sla_pct,
    o.offered AS our_offered,
    o.answered AS our_answered,
    o.abandoned AS our_abandoned,
    o.short_abandoned AS our_short_abandoned,
    o.answered_in_sla AS our_answered_in_sla,
    (((100)::double precision * (o.answered_in_sla)::double precision) / (NULLIF(((o.answered + o.abandoned) - o.short_abandoned), 0))::double precision) AS our_sla_pct,
    (o.offered - r.received_count) AS offered_diff,
    (o.answered - r.answered_count) AS answered_diff,
    (o.abandoned - r.abandoned_count) AS abandoned_diff,
    ((((100)::double precision * (o.answered_in_sla)::double precision) / (NULLIF(((o.answered + o.abandoned) - o.short_abandoned), 0))::double precision) - r.sla_pct) AS sla_pct_diff
   FROM (((public.pbx_queue_reports r
     LEFT JOIN public.pbx_sites s ON ((s.pbx_id = r.pbx_id)))
     CROSS JOIN LATERAL ( SELECT COALESCE(s.time_zone, 'UTC'::text) AS time_zone) z)
     CROSS JOIN LATERAL ( SELECT COALESCE(sum(k.offered), (0)::bigint) AS offered,
            COALESCE(sum(k.answered), (0)::bigint) AS answered,
            COALESCE(sum(k.abandoned), (0)::bigint) AS abandoned,
            COALESCE(sum(k.short_abandoned), (0)::bigint) AS short_abandoned,
            COALESCE(sum(k.answered_in_sla), (0)::bigint) AS answered_in_sla
           FROM ( SELECT f.offered,
                    f.answered,
                    f.abandoned,
                    f.short_abandoned,
                    f.answered_in_sla
                   FROM public.queue_kpi_15m f
                  WHERE ((f.pbx_id = r.pbx_id) AND (f.queue_dn = r.queue_dn) AND (f.bucket >= r.period_from) AND ((f.bucket + '00:15:00'::interval) <= r.period_to))
                UNION ALL
                 SELECT m.offered,
                    m.answered,
                    m.abandoned,
                    m.short_abandoned,
                    m.answered_in_sla
                   FROM public.queue_kpi_1m m
                  WHERE ((m.pbx_id = r.pbx_id) AND (m.queue_dn = r.queue_dn) AND (m.bucket >= r.period_from) AND (m.bucket < r.period_to) AND ((m.bucket < (public.queuepulse_kpi_slot('00:15:00'::interval, (r.period_from - '00:00:00.000001'::interval)) + '00:15:00'::interval)) OR (m.bucket >= public.queuepulse_kpi_slot('00:15:00'::interval, r.period_to))))) k) o);


--
-- Name: report_queue_daily; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.report_queue_daily WITH (security_invoker='true') AS
 SELECT report_queue_daily_between.pbx_id,
    report_queue_daily_between.queue_dn,
    report_queue_daily_between.queue_name,
    report_queue_daily_between.time_zone,
    report_queue_daily_between.local_date,
    report_queue_daily_between.day_start,
    report_queue_daily_between.day_end,
    report_queue_daily_between.hours,
    report_queue_daily_between.offered,
    report_queue_daily_between.answered,
    report_queue_daily_between.abandoned,
    report_queue_daily_between.short_abandoned,
    report_queue_daily_between.transferred,
    report_queue_daily_between.answered_in_sla,
    report_queue_daily_between.sla_pct,
    report_queue_daily_between.asa_s,
    report_queue_daily_between.avg_wait_s,
    report_queue_daily_between.max_wait_s,
    report_queue_daily_between.avg_talk_s,
    report_queue_daily_between.avg_handle_s,
    report_queue_daily_between.wait_answered_s_sum,
    report_queue_daily_between.wait_abandoned_s_sum,
    report_queue_daily_between.talk_s_sum,
    report_queue_daily_between.talk_count,
    report_queue_daily_between.handle_s_sum,
    report_queue_daily_between.wrap_up_known,
    report_queue_daily_between.intervals
   FROM public.report_queue_daily_between('-infinity'::timestamp with time zone, 'infinity'::timestamp with time zone) report_queue_daily_between(pbx_id, queue_dn, queue_name, time_zone, local_date, day_start, day_end, hours, offered, answered, abandoned, short_abandoned, transferred, answered_in_sla, sla_pct, asa_s, avg_wait_s, max_wait_s, avg_talk_s, avg_handle_s, wait_answered_s_sum, wait_abandoned_s_sum, talk_s_sum, talk_count, handle_s_sum, wrap_up_known, intervals);


--
-- Name: report_queue_interval; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.report_queue_interval WITH (security_invoker='true') AS
 WITH config AS (
         SELECT q.pbx_id,
            q.queue_dn,
            q.wrap_up_time_s,
                CASE
                    WHEN (q.valid_from = min(q.valid_from) OVER w) THEN '-infinity'::timestamp with time zone
                    ELSE q.valid_from
                END AS config_from,
            COALESCE(q.valid_to, 'infinity'::timestamp with time zone) AS config_to,
            first_value(q.name) OVER (w ORDER BY q.valid_from DESC) AS current_name
           FROM public.queues q
          WINDOW w AS (PARTITION BY q.pbx_id, q.queue_dn)
        )
 SELECT k.pbx_id,
    k.queue_dn,
    n.current_name AS queue_name,
    z.time_zone,
    k.bucket AS interval_start,
    (k.bucket + '00:15:00'::interval) AS interval_end,
    ((k.bucket AT TIME ZONE z.time_zone))::date AS local_date,
    (k.bucket AT TIME ZONE z.time_zone) AS local_start,
    k.offered,
    k.answered,
    k.abandoned,
    k.short_abandoned,
    k.transferred,
    k.answered_in_sla,
    (((100)::double precision * (k.answered_in_sla)::double precision) / (NULLIF(((k.answered + k.abandoned) - k.short_abandoned), 0))::double precision) AS sla_pct,
    (k.wait_answered_s_sum / (NULLIF(k.answered, 0))::double precision) AS asa_s,
    ((k.wait_answered_s_sum + k.wait_abandoned_s_sum) / (NULLIF((k.answered + k.abandoned), 0))::double precision) AS avg_wait_s,
    k.max_wait_s,
    (k.talk_s_sum / (NULLIF(k.talk_count, 0))::double precision) AS avg_talk_s,
    ((k.talk_s_sum + ((k.talk_count * COALESCE(c.wrap_up_time_s, 0)))::double precision) / (NULLIF(k.talk_count, 0))::double precision) AS avg_handle_s,
    k.wait_answered_s_sum,
    k.wait_abandoned_s_sum,
    k.talk_s_sum,
    k.talk_count,
    (k.talk_s_sum + ((k.talk_count)::double precision * (COALESCE(c.wrap_up_time_s, 0))::double precision)) AS handle_s_sum,
    c.wrap_up_time_s AS wrap_up_s
   FROM ((((public.queue_kpi_15m k
     LEFT JOIN public.pbx_sites s ON ((s.pbx_id = k.pbx_id)))
     CROSS JOIN LATERAL ( SELECT COALESCE(s.time_zone, 'UTC'::text) AS time_zone) z)
     LEFT JOIN config c ON (((c.pbx_id = k.pbx_id) AND (c.queue_dn = k.queue_dn) AND (k.bucket >= c.config_from) AND (k.bucket < c.config_to))))
     LEFT JOIN ( SELECT DISTINCT config.pbx_id,
            config.queue_dn,
            config.current_name
           FROM config) n ON (((n.pbx_id = k.pbx_id) AND (n.queue_dn = k.queue_dn))));


--
-- Name: report_service_level_curve; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.report_service_level_curve WITH (security_invoker='true') AS
 SELECT report_service_level_curve_between.pbx_id,
    report_service_level_curve_between.queue_dn,
    report_service_level_curve_between.local_date,
    report_service_level_curve_between.threshold_s,
    report_service_level_curve_between.answered_within,
    report_service_level_curve_between.calls_counted,
    report_service_level_curve_between.service_level_pct
   FROM public.report_service_level_curve_between('-infinity'::timestamp with time zone, 'infinity'::timestamp with time zone) report_service_level_curve_between(pbx_id, queue_dn, local_date, threshold_s, answered_within, calls_counted, service_level_pct);


--
-- Name: staffing_intervals; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.staffing_intervals (
    pbx_id text NOT NULL,
    queue_dn text NOT NULL,
    interval_start timestamp with time zone NOT NULL,
    computed_at timestamp with time zone NOT NULL,
    kind text NOT NULL,
    calls double precision NOT NULL,
    aht_s double precision NOT NULL,
    patience_s double precision,
    sla_s double precision NOT NULL,
    target_pct double precision NOT NULL,
    agents_needed integer NOT NULL,
    needed_sla_pct double precision NOT NULL,
    agents_logged_in double precision,
    agents_available double precision,
    predicted_sla_pct double precision,
    predicted_abandon_pct double precision,
    predicted_asa_s double precision,
    model text NOT NULL,
    CONSTRAINT staffing_intervals_kind_check CHECK ((kind = ANY (ARRAY['measured'::text, 'forecast'::text]))),
    CONSTRAINT staffing_intervals_model_check CHECK ((model = ANY (ARRAY['erlang-a'::text, 'erlang-c'::text])))
);


--
-- Name: waiting_expected_wait; Type: VIEW; Schema: public; Owner: -
--

CREATE VIEW public.waiting_expected_wait WITH (security_invoker='true') AS
 SELECT c.pbx_id,
    c.call_key,
    c.queue_dn,
    c.entered_at,
    w.predicted_at,
    w."position",
    w.agents,
    w.free_agents,
    w.expected_wait_s,
    GREATEST((w.expected_wait_s - (EXTRACT(epoch FROM (now() - w.predicted_at)))::double precision), (0)::double precision) AS expected_wait_now_s
   FROM (public.queue_calls c
     JOIN LATERAL ( SELECT e.predicted_at,
            e."position",
            e.agents,
            e.free_agents,
            e.expected_wait_s
           FROM public.expected_waits e
          WHERE ((e.pbx_id = c.pbx_id) AND (e.call_key = c.call_key) AND (e.queue_dn = c.queue_dn) AND (e.entered_at = c.entered_at))
          ORDER BY e.predicted_at DESC
         LIMIT 1) w ON (true))
  WHERE ((c.outcome = 'waiting'::text) AND (c.entered_at > (now() - '1 day'::interval)));


--
-- Name: write_dead_letters; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.write_dead_letters (
    dead_at timestamp with time zone NOT NULL,
    letter_id uuid NOT NULL,
    table_name text NOT NULL,
    pbx_id text,
    reason text NOT NULL,
    sqlstate text,
    row_json text NOT NULL,
    truncated boolean DEFAULT false NOT NULL
);


--
-- Name: agent_now agent_now_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agent_now
    ADD CONSTRAINT agent_now_key PRIMARY KEY (pbx_id, agent_dn);


--
-- Name: agent_states agent_states_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agent_states
    ADD CONSTRAINT agent_states_key UNIQUE (pbx_id, agent_dn, ts);


--
-- Name: agents agents_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agents
    ADD CONSTRAINT agents_key UNIQUE (pbx_id, agent_dn, valid_from);


--
-- Name: arrival_forecasts arrival_forecasts_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.arrival_forecasts
    ADD CONSTRAINT arrival_forecasts_key UNIQUE (pbx_id, queue_dn, interval_start, made_at);


--
-- Name: call_event_ids call_event_ids_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.call_event_ids
    ADD CONSTRAINT call_event_ids_pkey PRIMARY KEY (event_id);


--
-- Name: call_events call_events_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.call_events
    ADD CONSTRAINT call_events_key UNIQUE (event_id, occurred_at);


--
-- Name: cdr_dead_letters cdr_dead_letters_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.cdr_dead_letters
    ADD CONSTRAINT cdr_dead_letters_key UNIQUE (letter_id, received_at);


--
-- Name: entry_queue_kpi_1m entry_queue_kpi_1m_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.entry_queue_kpi_1m
    ADD CONSTRAINT entry_queue_kpi_1m_key UNIQUE (pbx_id, queue_dn, bucket);


--
-- Name: expected_waits expected_waits_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.expected_waits
    ADD CONSTRAINT expected_waits_key UNIQUE (pbx_id, call_key, queue_dn, entered_at, predicted_at);


--
-- Name: pbx_queue_reports pbx_queue_reports_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.pbx_queue_reports
    ADD CONSTRAINT pbx_queue_reports_key UNIQUE (pbx_id, report, queue_dn, period_from, period_to);


--
-- Name: pbx_sites pbx_sites_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.pbx_sites
    ADD CONSTRAINT pbx_sites_key PRIMARY KEY (pbx_id);


--
-- Name: pipeline_health pipeline_health_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.pipeline_health
    ADD CONSTRAINT pipeline_health_key UNIQUE (pbx_id, component, ts);


--
-- Name: queue_agents queue_agents_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.queue_agents
    ADD CONSTRAINT queue_agents_key UNIQUE (pbx_id, queue_dn, agent_dn, valid_from);


--
-- Name: queue_calls queue_calls_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.queue_calls
    ADD CONSTRAINT queue_calls_key UNIQUE (pbx_id, call_key, queue_dn, entered_at);


--
-- Name: queue_config_changes queue_config_changes_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.queue_config_changes
    ADD CONSTRAINT queue_config_changes_key UNIQUE (change_id, changed_at);


--
-- Name: queue_kpi_15m queue_kpi_15m_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.queue_kpi_15m
    ADD CONSTRAINT queue_kpi_15m_key UNIQUE (pbx_id, queue_dn, bucket);


--
-- Name: queue_kpi_1m queue_kpi_1m_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.queue_kpi_1m
    ADD CONSTRAINT queue_kpi_1m_key UNIQUE (pbx_id, queue_dn, bucket);


--
-- Name: queue_kpi_hourly queue_kpi_hourly_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.queue_kpi_hourly
    ADD CONSTRAINT queue_kpi_hourly_key UNIQUE (pbx_id, queue_dn, bucket);


--
-- Name: queue_live queue_live_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.queue_live
    ADD CONSTRAINT queue_live_key UNIQUE (pbx_id, queue_dn, ts);


--
-- Name: queue_live_now queue_live_now_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.queue_live_now
    ADD CONSTRAINT queue_live_now_key PRIMARY KEY (pbx_id, queue_dn);


--
-- Name: queue_targets queue_targets_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.queue_targets
    ADD CONSTRAINT queue_targets_key PRIMARY KEY (pbx_id, queue_dn);


--
-- Name: queuepulse_migrations queuepulse_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.queuepulse_migrations
    ADD CONSTRAINT queuepulse_migrations_pkey PRIMARY KEY (kind, name);


--
-- Name: queues queues_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.queues
    ADD CONSTRAINT queues_key UNIQUE (pbx_id, queue_dn, valid_from);


--
-- Name: reconciliation_diffs reconciliation_diffs_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reconciliation_diffs
    ADD CONSTRAINT reconciliation_diffs_key UNIQUE (diff_id, detected_at);


--
-- Name: reconciliation_runs reconciliation_runs_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.reconciliation_runs
    ADD CONSTRAINT reconciliation_runs_key UNIQUE (run_id, started_at);


--
-- Name: staffing_intervals staffing_intervals_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.staffing_intervals
    ADD CONSTRAINT staffing_intervals_key UNIQUE (pbx_id, queue_dn, interval_start);


--
-- Name: write_dead_letters write_dead_letters_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.write_dead_letters
    ADD CONSTRAINT write_dead_letters_key UNIQUE (letter_id, dead_at);


--
-- Name: agent_states_pbx_ts_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX agent_states_pbx_ts_idx ON public.agent_states USING btree (pbx_id, ts DESC);


--
-- Name: agent_states_ts_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX agent_states_ts_idx ON public.agent_states USING btree (ts DESC);


--
-- Name: agents_current_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX agents_current_idx ON public.agents USING btree (pbx_id, agent_dn) WHERE (valid_to IS NULL);


--
-- Name: agents_valid_from_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX agents_valid_from_idx ON public.agents USING btree (valid_from DESC);


--
-- Name: arrival_forecasts_interval_start_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX arrival_forecasts_interval_start_idx ON public.arrival_forecasts USING btree (interval_start DESC);


--
-- Name: arrival_forecasts_queue_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX arrival_forecasts_queue_idx ON public.arrival_forecasts USING btree (pbx_id, queue_dn, interval_start, made_at DESC);


--
-- Name: call_event_ids_occurred_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX call_event_ids_occurred_idx ON public.call_event_ids USING btree (occurred_at);


--
-- Name: call_events_call_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX call_events_call_idx ON public.call_events USING btree (pbx_id, call_key, occurred_at DESC);


--
-- Name: call_events_occurred_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX call_events_occurred_at_idx ON public.call_events USING btree (occurred_at DESC);


--
-- Name: call_events_queue_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX call_events_queue_idx ON public.call_events USING btree (pbx_id, queue_dn, occurred_at DESC) WHERE (queue_dn IS NOT NULL);


--
-- Name: call_events_type_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX call_events_type_idx ON public.call_events USING btree (pbx_id, event_type, occurred_at DESC);


--
-- Name: cdr_dead_letters_pbx_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cdr_dead_letters_pbx_idx ON public.cdr_dead_letters USING btree (pbx_id, received_at DESC);


--
-- Name: cdr_dead_letters_received_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX cdr_dead_letters_received_at_idx ON public.cdr_dead_letters USING btree (received_at DESC);


--
-- Name: entry_queue_kpi_1m_bucket_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX entry_queue_kpi_1m_bucket_idx ON public.entry_queue_kpi_1m USING btree (bucket DESC);


--
-- Name: entry_queue_kpi_1m_pbx_bucket_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX entry_queue_kpi_1m_pbx_bucket_idx ON public.entry_queue_kpi_1m USING btree (pbx_id, bucket DESC);


--
-- Name: expected_waits_predicted_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX expected_waits_predicted_at_idx ON public.expected_waits USING btree (predicted_at DESC);


--
-- Name: expected_waits_visit_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX expected_waits_visit_idx ON public.expected_waits USING btree (pbx_id, call_key, queue_dn, entered_at, predicted_at DESC);


--
-- Name: pbx_queue_reports_period_from_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX pbx_queue_reports_period_from_idx ON public.pbx_queue_reports USING btree (period_from DESC);


--
-- Name: pipeline_health_pbx_ts_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX pipeline_health_pbx_ts_idx ON public.pipeline_health USING btree (pbx_id, ts DESC);


--
-- Name: pipeline_health_ts_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX pipeline_health_ts_idx ON public.pipeline_health USING btree (ts DESC);


--
-- Name: queue_agents_agent_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_agents_agent_idx ON public.queue_agents USING btree (pbx_id, agent_dn) WHERE (valid_to IS NULL);


--
-- Name: queue_agents_current_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_agents_current_idx ON public.queue_agents USING btree (pbx_id, queue_dn, agent_dn) WHERE (valid_to IS NULL);


--
-- Name: queue_agents_valid_from_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_agents_valid_from_idx ON public.queue_agents USING btree (valid_from DESC);


--
-- Name: queue_calls_agent_answered_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_calls_agent_answered_idx ON public.queue_calls USING btree (pbx_id, agent_dn, entered_at) WHERE (outcome = 'answered'::text);


--
-- Name: queue_calls_agent_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_calls_agent_idx ON public.queue_calls USING btree (pbx_id, agent_dn, entered_at DESC) WHERE (agent_dn IS NOT NULL);


--
-- Name: queue_calls_entered_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_calls_entered_at_idx ON public.queue_calls USING btree (entered_at DESC);


--
-- Name: queue_calls_entry_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_calls_entry_idx ON public.queue_calls USING btree (pbx_id, entry_queue_dn, entered_at DESC) WHERE (entry_queue_dn IS NOT NULL);


--
-- Name: queue_calls_queue_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_calls_queue_idx ON public.queue_calls USING btree (pbx_id, queue_dn, entered_at DESC);


--
-- Name: queue_calls_talking_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_calls_talking_idx ON public.queue_calls USING btree (pbx_id, queue_dn, entered_at) WHERE ((outcome = 'answered'::text) AND (ended_at IS NULL));


--
-- Name: queue_calls_waiting_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_calls_waiting_idx ON public.queue_calls USING btree (pbx_id, queue_dn, entered_at) WHERE (outcome = 'waiting'::text);


--
-- Name: queue_config_changes_changed_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_config_changes_changed_at_idx ON public.queue_config_changes USING btree (changed_at DESC);


--
-- Name: queue_config_changes_pbx_queue_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_config_changes_pbx_queue_idx ON public.queue_config_changes USING btree (pbx_id, queue_dn, changed_at DESC);


--
-- Name: queue_kpi_15m_bucket_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_kpi_15m_bucket_idx ON public.queue_kpi_15m USING btree (bucket DESC);


--
-- Name: queue_kpi_15m_pbx_bucket_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_kpi_15m_pbx_bucket_idx ON public.queue_kpi_15m USING btree (pbx_id, bucket DESC);


--
-- Name: queue_kpi_1m_bucket_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_kpi_1m_bucket_idx ON public.queue_kpi_1m USING btree (bucket DESC);


--
-- Name: queue_kpi_1m_pbx_bucket_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_kpi_1m_pbx_bucket_idx ON public.queue_kpi_1m USING btree (pbx_id, bucket DESC);


--
-- Name: queue_kpi_hourly_bucket_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_kpi_hourly_bucket_idx ON public.queue_kpi_hourly USING btree (bucket DESC);


--
-- Name: queue_kpi_hourly_pbx_bucket_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_kpi_hourly_pbx_bucket_idx ON public.queue_kpi_hourly USING btree (pbx_id, bucket DESC);


--
-- Name: queue_live_pbx_ts_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_live_pbx_ts_idx ON public.queue_live USING btree (pbx_id, ts DESC);


--
-- Name: queue_live_ts_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queue_live_ts_idx ON public.queue_live USING btree (ts DESC);


--
-- Name: queues_current_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queues_current_idx ON public.queues USING btree (pbx_id, queue_dn) WHERE (valid_to IS NULL);


--
-- Name: queues_valid_from_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX queues_valid_from_idx ON public.queues USING btree (valid_from DESC);


--
-- Name: reconciliation_diffs_call_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reconciliation_diffs_call_idx ON public.reconciliation_diffs USING btree (pbx_id, call_key, detected_at);


--
-- Name: reconciliation_diffs_detected_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reconciliation_diffs_detected_at_idx ON public.reconciliation_diffs USING btree (detected_at DESC);


--
-- Name: reconciliation_diffs_run_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reconciliation_diffs_run_idx ON public.reconciliation_diffs USING btree (run_id, detected_at);


--
-- Name: reconciliation_runs_pbx_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reconciliation_runs_pbx_idx ON public.reconciliation_runs USING btree (pbx_id, started_at DESC);


--
-- Name: reconciliation_runs_started_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX reconciliation_runs_started_at_idx ON public.reconciliation_runs USING btree (started_at DESC);


--
-- Name: staffing_intervals_interval_start_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX staffing_intervals_interval_start_idx ON public.staffing_intervals USING btree (interval_start DESC);


--
-- Name: staffing_intervals_pbx_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX staffing_intervals_pbx_idx ON public.staffing_intervals USING btree (pbx_id, interval_start DESC);


--
-- Name: write_dead_letters_dead_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX write_dead_letters_dead_at_idx ON public.write_dead_letters USING btree (dead_at DESC);


--
-- Name: write_dead_letters_table_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX write_dead_letters_table_idx ON public.write_dead_letters USING btree (table_name, dead_at DESC);


--
-- Name: agent_states agent_states_agent_now; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER agent_states_agent_now AFTER INSERT OR UPDATE ON public.agent_states FOR EACH ROW EXECUTE FUNCTION public.queuepulse_agent_now_upsert();


--
-- Name: queue_kpi_1m queue_kpi_1m_hourly; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER queue_kpi_1m_hourly AFTER INSERT OR DELETE OR UPDATE ON public.queue_kpi_1m FOR EACH ROW EXECUTE FUNCTION public.queuepulse_kpi_hourly_reroll();


--
-- Name: queue_live queue_live_queue_live_now; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER queue_live_queue_live_now AFTER INSERT OR UPDATE ON public.queue_live FOR EACH ROW EXECUTE FUNCTION public.queuepulse_queue_live_now_upsert();


--
-- Name: queue_calls queuepulse_keep_reconciled_visits; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER queuepulse_keep_reconciled_visits BEFORE DELETE ON public.queue_calls FOR EACH ROW EXECUTE FUNCTION public.queuepulse_keep_reconciled_visits();


--
-- Name: agent_states ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.agent_states FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: agents ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.agents FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: arrival_forecasts ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.arrival_forecasts FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: call_events ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.call_events FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: cdr_dead_letters ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.cdr_dead_letters FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: entry_queue_kpi_1m ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.entry_queue_kpi_1m FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: expected_waits ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.expected_waits FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: pbx_queue_reports ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.pbx_queue_reports FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: pipeline_health ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.pipeline_health FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: queue_agents ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.queue_agents FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: queue_calls ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.queue_calls FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: queue_config_changes ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.queue_config_changes FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: queue_kpi_15m ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.queue_kpi_15m FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: queue_kpi_1m ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.queue_kpi_1m FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: queue_kpi_hourly ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.queue_kpi_hourly FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: queue_live ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.queue_live FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: queues ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.queues FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: reconciliation_diffs ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.reconciliation_diffs FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: reconciliation_runs ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.reconciliation_runs FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: staffing_intervals ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.staffing_intervals FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: write_dead_letters ts_insert_blocker; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER ts_insert_blocker BEFORE INSERT ON public.write_dead_letters FOR EACH ROW EXECUTE FUNCTION _timescaledb_functions.insert_blocker();


--
-- Name: agent_now; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.agent_now ENABLE ROW LEVEL SECURITY;

--
-- Name: agent_states; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.agent_states ENABLE ROW LEVEL SECURITY;

--
-- Name: agents; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.agents ENABLE ROW LEVEL SECURITY;

--
-- Name: arrival_forecasts; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.arrival_forecasts ENABLE ROW LEVEL SECURITY;

--
-- Name: call_events; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.call_events ENABLE ROW LEVEL SECURITY;

--
-- Name: cdr_dead_letters; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.cdr_dead_letters ENABLE ROW LEVEL SECURITY;

--
-- Name: entry_queue_kpi_1m; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.entry_queue_kpi_1m ENABLE ROW LEVEL SECURITY;

--
-- Name: expected_waits; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.expected_waits ENABLE ROW LEVEL SECURITY;

--
-- Name: pbx_queue_reports; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.pbx_queue_reports ENABLE ROW LEVEL SECURITY;

--
-- Name: pbx_sites; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.pbx_sites ENABLE ROW LEVEL SECURITY;

--
-- Name: pipeline_health; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.pipeline_health ENABLE ROW LEVEL SECURITY;

--
-- Name: queue_agents; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.queue_agents ENABLE ROW LEVEL SECURITY;

--
-- Name: queue_calls; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.queue_calls ENABLE ROW LEVEL SECURITY;

--
-- Name: queue_config_changes; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.queue_config_changes ENABLE ROW LEVEL SECURITY;

--
-- Name: queue_kpi_15m; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.queue_kpi_15m ENABLE ROW LEVEL SECURITY;

--
-- Name: queue_kpi_1m; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.queue_kpi_1m ENABLE ROW LEVEL SECURITY;

--
-- Name: queue_kpi_hourly; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.queue_kpi_hourly ENABLE ROW LEVEL SECURITY;

--
-- Name: queue_live; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.queue_live ENABLE ROW LEVEL SECURITY;

--
-- Name: queue_live_now; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.queue_live_now ENABLE ROW LEVEL SECURITY;

--
-- Name: queue_targets; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.queue_targets ENABLE ROW LEVEL SECURITY;

--
-- Name: agent_now queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.agent_now USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: agent_states queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.agent_states USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: agents queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.agents USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: arrival_forecasts queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.arrival_forecasts USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: call_events queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.call_events USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: cdr_dead_letters queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.cdr_dead_letters USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: entry_queue_kpi_1m queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.entry_queue_kpi_1m USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: expected_waits queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.expected_waits USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: pbx_queue_reports queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.pbx_queue_reports USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: pbx_sites queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.pbx_sites USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: pipeline_health queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.pipeline_health USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: queue_agents queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.queue_agents USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: queue_calls queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.queue_calls USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: queue_config_changes queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.queue_config_changes USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: queue_kpi_15m queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.queue_kpi_15m USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: queue_kpi_1m queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.queue_kpi_1m USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: queue_kpi_hourly queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.queue_kpi_hourly USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: queue_live queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.queue_live USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: queue_live_now queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.queue_live_now USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: queue_targets queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.queue_targets USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: queues queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.queues USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: reconciliation_diffs queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.reconciliation_diffs USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: reconciliation_runs queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.reconciliation_runs USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: staffing_intervals queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.staffing_intervals USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: write_dead_letters queuepulse_tenant_pbx; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY queuepulse_tenant_pbx ON public.write_dead_letters USING (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[])))) WITH CHECK (((( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids) IS NULL) OR (pbx_id = ANY (( SELECT public.queuepulse_tenant_pbx_ids() AS queuepulse_tenant_pbx_ids)::text[]))));


--
-- Name: queues; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.queues ENABLE ROW LEVEL SECURITY;

--
-- Name: reconciliation_diffs; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.reconciliation_diffs ENABLE ROW LEVEL SECURITY;

--
-- Name: reconciliation_runs; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.reconciliation_runs ENABLE ROW LEVEL SECURITY;

--
-- Name: staffing_intervals; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.staffing_intervals ENABLE ROW LEVEL SECURITY;

--
-- Name: write_dead_letters; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.write_dead_letters ENABLE ROW LEVEL SECURITY;

--
-- Name: SCHEMA public; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA public TO queuepulse_reader;
GRANT USAGE ON SCHEMA public TO queuepulse_writer;
GRANT USAGE ON SCHEMA public TO queuepulse_tenant;


--
-- Name: FUNCTION queuepulse_apply_retention(p_keep_live interval, p_keep_health interval, p_keep_events interval, p_keep_facts interval); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.queuepulse_apply_retention(p_keep_live interval, p_keep_health interval, p_keep_events interval, p_keep_facts interval) FROM PUBLIC;
GRANT ALL ON FUNCTION public.queuepulse_apply_retention(p_keep_live interval, p_keep_health interval, p_keep_events interval, p_keep_facts interval) TO queuepulse_retention;


--
-- Name: FUNCTION queuepulse_drop_old_chunks(p_table regclass, p_keep interval); Type: ACL; Schema: public; Owner: -
--

REVOKE ALL ON FUNCTION public.queuepulse_drop_old_chunks(p_table regclass, p_keep interval) FROM PUBLIC;
GRANT ALL ON FUNCTION public.queuepulse_drop_old_chunks(p_table regclass, p_keep interval) TO queuepulse_retention;


--
-- Name: TABLE agent_now; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.agent_now TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.agent_now TO queuepulse_writer;
GRANT SELECT ON TABLE public.agent_now TO queuepulse_tenant_views;


--
-- Name: TABLE agent_states; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.agent_states TO queuepulse_reader;
GRANT SELECT,INSERT,UPDATE ON TABLE public.agent_states TO queuepulse_writer;
GRANT SELECT ON TABLE public.agent_states TO queuepulse_tenant_views;


--
-- Name: TABLE agents; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.agents TO queuepulse_reader;
GRANT SELECT,INSERT,UPDATE ON TABLE public.agents TO queuepulse_writer;
GRANT SELECT ON TABLE public.agents TO queuepulse_tenant_views;


--
-- Name: TABLE agents_current; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.agents_current TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.agents_current TO queuepulse_writer;


--
-- Name: TABLE arrival_forecasts; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.arrival_forecasts TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.arrival_forecasts TO queuepulse_writer;
GRANT SELECT ON TABLE public.arrival_forecasts TO queuepulse_tenant_views;


--
-- Name: TABLE queue_kpi_1m; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.queue_kpi_1m TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.queue_kpi_1m TO queuepulse_writer;
GRANT SELECT ON TABLE public.queue_kpi_1m TO queuepulse_tenant_views;


--
-- Name: TABLE arrival_forecast_accuracy; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.arrival_forecast_accuracy TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.arrival_forecast_accuracy TO queuepulse_writer;


--
-- Name: TABLE call_event_ids; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.call_event_ids TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.call_event_ids TO queuepulse_writer;


--
-- Name: TABLE call_events; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.call_events TO queuepulse_reader;
GRANT SELECT,INSERT,UPDATE ON TABLE public.call_events TO queuepulse_writer;
GRANT SELECT ON TABLE public.call_events TO queuepulse_tenant_views;


--
-- Name: TABLE cdr_dead_letters; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.cdr_dead_letters TO queuepulse_reader;
GRANT SELECT,INSERT,UPDATE ON TABLE public.cdr_dead_letters TO queuepulse_writer;
GRANT SELECT ON TABLE public.cdr_dead_letters TO queuepulse_tenant_views;


--
-- Name: TABLE entry_queue_kpi_1m; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.entry_queue_kpi_1m TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.entry_queue_kpi_1m TO queuepulse_writer;
GRANT SELECT ON TABLE public.entry_queue_kpi_1m TO queuepulse_tenant_views;


--
-- Name: TABLE expected_waits; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.expected_waits TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.expected_waits TO queuepulse_writer;
GRANT SELECT ON TABLE public.expected_waits TO queuepulse_tenant_views;


--
-- Name: TABLE queue_calls; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.queue_calls TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.queue_calls TO queuepulse_writer;
GRANT SELECT ON TABLE public.queue_calls TO queuepulse_tenant_views;


--
-- Name: TABLE expected_wait_accuracy; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.expected_wait_accuracy TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.expected_wait_accuracy TO queuepulse_writer;


--
-- Name: TABLE pipeline_health; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.pipeline_health TO queuepulse_reader;
GRANT SELECT,INSERT,UPDATE ON TABLE public.pipeline_health TO queuepulse_writer;
GRANT SELECT ON TABLE public.pipeline_health TO queuepulse_tenant_views;


--
-- Name: TABLE queues; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.queues TO queuepulse_reader;
GRANT SELECT,INSERT,UPDATE ON TABLE public.queues TO queuepulse_writer;
GRANT SELECT ON TABLE public.queues TO queuepulse_tenant_views;


--
-- Name: TABLE pbx_freshness; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.pbx_freshness TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.pbx_freshness TO queuepulse_writer;


--
-- Name: TABLE pbx_queue_reports; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.pbx_queue_reports TO queuepulse_reader;
GRANT SELECT,INSERT,UPDATE ON TABLE public.pbx_queue_reports TO queuepulse_writer;
GRANT SELECT ON TABLE public.pbx_queue_reports TO queuepulse_tenant_views;


--
-- Name: TABLE pbx_sites; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.pbx_sites TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.pbx_sites TO queuepulse_writer;
GRANT SELECT ON TABLE public.pbx_sites TO queuepulse_tenant_views;


--
-- Name: TABLE queue_agents; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.queue_agents TO queuepulse_reader;
GRANT SELECT,INSERT,UPDATE ON TABLE public.queue_agents TO queuepulse_writer;
GRANT SELECT ON TABLE public.queue_agents TO queuepulse_tenant_views;


--
-- Name: TABLE queue_agents_current; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.queue_agents_current TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.queue_agents_current TO queuepulse_writer;


--
-- Name: TABLE queue_config_changes; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.queue_config_changes TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.queue_config_changes TO queuepulse_writer;
GRANT SELECT ON TABLE public.queue_config_changes TO queuepulse_tenant_views;


--
-- Name: TABLE queue_kpi_15m; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.queue_kpi_15m TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.queue_kpi_15m TO queuepulse_writer;
GRANT SELECT ON TABLE public.queue_kpi_15m TO queuepulse_tenant_views;


--
-- Name: TABLE queue_kpi_hourly; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.queue_kpi_hourly TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.queue_kpi_hourly TO queuepulse_writer;
GRANT SELECT ON TABLE public.queue_kpi_hourly TO queuepulse_tenant_views;


--
-- Name: TABLE queue_live; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.queue_live TO queuepulse_reader;
GRANT SELECT,INSERT,UPDATE ON TABLE public.queue_live TO queuepulse_writer;
GRANT SELECT ON TABLE public.queue_live TO queuepulse_tenant_views;


--
-- Name: TABLE queue_live_now; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.queue_live_now TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.queue_live_now TO queuepulse_writer;
GRANT SELECT ON TABLE public.queue_live_now TO queuepulse_tenant_views;


--
-- Name: TABLE queue_now; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.queue_now TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.queue_now TO queuepulse_writer;


--
-- Name: TABLE queue_targets; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.queue_targets TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.queue_targets TO queuepulse_writer;
GRANT SELECT ON TABLE public.queue_targets TO queuepulse_tenant_views;


--
-- Name: TABLE queue_targets_effective; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.queue_targets_effective TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.queue_targets_effective TO queuepulse_writer;


--
-- Name: TABLE queuepulse_migrations; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.queuepulse_migrations TO queuepulse_reader;
GRANT SELECT ON TABLE public.queuepulse_migrations TO queuepulse_writer;


--
-- Name: TABLE queues_current; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.queues_current TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.queues_current TO queuepulse_writer;


--
-- Name: TABLE reconciliation_diffs; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.reconciliation_diffs TO queuepulse_reader;
GRANT SELECT,INSERT,UPDATE ON TABLE public.reconciliation_diffs TO queuepulse_writer;
GRANT SELECT ON TABLE public.reconciliation_diffs TO queuepulse_tenant_views;


--
-- Name: TABLE reconciliation_runs; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.reconciliation_runs TO queuepulse_reader;
GRANT SELECT,INSERT,UPDATE ON TABLE public.reconciliation_runs TO queuepulse_writer;
GRANT SELECT ON TABLE public.reconciliation_runs TO queuepulse_tenant_views;


--
-- Name: TABLE report_abandon_curve; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.report_abandon_curve TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.report_abandon_curve TO queuepulse_writer;


--
-- Name: TABLE report_agent_daily; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.report_agent_daily TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.report_agent_daily TO queuepulse_writer;


--
-- Name: TABLE report_ours_vs_pbx; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.report_ours_vs_pbx TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.report_ours_vs_pbx TO queuepulse_writer;


--
-- Name: TABLE report_queue_daily; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.report_queue_daily TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.report_queue_daily TO queuepulse_writer;


--
-- Name: TABLE report_queue_interval; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.report_queue_interval TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.report_queue_interval TO queuepulse_writer;


--
-- Name: TABLE report_service_level_curve; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.report_service_level_curve TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.report_service_level_curve TO queuepulse_writer;


--
-- Name: TABLE staffing_intervals; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.staffing_intervals TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.staffing_intervals TO queuepulse_writer;
GRANT SELECT ON TABLE public.staffing_intervals TO queuepulse_tenant_views;


--
-- Name: TABLE waiting_expected_wait; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.waiting_expected_wait TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.waiting_expected_wait TO queuepulse_writer;


--
-- Name: TABLE write_dead_letters; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.write_dead_letters TO queuepulse_reader;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.write_dead_letters TO queuepulse_writer;
GRANT SELECT ON TABLE public.write_dead_letters TO queuepulse_tenant_views;


--
-- Name: DEFAULT PRIVILEGES FOR TABLES; Type: DEFAULT ACL; Schema: public; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT,INSERT,DELETE,UPDATE ON TABLES  TO queuepulse_writer;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT SELECT ON TABLES  TO queuepulse_reader;


--
-- PostgreSQL database dump complete
--


-- hypertables (table, time column, chunk interval)
-- agent_states ts 7 days
-- agents valid_from 365 days
-- arrival_forecasts interval_start 7 days
-- call_events occurred_at 1 day
-- cdr_dead_letters received_at 7 days
-- entry_queue_kpi_1m bucket 7 days
-- expected_waits predicted_at 1 day
-- pbx_queue_reports period_from 30 days
-- pipeline_health ts 1 day
-- queue_agents valid_from 365 days
-- queue_calls entered_at 1 day
-- queue_config_changes changed_at 30 days
-- queue_kpi_15m bucket 30 days
-- queue_kpi_1m bucket 7 days
-- queue_kpi_hourly bucket 30 days
-- queue_live ts 1 day
-- queues valid_from 365 days
-- reconciliation_diffs detected_at 7 days
-- reconciliation_runs started_at 30 days
-- staffing_intervals interval_start 7 days
-- write_dead_letters dead_at 30 days
-- jobs (procedure, table, schedule)
