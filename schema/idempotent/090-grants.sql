-- queuepulse idempotent: privileges. Runs last, so it covers every table and view created before.
GRANT USAGE ON SCHEMA public TO queuepulse_reader, queuepulse_writer;

GRANT SELECT ON ALL TABLES IN SCHEMA public TO queuepulse_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO queuepulse_writer;
-- The migration ledger is the migrator's alone.
REVOKE INSERT, UPDATE, DELETE ON queuepulse_migrations FROM queuepulse_writer;

-- Tables and views the migrating role creates later get the same privileges.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO queuepulse_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO queuepulse_writer;
