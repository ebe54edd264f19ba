-- queuepulse schema 003: end-to-end KPIs by entry queue (docs/lifecycle.md, overflow cascades).
-- Released: never edit this file; add a new numbered file instead.
--
-- Per call rather than per visit: a call counts once, in the first queue it reached; its wait runs
-- from that first entry to the first agent answer anywhere. So an overflow target is not blamed for
-- its source's backlog. Same columns and bucket rules as queue_kpi_1m; queue_dn is the entry queue.
CREATE TABLE entry_queue_kpi_1m (
    pbx_id               text        NOT NULL,
    queue_dn             text        NOT NULL,
    bucket               timestamptz NOT NULL,
    offered              integer     NOT NULL DEFAULT 0,
    answered             integer     NOT NULL DEFAULT 0,
    abandoned            integer     NOT NULL DEFAULT 0,
    short_abandoned      integer     NOT NULL DEFAULT 0,
    transferred          integer     NOT NULL DEFAULT 0,
    answered_in_sla      integer     NOT NULL DEFAULT 0,
    sla_pct              double precision,
    asa_s                double precision,
    max_wait_s           double precision,
    aht_s                double precision,
    wait_answered_s_sum  double precision NOT NULL DEFAULT 0,
    wait_abandoned_s_sum double precision NOT NULL DEFAULT 0,
    talk_s_sum           double precision NOT NULL DEFAULT 0,
    talk_count           integer     NOT NULL DEFAULT 0,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT entry_queue_kpi_1m_key UNIQUE (pbx_id, queue_dn, bucket)
);
SELECT create_hypertable('entry_queue_kpi_1m', by_range('bucket', INTERVAL '7 days'));
CREATE INDEX entry_queue_kpi_1m_pbx_bucket_idx ON entry_queue_kpi_1m (pbx_id, bucket DESC);

COMMENT ON TABLE entry_queue_kpi_1m IS
    'End-to-end KPIs per entry queue and minute: a call counts once, in the first queue it reached.';
