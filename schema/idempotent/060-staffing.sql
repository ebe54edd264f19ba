-- queuepulse idempotent: views over the staffing tables (migration 006).

-- The newest expected-wait prediction of every visit still waiting, keyed like queue_calls:
-- what the wall board's waiting list joins on (pbx_id, call_key, queue_dn, entered_at).
CREATE OR REPLACE VIEW waiting_expected_wait AS
    SELECT c.pbx_id, c.call_key, c.queue_dn, c.entered_at, w.predicted_at, w.position,
           w.agents, w.free_agents, w.expected_wait_s,
           greatest(w.expected_wait_s - extract(epoch FROM now() - w.predicted_at), 0)
               AS expected_wait_now_s
    FROM queue_calls c
    JOIN LATERAL (
        SELECT e.predicted_at, e.position, e.agents, e.free_agents, e.expected_wait_s
        FROM expected_waits e
        WHERE e.pbx_id = c.pbx_id AND e.call_key = c.call_key AND e.queue_dn = c.queue_dn
          AND e.entered_at = c.entered_at
        ORDER BY e.predicted_at DESC
        LIMIT 1
    ) w ON true
    WHERE c.outcome = 'waiting' AND c.entered_at > now() - interval '1 day';
COMMENT ON VIEW waiting_expected_wait IS
    'Newest expected remaining wait of each waiting visit; expected_wait_now_s counts down from '
    'the prediction to now (seconds, never below 0).';

-- Every prediction of a visit that was answered since, with the wait it really had left.
CREATE OR REPLACE VIEW expected_wait_accuracy AS
    SELECT e.pbx_id, e.queue_dn, e.call_key, e.entered_at, e.predicted_at, e.position,
           e.expected_wait_s,
           extract(epoch FROM c.answered_at - e.predicted_at)::double precision AS actual_wait_s,
           abs(e.expected_wait_s
               - extract(epoch FROM c.answered_at - e.predicted_at))::double precision
               AS abs_error_s
    FROM expected_waits e
    JOIN queue_calls c
      ON c.pbx_id = e.pbx_id AND c.call_key = e.call_key AND c.queue_dn = e.queue_dn
     AND c.entered_at = e.entered_at
    WHERE c.outcome = 'answered' AND c.answered_at >= e.predicted_at
      AND e.expected_wait_s IS NOT NULL;
COMMENT ON VIEW expected_wait_accuracy IS
    'Expected-wait predictions of visits answered later, against the real remaining wait '
    '(seconds); avg(abs_error_s) is the mean absolute error.';

-- Forecast arrivals against the arrivals that came (queue_kpi_1m.offered per 15 minutes).
CREATE OR REPLACE VIEW arrival_forecast_accuracy AS
    SELECT f.pbx_id, f.queue_dn, f.interval_start, f.made_at,
           f.interval_start - f.made_at AS lead, f.calls AS forecast_calls,
           coalesce(a.offered, 0)::double precision AS actual_calls
    FROM arrival_forecasts f
    LEFT JOIN LATERAL (
        SELECT sum(k.offered) AS offered
        FROM queue_kpi_1m k
        WHERE k.pbx_id = f.pbx_id AND k.queue_dn = f.queue_dn
          AND k.bucket >= f.interval_start AND k.bucket < f.interval_start + interval '15 minutes'
    ) a ON true
    WHERE f.interval_start + interval '15 minutes' <= now();
COMMENT ON VIEW arrival_forecast_accuracy IS
    'Each forecast of a past interval beside the arrivals that came; WAPE = 100 * '
    'sum(abs(actual_calls - forecast_calls)) / sum(actual_calls), by lead time if wished.';
