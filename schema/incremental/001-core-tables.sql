-- queuepulse schema 001: the public tables of the analyst contract (docs/schema.md).
-- Released: never edit this file; add a new numbered file instead.
-- Every table is a hypertable. Unique constraints are the natural keys the pipeline upserts on
-- (a hypertable's unique index must include its time column).

CREATE EXTENSION IF NOT EXISTS timescaledb;

-- Every lifecycle event the live flow derives, keyed by a deterministic UUIDv5.
CREATE TABLE call_events (
    event_id     uuid        NOT NULL,
    pbx_id       text        NOT NULL,
    call_key     text        NOT NULL,
    call_id      bigint,
    event_type   text        NOT NULL,
    occurred_at  timestamptz NOT NULL,
    observed_at  timestamptz NOT NULL,
    queue_dn     text,
    agent_dn     text,
    status       text,
    details      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT call_events_key UNIQUE (event_id, occurred_at)
);
SELECT create_hypertable('call_events', by_range('occurred_at', INTERVAL '1 day'));
CREATE INDEX call_events_call_idx ON call_events (pbx_id, call_key, occurred_at DESC);
CREATE INDEX call_events_queue_idx ON call_events (pbx_id, queue_dn, occurred_at DESC)
    WHERE queue_dn IS NOT NULL;
CREATE INDEX call_events_type_idx ON call_events (pbx_id, event_type, occurred_at DESC);

-- One row per queue visit of a call; progressing visits are upserted on the natural key.
CREATE TABLE queue_calls (
    pbx_id            text        NOT NULL,
    call_key          text        NOT NULL,
    call_id           bigint,
    queue_dn          text        NOT NULL,
    entered_at        timestamptz NOT NULL,
    answered_at       timestamptz,
    ended_at          timestamptz,
    outcome           text        NOT NULL DEFAULT 'waiting',
    wait_s            double precision,
    talk_s            double precision,
    agent_dn          text,
    caller            text,
    entry_queue_dn    text,
    visit_seq         integer,
    end_uncertainty_s double precision,
    source            text        NOT NULL DEFAULT 'live',
    reconciled_at     timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT queue_calls_key UNIQUE (pbx_id, call_key, queue_dn, entered_at),
    CONSTRAINT queue_calls_outcome_check
        CHECK (outcome IN ('waiting', 'answered', 'abandoned', 'transferred')),
    CONSTRAINT queue_calls_source_check CHECK (source IN ('live', 'cdr'))
);
SELECT create_hypertable('queue_calls', by_range('entered_at', INTERVAL '1 day'));
CREATE INDEX queue_calls_queue_idx ON queue_calls (pbx_id, queue_dn, entered_at DESC);
CREATE INDEX queue_calls_waiting_idx ON queue_calls (pbx_id, queue_dn, entered_at)
    WHERE outcome = 'waiting';
CREATE INDEX queue_calls_agent_idx ON queue_calls (pbx_id, agent_dn, entered_at DESC)
    WHERE agent_dn IS NOT NULL;
CREATE INDEX queue_calls_entry_idx ON queue_calls (pbx_id, entry_queue_dn, entered_at DESC)
    WHERE entry_queue_dn IS NOT NULL;

-- Per-minute KPIs per queue. The *_sum and talk_count columns make sums over any period exact.
CREATE TABLE queue_kpi_1m (
    pbx_id             text        NOT NULL,
    queue_dn           text        NOT NULL,
    bucket             timestamptz NOT NULL,
    offered            integer     NOT NULL DEFAULT 0,
    answered           integer     NOT NULL DEFAULT 0,
    abandoned          integer     NOT NULL DEFAULT 0,
    short_abandoned    integer     NOT NULL DEFAULT 0,
    transferred        integer     NOT NULL DEFAULT 0,
    answered_in_sla    integer     NOT NULL DEFAULT 0,
    sla_pct            double precision,
    asa_s              double precision,
    max_wait_s         double precision,
    aht_s              double precision,
    wait_answered_s_sum double precision NOT NULL DEFAULT 0,
    wait_abandoned_s_sum double precision NOT NULL DEFAULT 0,
    talk_s_sum         double precision NOT NULL DEFAULT 0,
    talk_count         integer     NOT NULL DEFAULT 0,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT queue_kpi_1m_key UNIQUE (pbx_id, queue_dn, bucket)
);
SELECT create_hypertable('queue_kpi_1m', by_range('bucket', INTERVAL '7 days'));
CREATE INDEX queue_kpi_1m_pbx_bucket_idx ON queue_kpi_1m (pbx_id, bucket DESC);

-- Live gauges per queue, one row per queue per poll tick.
CREATE TABLE queue_live (
    pbx_id           text        NOT NULL,
    queue_dn         text        NOT NULL,
    ts               timestamptz NOT NULL,
    waiting          integer     NOT NULL DEFAULT 0,
    longest_wait_s   double precision,
    talking          integer     NOT NULL DEFAULT 0,
    agents_logged_in integer,
    agents_talking   integer,
    agents_free      integer,
    CONSTRAINT queue_live_key UNIQUE (pbx_id, queue_dn, ts)
);
SELECT create_hypertable('queue_live', by_range('ts', INTERVAL '1 day'));
CREATE INDEX queue_live_pbx_ts_idx ON queue_live (pbx_id, ts DESC);

-- Agent state timeline, one row per change.
CREATE TABLE agent_states (
    pbx_id       text        NOT NULL,
    agent_dn     text        NOT NULL,
    ts           timestamptz NOT NULL,
    queue_status text,
    profile      text,
    registered   boolean,
    on_call      boolean,
    CONSTRAINT agent_states_key UNIQUE (pbx_id, agent_dn, ts)
);
SELECT create_hypertable('agent_states', by_range('ts', INTERVAL '7 days'));
CREATE INDEX agent_states_pbx_ts_idx ON agent_states (pbx_id, ts DESC);

-- The pipeline's own health, one row per PBX, component and reporting interval.
CREATE TABLE pipeline_health (
    pbx_id          text        NOT NULL,
    component       text        NOT NULL DEFAULT 'live',
    ts              timestamptz NOT NULL,
    poll_latency_ms double precision,
    polls           integer     NOT NULL DEFAULT 0,
    errors          integer     NOT NULL DEFAULT 0,
    error_kind      text,
    stale_polls     integer     NOT NULL DEFAULT 0,
    gaps            integer     NOT NULL DEFAULT 0,
    gap_s           double precision,
    lag_s           double precision,
    rows_written    integer     NOT NULL DEFAULT 0,
    write_errors    integer     NOT NULL DEFAULT 0,
    token_failures  integer     NOT NULL DEFAULT 0,
    breaker_state   text,
    skew_s          double precision,
    details         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT pipeline_health_key UNIQUE (pbx_id, component, ts)
);
SELECT create_hypertable('pipeline_health', by_range('ts', INTERVAL '1 day'));
CREATE INDEX pipeline_health_pbx_ts_idx ON pipeline_health (pbx_id, ts DESC);

-- Dimensions with validity times (SCD type 2): a change closes the open row (valid_to) and
-- opens a new one, so history joins to the configuration of its day. valid_to IS NULL = current.
CREATE TABLE queues (
    pbx_id           text        NOT NULL,
    queue_dn         text        NOT NULL,
    valid_from       timestamptz NOT NULL,
    valid_to         timestamptz,
    queue_id         bigint,
    name             text,
    sla_time_s       integer,
    polling_strategy text,
    max_callers      integer,
    ring_timeout_s   integer,
    master_timeout_s integer,
    wrap_up_time_s   integer,
    priority_queue   boolean,
    details          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT queues_key UNIQUE (pbx_id, queue_dn, valid_from),
    CONSTRAINT queues_validity_check CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
SELECT create_hypertable('queues', by_range('valid_from', INTERVAL '365 days'));
CREATE INDEX queues_current_idx ON queues (pbx_id, queue_dn) WHERE valid_to IS NULL;

CREATE TABLE agents (
    pbx_id       text        NOT NULL,
    agent_dn     text        NOT NULL,
    valid_from   timestamptz NOT NULL,
    valid_to     timestamptz,
    user_id      bigint,
    first_name   text,
    last_name    text,
    display_name text,
    enabled      boolean,
    details      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT agents_key UNIQUE (pbx_id, agent_dn, valid_from),
    CONSTRAINT agents_validity_check CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
SELECT create_hypertable('agents', by_range('valid_from', INTERVAL '365 days'));
CREATE INDEX agents_current_idx ON agents (pbx_id, agent_dn) WHERE valid_to IS NULL;

CREATE TABLE queue_agents (
    pbx_id      text        NOT NULL,
    queue_dn    text        NOT NULL,
    agent_dn    text        NOT NULL,
    valid_from  timestamptz NOT NULL,
    valid_to    timestamptz,
    skill_group text,
    details     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT queue_agents_key UNIQUE (pbx_id, queue_dn, agent_dn, valid_from),
    CONSTRAINT queue_agents_validity_check CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
SELECT create_hypertable('queue_agents', by_range('valid_from', INTERVAL '365 days'));
CREATE INDEX queue_agents_current_idx ON queue_agents (pbx_id, queue_dn, agent_dn)
    WHERE valid_to IS NULL;
CREATE INDEX queue_agents_agent_idx ON queue_agents (pbx_id, agent_dn) WHERE valid_to IS NULL;
