-- queuepulse idempotent: the views the wall board reads (schema 004). Re-run on every upgrade.

-- The targets of every current queue: its own row, else the defaults row ('*', '*').
CREATE OR REPLACE VIEW queue_targets_effective AS
SELECT q.pbx_id, q.queue_dn,
       coalesce(t.sla_target_pct, d.sla_target_pct, 80)::double precision AS sla_target_pct,
       coalesce(t.sla_time_s, d.sla_time_s, nullif(q.sla_time_s, 0), 20) AS sla_time_s,
       coalesce(t.short_abandon_s, d.short_abandon_s, 5)::double precision AS short_abandon_s,
       coalesce(t.longest_wait_alert_s, d.longest_wait_alert_s, 90)::double precision
           AS longest_wait_alert_s,
       coalesce(t.abandon_alert_pct, d.abandon_alert_pct, 25)::double precision
           AS abandon_alert_pct,
       t.pbx_id IS NOT NULL AS overridden
FROM queues q
LEFT JOIN queue_targets t ON t.pbx_id = q.pbx_id AND t.queue_dn = q.queue_dn
LEFT JOIN queue_targets d ON d.pbx_id = '*' AND d.queue_dn = '*'
WHERE q.valid_to IS NULL;
COMMENT ON VIEW queue_targets_effective IS
    'Targets of each current queue after defaults: its queue_targets row, else the (''*'', ''*'') '
    'row; sla_time_s falls back to the queue''s SLATime, then 20 s.';

-- How fresh each PBX's live data is: the newest successful ActiveCalls poll (answered without
-- error, ServerNow moved on) and the poll interval the flow reported with it.
CREATE OR REPLACE VIEW pbx_freshness AS
SELECT p.pbx_id, h.ts AS last_ok_at,
       coalesce(h.interval_s, 1.0) AS poll_interval_s,
       extract(epoch FROM now() - h.ts)::double precision AS age_s,
       h.ts IS NULL OR now() - h.ts > make_interval(secs => 3 * coalesce(h.interval_s, 1.0))
           AS stale
FROM (SELECT DISTINCT pbx_id FROM queues WHERE valid_to IS NULL) p
LEFT JOIN LATERAL (
    SELECT ph.ts, (ph.details ->> 'poll_interval_s')::double precision AS interval_s
    FROM pipeline_health ph
    WHERE ph.pbx_id = p.pbx_id AND ph.component = 'live' AND ph.polls > 0 AND ph.errors = 0
      AND ph.stale_polls = 0 AND ph.ts > now() - INTERVAL '1 day'
    ORDER BY ph.ts DESC
    LIMIT 1
) h ON true;
COMMENT ON VIEW pbx_freshness IS
    'Per PBX: last successful poll (UTC), poll interval (s), data age (s), and stale = no '
    'successful poll for more than three poll intervals. Live lists hide a stale PBX''s rows.';

-- The live gauges of every current queue as of its PBX's last successful poll (from
-- queue_live_now, the newest queue_live row). queue_live is written on change (plus a
-- heartbeat), so the longest wait of a queue with callers waiting is the stored one plus the
-- time since that row.
CREATE OR REPLACE VIEW queue_now AS
SELECT q.pbx_id, q.queue_dn, q.name, l.ts, f.last_ok_at, f.age_s, f.stale,
       coalesce(l.waiting, 0) AS waiting,
       CASE WHEN coalesce(l.waiting, 0) > 0
            THEN l.longest_wait_s
                 + greatest(extract(epoch FROM f.last_ok_at - l.ts)::double precision, 0)
            ELSE 0 END AS longest_wait_s,
       coalesce(l.talking, 0) AS talking
FROM queues q
JOIN pbx_freshness f ON f.pbx_id = q.pbx_id
LEFT JOIN queue_live_now l ON l.pbx_id = q.pbx_id AND l.queue_dn = q.queue_dn
WHERE q.valid_to IS NULL;
COMMENT ON VIEW queue_now IS
    'Per current queue: calls waiting, longest wait (s) and calls talking as of the PBX''s last '
    'successful poll, with the PBX''s data age and stale flag (do not show stale values as live).';
