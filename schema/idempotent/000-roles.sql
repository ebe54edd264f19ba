-- queuepulse idempotent: group roles (cluster-wide, NOLOGIN). Re-run on every upgrade.
-- Log-in roles are made members of these, e.g.:
--   CREATE ROLE grafana LOGIN PASSWORD '...' IN ROLE queuepulse_reader;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'queuepulse_writer') THEN
        CREATE ROLE queuepulse_writer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'queuepulse_reader') THEN
        CREATE ROLE queuepulse_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'queuepulse_retention') THEN
        CREATE ROLE queuepulse_retention NOLOGIN;
    END IF;
END
$$;
COMMENT ON ROLE queuepulse_writer IS 'queuepulse pipeline: reads and writes the public tables';
COMMENT ON ROLE queuepulse_reader IS 'Grafana and analysts: read-only on the public tables';
COMMENT ON ROLE queuepulse_retention IS
    'retention jobs: may run queuepulse_apply_retention() / queuepulse_drop_old_chunks() only';
