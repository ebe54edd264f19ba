-- queuepulse idempotent: the names renamed in 0.2 stay readable until 0.3.
--
-- Schema queuepulse_compat holds one view per renamed relation, named like it, with every column
-- of the relation plus the old names:
--   queue_calls.caller            = caller_number and caller_name joined by a space (as stored
--                                   before 0.2: the number, then the name), NULL when both are
--   queue_kpi_1m.aht_s,
--   entry_queue_kpi_1m.aht_s      = avg_talk_s (talk time only; it was never a handle time)
--   queue_kpi_1h/1d, entry_queue_kpi_1h/1d (Timescale-licensed build): aht_s = avg_talk_s
-- `SET search_path = queuepulse_compat, public` keeps an old query working unchanged.
-- The views are security_invoker: they read the tables with the querying role's rights and
-- row-level security (a tenant, who holds no grant on the public tables, reads none of them).
-- The column lists are explicit, so a column added to a table later does not break
-- CREATE OR REPLACE VIEW; new columns are appended at the end of a view's list.
-- Runs before 090-grants.sql; the grants of this schema are here.

CREATE SCHEMA IF NOT EXISTS queuepulse_compat;
COMMENT ON SCHEMA queuepulse_compat IS
    'Names renamed in queuepulse 0.2, readable until 0.3: SET search_path = queuepulse_compat, '
    'public keeps old queries working.';

CREATE OR REPLACE VIEW queuepulse_compat.queue_calls WITH (security_invoker = true) AS
SELECT q.pbx_id, q.call_key, q.call_id, q.queue_dn, q.entered_at, q.answered_at, q.ended_at,
       q.outcome, q.wait_s, q.talk_s, q.agent_dn, q.caller_number, q.caller_name,
       q.entry_queue_dn, q.visit_seq, q.end_uncertainty_s, q.source, q.reconciled_at,
       q.updated_at,
       nullif(concat_ws(' ', q.caller_number, q.caller_name), '') AS caller
FROM public.queue_calls q;
COMMENT ON VIEW queuepulse_compat.queue_calls IS
    'public.queue_calls with its pre-0.2 column caller (until 0.3).';
COMMENT ON COLUMN queuepulse_compat.queue_calls.caller IS
    'Before 0.2: caller_number and caller_name joined by a space; NULL when both are NULL.';

CREATE OR REPLACE VIEW queuepulse_compat.queue_kpi_1m WITH (security_invoker = true) AS
SELECT k.pbx_id, k.queue_dn, k.bucket, k.offered, k.answered, k.abandoned, k.short_abandoned,
       k.transferred, k.answered_in_sla, k.sla_pct, k.asa_s, k.max_wait_s, k.avg_talk_s,
       k.wait_answered_s_sum, k.wait_abandoned_s_sum, k.talk_s_sum, k.talk_count,
       k.updated_at,
       k.avg_talk_s AS aht_s
FROM public.queue_kpi_1m k;
COMMENT ON VIEW queuepulse_compat.queue_kpi_1m IS
    'public.queue_kpi_1m with its pre-0.2 column aht_s (until 0.3).';
COMMENT ON COLUMN queuepulse_compat.queue_kpi_1m.aht_s IS
    'Before 0.2: avg_talk_s (average talk time, seconds; talk only, not handle time).';

CREATE OR REPLACE VIEW queuepulse_compat.entry_queue_kpi_1m WITH (security_invoker = true) AS
SELECT k.pbx_id, k.queue_dn, k.bucket, k.offered, k.answered, k.abandoned, k.short_abandoned,
       k.transferred, k.answered_in_sla, k.sla_pct, k.asa_s, k.max_wait_s, k.avg_talk_s,
       k.wait_answered_s_sum, k.wait_abandoned_s_sum, k.talk_s_sum, k.talk_count,
       k.updated_at,
       k.avg_talk_s AS aht_s
FROM public.entry_queue_kpi_1m k;
COMMENT ON VIEW queuepulse_compat.entry_queue_kpi_1m IS
    'public.entry_queue_kpi_1m with its pre-0.2 column aht_s (until 0.3).';
COMMENT ON COLUMN queuepulse_compat.entry_queue_kpi_1m.aht_s IS
    'Before 0.2: avg_talk_s (average talk time, seconds; talk only, not handle time).';

-- The continuous aggregates of the Timescale-licensed build (their columns never change).
DO $$
DECLARE
    cagg text;
BEGIN
    FOREACH cagg IN ARRAY ARRAY['queue_kpi_1h', 'queue_kpi_1d', 'entry_queue_kpi_1h',
                                'entry_queue_kpi_1d'] LOOP
        IF to_regclass('public.' || cagg) IS NOT NULL THEN
            EXECUTE format(
                'CREATE OR REPLACE VIEW queuepulse_compat.%I WITH (security_invoker = true) AS '
                'SELECT c.*, c.avg_talk_s AS aht_s FROM public.%I c', cagg, cagg);
            EXECUTE format('COMMENT ON VIEW queuepulse_compat.%I IS %L', cagg,
                           format('public.%s with its pre-0.2 column aht_s (until 0.3).', cagg));
        END IF;
    END LOOP;
END
$$;

GRANT USAGE ON SCHEMA queuepulse_compat TO queuepulse_reader, queuepulse_writer;
GRANT SELECT ON ALL TABLES IN SCHEMA queuepulse_compat TO queuepulse_reader, queuepulse_writer;
