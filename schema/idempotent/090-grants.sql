-- queuepulse idempotent: privileges. Runs last, so it covers every table and view created before.
GRANT USAGE ON SCHEMA public TO queuepulse_reader, queuepulse_writer;

GRANT SELECT ON ALL TABLES IN SCHEMA public TO queuepulse_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO queuepulse_writer;
-- The migration ledger is the migrator's alone.
REVOKE INSERT, UPDATE, DELETE ON queuepulse_migrations FROM queuepulse_writer;
-- Least privilege: the pipeline deletes only what it may replace (live queue visits proven extra
-- by the CDR, KPI buckets it recomputes). Everything else is history it appends to or upserts:
-- no DELETE (retention drops old chunks as the owner / queuepulse_retention instead).
DO $$
DECLARE
    history text;
BEGIN
    FOREACH history IN ARRAY ARRAY[
        'call_events', 'queue_live', 'agent_states', 'pipeline_health', 'queues', 'agents',
        'queue_agents', 'reconciliation_runs', 'reconciliation_diffs', 'cdr_dead_letters',
        'pbx_queue_reports'
    ] LOOP
        IF to_regclass('public.' || history) IS NOT NULL THEN
            EXECUTE format('REVOKE DELETE, TRUNCATE ON public.%I FROM queuepulse_writer', history);
        END IF;
    END LOOP;
END
$$;

-- A reconciled queue visit (source 'cdr') is the call history's truth: the writer replaces live
-- visits, never deletes a reconciled one (the owner and retention may).
CREATE OR REPLACE FUNCTION queuepulse_keep_reconciled_visits()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
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
DROP TRIGGER IF EXISTS queuepulse_keep_reconciled_visits ON queue_calls;
CREATE TRIGGER queuepulse_keep_reconciled_visits
    BEFORE DELETE ON queue_calls
    FOR EACH ROW EXECUTE FUNCTION queuepulse_keep_reconciled_visits();
COMMENT ON FUNCTION queuepulse_keep_reconciled_visits() IS
    'Trigger on queue_calls: members of queuepulse_writer may not delete reconciled (cdr) visits.';

-- Tables and views the migrating role creates later get the same privileges.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO queuepulse_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO queuepulse_writer;
