-- queuepulse schema 005: the audit of queue configuration changes made by `queuepulse queues`.
-- Released: never edit this file; add a new numbered file instead.
--
-- One row per field of every change `queues apply` made or tried (create, update, delete) and
-- per agent `queues agents login|logout`. A hypertable on changed_at like every public table;
-- it is not in the retention functions: an audit trail is kept for as long as the database.
CREATE TABLE queue_config_changes (
    change_id    text        NOT NULL,
    changed_at   timestamptz NOT NULL,
    pbx_id       text        NOT NULL,
    client_id    text        NOT NULL,
    run_id       text        NOT NULL,
    queue_dn     text,
    agent_dn     text,
    action       text        NOT NULL,
    field        text,
    old_value    jsonb,
    new_value    jsonb,
    outcome      text        NOT NULL,
    error        text,
    CONSTRAINT queue_config_changes_key UNIQUE (change_id, changed_at),
    CONSTRAINT queue_config_changes_action CHECK (
        action IN ('create', 'update', 'delete', 'agent_login', 'agent_logout')),
    CONSTRAINT queue_config_changes_outcome CHECK (
        outcome IN ('applied', 'failed', 'refused', 'not_attempted', 'unknown'))
);
SELECT create_hypertable('queue_config_changes', by_range('changed_at', INTERVAL '30 days'));
CREATE INDEX queue_config_changes_pbx_queue_idx
    ON queue_config_changes (pbx_id, queue_dn, changed_at DESC);

COMMENT ON TABLE queue_config_changes IS
    'Audit of queue configuration changes made through the XAPI by queuepulse queues apply and '
    'queues agents login/logout: one row per field changed (or tried), never deleted.';
COMMENT ON COLUMN queue_config_changes.change_id IS 'Unique id of this row (UUID text).';
COMMENT ON COLUMN queue_config_changes.changed_at IS
    'When the write was sent to the PBX (UTC).';
COMMENT ON COLUMN queue_config_changes.pbx_id IS 'The PBX written to.';
COMMENT ON COLUMN queue_config_changes.client_id IS
    'Who: the XAPI client id (3CX API service account) the change was made with.';
COMMENT ON COLUMN queue_config_changes.run_id IS
    'One apply or login/logout command: every row it wrote shares this id (UUID text).';
COMMENT ON COLUMN queue_config_changes.queue_dn IS
    'Extension number of the queue changed (NULL for an agent login/logout).';
COMMENT ON COLUMN queue_config_changes.agent_dn IS
    'Extension number of the agent logged in or out (NULL for queue changes).';
COMMENT ON COLUMN queue_config_changes.action IS
    'create, update or delete (a queue); agent_login or agent_logout (an agent''s QueueStatus).';
COMMENT ON COLUMN queue_config_changes.field IS
    'The queues-file key changed (sla_time, agents...); QueueStatus for logins; NULL for a delete.';
COMMENT ON COLUMN queue_config_changes.old_value IS
    'Value on the PBX before (JSON; seconds for times; members as extension numbers).';
COMMENT ON COLUMN queue_config_changes.new_value IS 'Value written (JSON, same units).';
COMMENT ON COLUMN queue_config_changes.outcome IS
    'applied; failed (the PBX refused or did not answer); refused (by queuepulse, e.g. calls '
    'waiting in a queue to delete); not_attempted (an earlier change failed or the queue changed '
    'since the plan); unknown (no answer and the read-back failed).';
COMMENT ON COLUMN queue_config_changes.error IS 'Why it failed or was refused (no secrets).';
