-- queuepulse:requires-license=timescale
-- queuepulse idempotent: compression and retention policies. Only on the Timescale-licensed build
-- (timescaledb.license = 'timescale', as in the official container image); the runner skips this
-- file on the Apache build, where queuepulse_apply_retention() does the retention.
-- Every unique key's columns are in segmentby or orderby, so upserts into compressed chunks
-- (late corrections) find their row without decompressing whole segments.
DO $$
DECLARE
    spec record;
    enabled boolean;
BEGIN
    FOR spec IN
        SELECT * FROM (VALUES
            ('call_events', 'pbx_id', 'occurred_at DESC, event_id', INTERVAL '7 days', INTERVAL '365 days'),
            ('queue_calls', 'pbx_id, queue_dn', 'entered_at DESC, call_key', INTERVAL '30 days', INTERVAL '730 days'),
            ('queue_kpi_1m', 'pbx_id, queue_dn', 'bucket DESC', INTERVAL '7 days', INTERVAL '730 days'),
            ('entry_queue_kpi_1m', 'pbx_id, queue_dn', 'bucket DESC', INTERVAL '7 days', INTERVAL '730 days'),
            ('queue_live', 'pbx_id, queue_dn', 'ts DESC', INTERVAL '1 day', INTERVAL '30 days'),
            ('agent_states', 'pbx_id, agent_dn', 'ts DESC', INTERVAL '7 days', INTERVAL '730 days'),
            ('pipeline_health', 'pbx_id, component', 'ts DESC', INTERVAL '1 day', INTERVAL '30 days')
        ) AS s(tbl, segmentby, orderby, compress_after, drop_after)
        WHERE to_regclass('public.' || s.tbl) IS NOT NULL
    LOOP
        SELECT h.compression_enabled INTO enabled
            FROM timescaledb_information.hypertables h
            WHERE h.hypertable_schema = 'public' AND h.hypertable_name = spec.tbl;
        IF NOT coalesce(enabled, false) THEN
            EXECUTE format(
                'ALTER TABLE %I SET (timescaledb.compress, timescaledb.compress_segmentby = %L, '
                'timescaledb.compress_orderby = %L)',
                spec.tbl, spec.segmentby, spec.orderby);
        END IF;
        PERFORM add_compression_policy(
            spec.tbl::regclass, compress_after => spec.compress_after, if_not_exists => true);
        PERFORM add_retention_policy(
            spec.tbl::regclass, drop_after => spec.drop_after, if_not_exists => true);
    END LOOP;
END
$$;
