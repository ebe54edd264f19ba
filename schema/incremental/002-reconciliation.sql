-- queuepulse schema 002: reconciliation against the PBX's CDR and its own reports (first shape).
-- Released: never edit this file; add a new numbered file instead.

-- One row per reconciliation run over a period.
CREATE TABLE reconciliation_runs (
    run_id       uuid        NOT NULL,
    pbx_id       text        NOT NULL,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    period_from  timestamptz NOT NULL,
    period_to    timestamptz NOT NULL,
    status       text        NOT NULL DEFAULT 'running',
    cdr_rows     integer     NOT NULL DEFAULT 0,
    matched      integer     NOT NULL DEFAULT 0,
    corrected    integer     NOT NULL DEFAULT 0,
    inserted     integer     NOT NULL DEFAULT 0,
    diffs        integer     NOT NULL DEFAULT 0,
    dead_letters integer     NOT NULL DEFAULT 0,
    error        text,
    details      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT reconciliation_runs_key UNIQUE (run_id, started_at),
    CONSTRAINT reconciliation_runs_status_check CHECK (status IN ('running', 'ok', 'failed'))
);
SELECT create_hypertable('reconciliation_runs', by_range('started_at', INTERVAL '30 days'));
CREATE INDEX reconciliation_runs_pbx_idx ON reconciliation_runs (pbx_id, started_at DESC);

-- What a run found different between the live view and the CDR, and what it did about it.
CREATE TABLE reconciliation_diffs (
    diff_id     uuid        NOT NULL,
    run_id      uuid        NOT NULL,
    pbx_id      text        NOT NULL,
    detected_at timestamptz NOT NULL,
    call_key    text,
    queue_dn    text,
    entered_at  timestamptz,
    field       text        NOT NULL,
    live_value  text,
    cdr_value   text,
    action      text        NOT NULL,
    CONSTRAINT reconciliation_diffs_key UNIQUE (diff_id, detected_at),
    CONSTRAINT reconciliation_diffs_action_check
        CHECK (action IN ('corrected', 'inserted', 'flagged'))
);
SELECT create_hypertable('reconciliation_diffs', by_range('detected_at', INTERVAL '7 days'));
CREATE INDEX reconciliation_diffs_run_idx ON reconciliation_diffs (run_id, detected_at);
CREATE INDEX reconciliation_diffs_call_idx ON reconciliation_diffs (pbx_id, call_key, detected_at);

-- CDR rows that could not be parsed or matched, kept verbatim for a human.
CREATE TABLE cdr_dead_letters (
    letter_id   uuid        NOT NULL,
    pbx_id      text        NOT NULL,
    received_at timestamptz NOT NULL,
    run_id      uuid,
    endpoint    text        NOT NULL,
    reason      text        NOT NULL,
    body        jsonb       NOT NULL,
    CONSTRAINT cdr_dead_letters_key UNIQUE (letter_id, received_at)
);
SELECT create_hypertable('cdr_dead_letters', by_range('received_at', INTERVAL '7 days'));
CREATE INDEX cdr_dead_letters_pbx_idx ON cdr_dead_letters (pbx_id, received_at DESC);

-- 3CX's own report figures per queue and period (e.g. StatisticSla), kept beside ours, named.
CREATE TABLE pbx_queue_reports (
    pbx_id          text        NOT NULL,
    report          text        NOT NULL,
    queue_dn        text        NOT NULL,
    period_from     timestamptz NOT NULL,
    period_to       timestamptz NOT NULL,
    fetched_at      timestamptz NOT NULL,
    received_count  integer,
    answered_count  integer,
    abandoned_count integer,
    bad_sla_count   integer,
    sla_pct         double precision,
    figures         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT pbx_queue_reports_key UNIQUE (pbx_id, report, queue_dn, period_from, period_to)
);
SELECT create_hypertable('pbx_queue_reports', by_range('period_from', INTERVAL '30 days'));
