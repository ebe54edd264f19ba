-- queuepulse:requires-license=timescale
-- queuepulse:transaction=off
-- queuepulse idempotent: hourly and daily continuous aggregates of queue_kpi_1m and of
-- entry_queue_kpi_1m (end-to-end by entry queue), UTC buckets. The four views share one body;
-- tests/db/test_migrations_db.py checks that they stay alike.
-- Continuous aggregates cannot be created inside a transaction, so the runner runs each
-- statement of this file on its own. Created WITH NO DATA; the refresh policies fill them.
-- Real-time aggregation is on, so the newest buckets show before the next refresh.
-- Changing a view's definition needs a new incremental migration (IF NOT EXISTS keeps the old).

CREATE MATERIALIZED VIEW IF NOT EXISTS queue_kpi_1h
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT
    pbx_id,
    queue_dn,
    time_bucket(INTERVAL '1 hour', bucket) AS bucket,
    sum(offered)::bigint AS offered,
    sum(answered)::bigint AS answered,
    sum(abandoned)::bigint AS abandoned,
    sum(short_abandoned)::bigint AS short_abandoned,
    sum(transferred)::bigint AS transferred,
    sum(answered_in_sla)::bigint AS answered_in_sla,
    sum(answered_in_sla)::double precision * 100
        / NULLIF(sum(answered) + sum(abandoned) - sum(short_abandoned), 0) AS sla_pct,
    sum(wait_answered_s_sum) / NULLIF(sum(answered), 0) AS asa_s,
    max(max_wait_s) AS max_wait_s,
    sum(talk_s_sum) / NULLIF(sum(talk_count), 0) AS avg_talk_s,
    sum(wait_answered_s_sum) AS wait_answered_s_sum,
    sum(wait_abandoned_s_sum) AS wait_abandoned_s_sum,
    sum(talk_s_sum) AS talk_s_sum,
    sum(talk_count)::bigint AS talk_count
FROM queue_kpi_1m
GROUP BY pbx_id, queue_dn, time_bucket(INTERVAL '1 hour', bucket)
WITH NO DATA;

SELECT add_continuous_aggregate_policy('queue_kpi_1h',
    start_offset => INTERVAL '3 days',
    end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '15 minutes',
    if_not_exists => true);

CREATE MATERIALIZED VIEW IF NOT EXISTS queue_kpi_1d
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT
    pbx_id,
    queue_dn,
    time_bucket(INTERVAL '1 day', bucket) AS bucket,
    sum(offered)::bigint AS offered,
    sum(answered)::bigint AS answered,
    sum(abandoned)::bigint AS abandoned,
    sum(short_abandoned)::bigint AS short_abandoned,
    sum(transferred)::bigint AS transferred,
    sum(answered_in_sla)::bigint AS answered_in_sla,
    sum(answered_in_sla)::double precision * 100
        / NULLIF(sum(answered) + sum(abandoned) - sum(short_abandoned), 0) AS sla_pct,
    sum(wait_answered_s_sum) / NULLIF(sum(answered), 0) AS asa_s,
    max(max_wait_s) AS max_wait_s,
    sum(talk_s_sum) / NULLIF(sum(talk_count), 0) AS avg_talk_s,
    sum(wait_answered_s_sum) AS wait_answered_s_sum,
    sum(wait_abandoned_s_sum) AS wait_abandoned_s_sum,
    sum(talk_s_sum) AS talk_s_sum,
    sum(talk_count)::bigint AS talk_count
FROM queue_kpi_1m
GROUP BY pbx_id, queue_dn, time_bucket(INTERVAL '1 day', bucket)
WITH NO DATA;

SELECT add_continuous_aggregate_policy('queue_kpi_1d',
    start_offset => INTERVAL '35 days',
    end_offset => INTERVAL '1 day',
    schedule_interval => INTERVAL '1 hour',
    if_not_exists => true);

-- The same views by entry queue (queue_dn = the first queue a call reached).
CREATE MATERIALIZED VIEW IF NOT EXISTS entry_queue_kpi_1h
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT
    pbx_id,
    queue_dn,
    time_bucket(INTERVAL '1 hour', bucket) AS bucket,
    sum(offered)::bigint AS offered,
    sum(answered)::bigint AS answered,
    sum(abandoned)::bigint AS abandoned,
    sum(short_abandoned)::bigint AS short_abandoned,
    sum(transferred)::bigint AS transferred,
    sum(answered_in_sla)::bigint AS answered_in_sla,
    sum(answered_in_sla)::double precision * 100
        / NULLIF(sum(answered) + sum(abandoned) - sum(short_abandoned), 0) AS sla_pct,
    sum(wait_answered_s_sum) / NULLIF(sum(answered), 0) AS asa_s,
    max(max_wait_s) AS max_wait_s,
    sum(talk_s_sum) / NULLIF(sum(talk_count), 0) AS avg_talk_s,
    sum(wait_answered_s_sum) AS wait_answered_s_sum,
    sum(wait_abandoned_s_sum) AS wait_abandoned_s_sum,
    sum(talk_s_sum) AS talk_s_sum,
    sum(talk_count)::bigint AS talk_count
FROM entry_queue_kpi_1m
GROUP BY pbx_id, queue_dn, time_bucket(INTERVAL '1 hour', bucket)
WITH NO DATA;

SELECT add_continuous_aggregate_policy('entry_queue_kpi_1h',
    start_offset => INTERVAL '3 days',
    end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '15 minutes',
    if_not_exists => true);

CREATE MATERIALIZED VIEW IF NOT EXISTS entry_queue_kpi_1d
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT
    pbx_id,
    queue_dn,
    time_bucket(INTERVAL '1 day', bucket) AS bucket,
    sum(offered)::bigint AS offered,
    sum(answered)::bigint AS answered,
    sum(abandoned)::bigint AS abandoned,
    sum(short_abandoned)::bigint AS short_abandoned,
    sum(transferred)::bigint AS transferred,
    sum(answered_in_sla)::bigint AS answered_in_sla,
    sum(answered_in_sla)::double precision * 100
        / NULLIF(sum(answered) + sum(abandoned) - sum(short_abandoned), 0) AS sla_pct,
    sum(wait_answered_s_sum) / NULLIF(sum(answered), 0) AS asa_s,
    max(max_wait_s) AS max_wait_s,
    sum(talk_s_sum) / NULLIF(sum(talk_count), 0) AS avg_talk_s,
    sum(wait_answered_s_sum) AS wait_answered_s_sum,
    sum(wait_abandoned_s_sum) AS wait_abandoned_s_sum,
    sum(talk_s_sum) AS talk_s_sum,
    sum(talk_count)::bigint AS talk_count
FROM entry_queue_kpi_1m
GROUP BY pbx_id, queue_dn, time_bucket(INTERVAL '1 day', bucket)
WITH NO DATA;

SELECT add_continuous_aggregate_policy('entry_queue_kpi_1d',
    start_offset => INTERVAL '35 days',
    end_offset => INTERVAL '1 day',
    schedule_interval => INTERVAL '1 hour',
    if_not_exists => true);
