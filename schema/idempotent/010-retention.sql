-- queuepulse idempotent: retention through drop_chunks, for every TimescaleDB licence.
-- `queuepulse db retention` (or a flow given QUEUEPULSE_DB__RETENTION_DSN) calls
-- queuepulse_apply_retention() daily; on the Timescale-licensed build the retention policies of
-- 030-licensed-policies.sql do the same job in the background.
-- Least privilege: only the owner and members of queuepulse_retention may run these functions.
-- The writer (the pipeline) may not: a leaked writer password must not be able to drop history.

-- Drop the chunks of one queuepulse fact hypertable whose data is all older than p_keep.
-- Dimensions (queues, agents, queue_agents) are refused: their history is never dropped.
CREATE OR REPLACE FUNCTION queuepulse_drop_old_chunks(p_table regclass, p_keep interval)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
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

-- Apply the default retention to every fact table; returns the chunks dropped per table.
CREATE OR REPLACE FUNCTION queuepulse_apply_retention(
    p_keep_live   interval DEFAULT INTERVAL '30 days',
    p_keep_health interval DEFAULT INTERVAL '30 days',
    p_keep_events interval DEFAULT INTERVAL '365 days',
    p_keep_facts  interval DEFAULT INTERVAL '730 days'
)
RETURNS TABLE (hypertable text, keep interval, dropped_chunks integer)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
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

REVOKE ALL ON FUNCTION queuepulse_drop_old_chunks(regclass, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION queuepulse_apply_retention(interval, interval, interval, interval) FROM PUBLIC;
-- Earlier versions granted these to the writer: take that back on upgrade.
REVOKE ALL ON FUNCTION queuepulse_drop_old_chunks(regclass, interval) FROM queuepulse_writer;
REVOKE ALL ON FUNCTION queuepulse_apply_retention(interval, interval, interval, interval)
    FROM queuepulse_writer;
GRANT EXECUTE ON FUNCTION queuepulse_drop_old_chunks(regclass, interval) TO queuepulse_retention;
GRANT EXECUTE ON FUNCTION queuepulse_apply_retention(interval, interval, interval, interval)
    TO queuepulse_retention;
