-- queuepulse schema 007: rows the database refused, and one copy of each lifecycle event id.
-- Released: never edit this file; add a new numbered file instead.

-- A row the database refused for its data (a value it cannot hold, a broken constraint), isolated
-- from its batch by the live flow's writer so that the rest of the batch is written. The row is
-- kept as JSON text (its values as the writer had them), for an operator to read and replay.
CREATE TABLE write_dead_letters (
    dead_at     timestamptz NOT NULL,
    letter_id   uuid        NOT NULL,
    table_name  text        NOT NULL,
    pbx_id      text,
    reason      text        NOT NULL,
    sqlstate    text,
    row_json    text        NOT NULL,
    truncated   boolean     NOT NULL DEFAULT false,
    CONSTRAINT write_dead_letters_key UNIQUE (letter_id, dead_at)
);
SELECT create_hypertable('write_dead_letters', by_range('dead_at', INTERVAL '30 days'));
CREATE INDEX write_dead_letters_table_idx ON write_dead_letters (table_name, dead_at DESC);

COMMENT ON TABLE write_dead_letters IS
    'Rows the database refused for their data, isolated from their batch (the rest was written).';
COMMENT ON COLUMN write_dead_letters.dead_at IS 'When the row was refused (UTC).';
COMMENT ON COLUMN write_dead_letters.letter_id IS 'Random id of this dead letter.';
COMMENT ON COLUMN write_dead_letters.table_name IS 'The table the row was meant for.';
COMMENT ON COLUMN write_dead_letters.pbx_id IS 'The PBX of the row, when it has one (cleaned).';
COMMENT ON COLUMN write_dead_letters.reason IS 'Why it was refused: the database error, first line.';
COMMENT ON COLUMN write_dead_letters.sqlstate IS
    'The PostgreSQL SQLSTATE of the refusal; NULL when the client refused to send the value.';
COMMENT ON COLUMN write_dead_letters.row_json IS
    'The row as JSON text (NUL and other control characters escaped as \u0000 ...), cut at 64 KiB.';
COMMENT ON COLUMN write_dead_letters.truncated IS 'True when row_json was cut at 64 KiB.';

-- One copy of each lifecycle event id. call_events is a hypertable, so its unique key must hold
-- occurred_at: an event re-derived after a crash with another occurred_at would be a second row.
-- This plain table (not a hypertable: its key is the id alone, which a hypertable cannot make
-- unique) claims each id once; the writer inserts an event only when it claimed its id. Old
-- ids are deleted with their events by queuepulse_apply_retention().
CREATE TABLE call_event_ids (
    event_id    uuid        NOT NULL PRIMARY KEY,
    occurred_at timestamptz NOT NULL
);
CREATE INDEX call_event_ids_occurred_idx ON call_event_ids (occurred_at);
INSERT INTO call_event_ids (event_id, occurred_at)
SELECT DISTINCT ON (event_id) event_id, occurred_at FROM call_events
ORDER BY event_id, occurred_at
ON CONFLICT DO NOTHING;

COMMENT ON TABLE call_event_ids IS
    'Each call_events id once (the first copy stored wins); not a hypertable: its key is the id alone.';
COMMENT ON COLUMN call_event_ids.event_id IS 'The event id (UUIDv5), as in call_events.';
COMMENT ON COLUMN call_event_ids.occurred_at IS
    'occurred_at of the stored copy (UTC); retention deletes ids with their events.';
