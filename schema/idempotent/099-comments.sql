-- queuepulse idempotent: what every public table, view and column means (COMMENT ON), for an
-- analyst reading `\d+` as the reader role. Re-applied on every upgrade (last, after the tenants'
-- file: it creates no relation), so an improved text reaches every database.
--
-- Conventions of the texts: every timestamptz is an instant stored in UTC (psql shows it in the
-- session's TimeZone); "PBX time" = the 3CX server's clock (ServerNow, LastChangeStatus),
-- "local clock" = the clock of the machine running queuepulse. Durations are seconds (the _s
-- suffix), percentages are per cent 0..100 (the _pct suffix). Each text says which command or
-- flow writes the column and when it is NULL.
--
-- docs/schema.md's Reference section is generated from these comments:
--     queuepulse db docs -o docs/schema.md
-- and tests/db/test_schema_comments_db.py fails when a public relation or column has none.
-- Relations added by a later migration carry their comments in their own file.

-- ---- facts written by the live flow

COMMENT ON TABLE call_events IS
    'Every lifecycle event the live flow (queuepulse run live) derives from consecutive '
    'ActiveCalls polls: call_started, queue_entered, status_changed, answered, transferred, '
    'abandoned, call_ended, and about the PBX itself gap_started, gap_ended, anomaly. '
    'Append-only history (an event is never updated). Each id is stored once (call_event_ids).';
COMMENT ON COLUMN call_events.event_id IS
    'Deterministic UUIDv5 of (pbx_id, call_key, event_type, per-call sequence number): a replay '
    'or a resumed flow derives the same id, and the first copy stored wins.';
COMMENT ON COLUMN call_events.pbx_id IS
    'The PBX (its configured name, QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN call_events.call_key IS
    'The call: "<Id>@<EstablishedAt>" of the XAPI ActiveCalls row (EstablishedAt in UTC, e.g. '
    '17@2026-01-05T09:00:00Z), unique per PBX although 3CX reuses Ids; ''pbx'' for events about '
    'the PBX rather than a call (gaps, poll-level anomalies).';
COMMENT ON COLUMN call_events.call_id IS
    'The XAPI ActiveCalls Id of the call; NULL for events about the PBX (call_key ''pbx'').';
COMMENT ON COLUMN call_events.event_type IS
    'call_started, queue_entered, status_changed, answered, transferred, abandoned, call_ended, '
    'gap_started, gap_ended or anomaly (details.kind says which).';
COMMENT ON COLUMN call_events.occurred_at IS
    'When it happened, PBX time (UTC): the row''s LastChangeStatus, else the poll''s ServerNow, '
    'else the receive time corrected by the measured clock skew; never earlier than the call''s '
    'previous event. A vanished call ends at the first poll that no longer showed it.';
COMMENT ON COLUMN call_events.observed_at IS
    'Local clock (UTC) when the poll that revealed the event was received.';
COMMENT ON COLUMN call_events.queue_dn IS
    'Extension number of the queue the event concerns; NULL when it concerns no queue (e.g. '
    'call_started outside a queue, gaps).';
COMMENT ON COLUMN call_events.agent_dn IS
    'Extension number of the agent the event concerns (the answering agent of answered); NULL '
    'when no agent is involved or it could not be identified.';
COMMENT ON COLUMN call_events.status IS
    'The XAPI ActiveCalls Status verbatim at the event (Routing, Talking, Transferring, ...); '
    'NULL for events about the PBX.';
COMMENT ON COLUMN call_events.details IS
    'JSON with what else is known: e.g. uncertainty_s of a vanished call''s end, outcome, '
    'agent_inferred / agent_candidates, unknown_status, gap duration_s, anomaly kind '
    '(clock_jump, clock_step, reappeared_after_end, ...). {} when nothing.';

COMMENT ON TABLE queue_calls IS
    'One row per queue visit of a call (a call overflowing from queue A to B has two rows), '
    'upserted on (pbx_id, call_key, queue_dn, entered_at) as the visit progresses: written by '
    'the live flow, then replaced by run reconcile from the 3CX call history (source = cdr; a '
    'reconciled row is never changed back by the live flow). The base of every KPI: '
    'queue_kpi_1m counts these visits per minute.';
COMMENT ON COLUMN queue_calls.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN queue_calls.call_key IS
    'The call (see call_events.call_key): all visits of one call share it.';
COMMENT ON COLUMN queue_calls.call_id IS
    'The XAPI ActiveCalls Id (3CX reuses Ids: use call_key to identify a call); NULL when '
    'unknown (e.g. a visit only the call history knew).';
COMMENT ON COLUMN queue_calls.queue_dn IS 'Extension number of the queue visited.';
COMMENT ON COLUMN queue_calls.entered_at IS
    'When the call entered the queue, PBX time (UTC): the LastChangeStatus of the row that first '
    'showed it waiting here, or the queue segment''s start in the call history.';
COMMENT ON COLUMN queue_calls.answered_at IS
    'When an agent answered (PBX time, UTC); NULL unless outcome = answered.';
COMMENT ON COLUMN queue_calls.ended_at IS
    'When the visit ended (PBX time, UTC): end of the talk (answered), hang-up (abandoned), or '
    'when the call moved on while waiting (transferred); NULL while waiting or talking.';
COMMENT ON COLUMN queue_calls.outcome IS
    'waiting (still in the queue), answered (an agent answered; talking while ended_at is NULL), '
    'abandoned (the caller hung up while waiting), transferred (left the queue unanswered: '
    'overflow, transfer, another destination).';
COMMENT ON COLUMN queue_calls.wait_s IS
    'Seconds from entered_at to the answer, hang-up or move; NULL while waiting.';
COMMENT ON COLUMN queue_calls.talk_s IS
    'Talk time in seconds, answered_at to ended_at (wrap-up after the call not included); NULL '
    'until an answered visit ends, and for abandoned and transferred visits.';
COMMENT ON COLUMN queue_calls.agent_dn IS
    'Extension number of the answering agent; NULL unless answered, or when the agent could not '
    'be identified.';
COMMENT ON COLUMN queue_calls.entry_queue_dn IS
    'The first queue the call reached (equal to queue_dn on its first visit): the queue '
    'entry_queue_kpi_1m counts the call in; NULL when unknown.';
COMMENT ON COLUMN queue_calls.visit_seq IS
    'Reserved for the visit''s number within its call; no flow writes it yet, so always NULL '
    '(order a call''s visits by entered_at).';
COMMENT ON COLUMN queue_calls.end_uncertainty_s IS
    'For a call that vanished between polls: seconds between the last poll that showed it and '
    'the first that did not (gaps included); the end lies in that span before ended_at. NULL when '
    'the end was seen, the visit has not ended, or the row was reconciled from the call history.';
COMMENT ON COLUMN queue_calls.source IS
    'live (written by the live flow from ActiveCalls) or cdr (replaced or inserted by run '
    'reconcile from the 3CX call history; the live flow never overwrites it).';
COMMENT ON COLUMN queue_calls.reconciled_at IS
    'Local clock (UTC) when run reconcile wrote this row; NULL for live rows.';
COMMENT ON COLUMN queue_calls.updated_at IS
    'Database clock (UTC) of the last insert or update of the row.';

COMMENT ON TABLE queue_kpi_1m IS
    'Per queue and minute: the KPIs of queue visits (queue_calls), each counted in the minute '
    'it happened (offered at entry, answered at the answer, abandoned at the hang-up, '
    'transferred when it moved on, talk at the end of the talk). Written by the live flow (the '
    'full value of a bucket, upserted) and rewritten by run reconcile (recomputed buckets; '
    'buckets left without visits are deleted). Rows exist only for minutes with something to '
    'count. Sum the counts and *_sum columns over any period and recompute ratios from them; '
    'queue_kpi_hourly holds the same sums per hour.';
COMMENT ON COLUMN queue_kpi_1m.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN queue_kpi_1m.queue_dn IS 'Extension number of the queue.';
COMMENT ON COLUMN queue_kpi_1m.bucket IS 'Start of the minute (UTC; PBX time of the events).';
COMMENT ON COLUMN queue_kpi_1m.offered IS 'Visits that entered the queue in the minute (count).';
COMMENT ON COLUMN queue_kpi_1m.answered IS 'Visits answered by an agent in the minute (count).';
COMMENT ON COLUMN queue_kpi_1m.abandoned IS
    'Visits whose caller hung up while waiting, in the minute (count; short abandons included).';
COMMENT ON COLUMN queue_kpi_1m.short_abandoned IS
    'Abandons after a wait of at most QUEUEPULSE_RULES__SHORT_ABANDON_S seconds (default 5), '
    'in the minute (count); excluded from the SLA denominator.';
COMMENT ON COLUMN queue_kpi_1m.transferred IS
    'Visits that left the queue unanswered (overflow, transfer) in the minute (count).';
COMMENT ON COLUMN queue_kpi_1m.answered_in_sla IS
    'Answers after a wait of at most the queue''s SLA time (its 3CX SLATime; when that is not '
    'set QUEUEPULSE_RULES__DEFAULT_SLA_S, default 20 s), in the minute (count).';
COMMENT ON COLUMN queue_kpi_1m.sla_pct IS
    'Service level, per cent 0..100: 100 * answered_in_sla / (answered + abandoned - '
    'short_abandoned); NULL when that denominator is 0. Over a period recompute it from the sums.';
COMMENT ON COLUMN queue_kpi_1m.asa_s IS
    'Average speed of answer, seconds: wait_answered_s_sum / answered; NULL when nothing was '
    'answered.';
COMMENT ON COLUMN queue_kpi_1m.max_wait_s IS
    'Longest wait (seconds) among the visits answered or abandoned in the minute; NULL when none.';
COMMENT ON COLUMN queue_kpi_1m.wait_answered_s_sum IS
    'Sum of the waits (seconds) of the visits answered in the minute.';
COMMENT ON COLUMN queue_kpi_1m.wait_abandoned_s_sum IS
    'Sum of the waits (seconds) of the visits abandoned in the minute (short ones included).';
COMMENT ON COLUMN queue_kpi_1m.talk_s_sum IS
    'Sum of the talk times (seconds) of the answered visits whose talk ended in the minute.';
COMMENT ON COLUMN queue_kpi_1m.talk_count IS
    'Talks that ended in the minute (count): the divisor of talk_s_sum.';
COMMENT ON COLUMN queue_kpi_1m.updated_at IS
    'Database clock (UTC) of the last write of the bucket.';

COMMENT ON TABLE entry_queue_kpi_1m IS
    'End-to-end KPIs per entry queue and minute: a call counts once, in the first queue it '
    'reached (queue_dn), and its wait runs from that first entry to the first agent answer '
    'anywhere, so an overflow target is not blamed for its source''s backlog. Same columns and '
    'bucket rules as queue_kpi_1m; written by the live flow, recomputed by run reconcile for '
    'the calls it corrects.';
COMMENT ON COLUMN entry_queue_kpi_1m.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN entry_queue_kpi_1m.queue_dn IS
    'Extension number of the entry queue: the first queue the calls reached.';
COMMENT ON COLUMN entry_queue_kpi_1m.bucket IS
    'Start of the minute (UTC; PBX time of the events).';
COMMENT ON COLUMN entry_queue_kpi_1m.offered IS
    'Calls whose first queue entry was in the minute (count).';
COMMENT ON COLUMN entry_queue_kpi_1m.answered IS
    'Calls first answered by an agent (in any queue) in the minute (count).';
COMMENT ON COLUMN entry_queue_kpi_1m.abandoned IS
    'Calls never answered whose last visit was abandoned, counted at that hang-up (count; short '
    'abandons included).';
COMMENT ON COLUMN entry_queue_kpi_1m.short_abandoned IS
    'Abandoned calls whose wait from the first entry was at most QUEUEPULSE_RULES__SHORT_ABANDON_S '
    'seconds (count).';
COMMENT ON COLUMN entry_queue_kpi_1m.transferred IS
    'Calls never answered whose last visit left its queue unanswered, counted then (count).';
COMMENT ON COLUMN entry_queue_kpi_1m.answered_in_sla IS
    'Calls answered within the entry queue''s SLA time, measured from the first entry (count).';
COMMENT ON COLUMN entry_queue_kpi_1m.sla_pct IS
    'End-to-end service level, per cent 0..100: 100 * answered_in_sla / (answered + abandoned - '
    'short_abandoned); NULL when that denominator is 0.';
COMMENT ON COLUMN entry_queue_kpi_1m.asa_s IS
    'Average seconds from the first queue entry to the first answer: wait_answered_s_sum / '
    'answered; NULL when nothing was answered.';
COMMENT ON COLUMN entry_queue_kpi_1m.max_wait_s IS
    'Longest end-to-end wait (seconds) among the calls answered or abandoned in the minute; NULL '
    'when none.';
COMMENT ON COLUMN entry_queue_kpi_1m.wait_answered_s_sum IS
    'Sum of the end-to-end waits (seconds) of the calls answered in the minute.';
COMMENT ON COLUMN entry_queue_kpi_1m.wait_abandoned_s_sum IS
    'Sum of the end-to-end waits (seconds) of the calls abandoned in the minute.';
COMMENT ON COLUMN entry_queue_kpi_1m.talk_s_sum IS
    'Always 0 here: talk time is counted per visit, in queue_kpi_1m.';
COMMENT ON COLUMN entry_queue_kpi_1m.talk_count IS
    'Always 0 here: talk time is counted per visit, in queue_kpi_1m.';
COMMENT ON COLUMN entry_queue_kpi_1m.updated_at IS
    'Database clock (UTC) of the last write of the bucket.';

COMMENT ON TABLE queue_live IS
    'Live gauges per queue (calls waiting and talking, agents logged in, talking and free), '
    'written by the live flow when a queue''s gauges change (counts, or the entry of its '
    'longest-waiting caller) and at least every 60 s (PBX time) while they do not: the newest '
    'row of a queue is its state until the next row. queue_live_now holds the newest row of '
    'each queue.';
COMMENT ON COLUMN queue_live.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN queue_live.queue_dn IS 'Extension number of the queue.';
COMMENT ON COLUMN queue_live.ts IS 'PBX time (UTC) of the poll the gauges are from.';
COMMENT ON COLUMN queue_live.waiting IS 'Calls waiting in the queue at ts (count).';
COMMENT ON COLUMN queue_live.longest_wait_s IS
    'Seconds the longest-waiting caller had waited at ts (0 when nobody waits); while callers '
    'wait it grows by the time since ts (the view queue_now adds it).';
COMMENT ON COLUMN queue_live.talking IS 'Calls of the queue being talked at ts (count).';
COMMENT ON COLUMN queue_live.agents_logged_in IS
    'Member agents logged in to the queue at ts (count; the live flow always fills it).';
COMMENT ON COLUMN queue_live.agents_talking IS
    'Member agents on a call at ts (count; the live flow always fills it).';
COMMENT ON COLUMN queue_live.agents_free IS
    'Member agents free at ts: logged in, registered, in an available profile '
    '(QUEUEPULSE_RULES__AVAILABLE_PROFILES) and not on a call (count).';

COMMENT ON TABLE agent_states IS
    'Agent state timeline: one row per change of an agent''s queue status, profile, '
    'registration or being on a call, written by the live flow (polls and configuration '
    'fetches) and by run sync. agent_now holds each agent''s newest row.';
COMMENT ON COLUMN agent_states.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN agent_states.agent_dn IS 'Extension number of the agent.';
COMMENT ON COLUMN agent_states.ts IS
    'When the change was seen (UTC): in the live flow the PBX time of the poll or fetch '
    '(receive time corrected by the measured clock skew); in run sync the local clock.';
COMMENT ON COLUMN agent_states.queue_status IS
    'The user''s QueueStatus from the XAPI (LoggedIn, LoggedOut); NULL when the PBX did not say.';
COMMENT ON COLUMN agent_states.profile IS
    'CurrentProfileName of the user (e.g. Available, Away, Out of office); NULL when not given.';
COMMENT ON COLUMN agent_states.registered IS
    'IsRegistered: the agent''s phone is registered; NULL when not given.';
COMMENT ON COLUMN agent_states.on_call IS
    'The agent appears in an active call; NULL when the writer could not see calls (run sync '
    'without the live flow, presence polls).';

COMMENT ON TABLE pipeline_health IS
    'The pipeline''s own health: one row per ActiveCalls poll, written by the live flow in the '
    'same batch as the poll''s rows (component = live). Read by pbx_freshness, the pipeline '
    'board and the alert rules.';
COMMENT ON COLUMN pipeline_health.pbx_id IS 'The PBX polled (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN pipeline_health.component IS
    'What reports: live (the live flow''s ActiveCalls poller; the only writer today).';
COMMENT ON COLUMN pipeline_health.ts IS 'Local clock (UTC) when the poll''s answer was received.';
COMMENT ON COLUMN pipeline_health.poll_latency_ms IS
    'Milliseconds the ActiveCalls request took (failed requests included); NULL when not '
    'measured (replays).';
COMMENT ON COLUMN pipeline_health.polls IS 'Polls this row covers (1 per row from the live flow).';
COMMENT ON COLUMN pipeline_health.errors IS 'Failed polls (0 or 1 per row).';
COMMENT ON COLUMN pipeline_health.error_kind IS
    'Why the poll failed: the error class (UnavailableError, AuthError, ...); NULL when it '
    'succeeded.';
COMMENT ON COLUMN pipeline_health.stale_polls IS
    'Polls skipped as stale (a repeated ServerNow: a cached answer) or out of order (count).';
COMMENT ON COLUMN pipeline_health.gaps IS
    'Gaps that began at this poll (count): a failed poll after successful ones, or a pause '
    'between successful polls longer than QUEUEPULSE_RULES__GAP_AFTER_S (default 10 s).';
COMMENT ON COLUMN pipeline_health.gap_s IS
    'Seconds without a successful poll: on a failed poll the gap so far, on the poll that ends a '
    'gap the whole gap; NULL otherwise.';
COMMENT ON COLUMN pipeline_health.lag_s IS
    'Seconds from receiving the poll to processing it in the flow (local clock).';
COMMENT ON COLUMN pipeline_health.rows_written IS
    'Rows of this PBX committed since its previous health row, this poll''s included (stamped by '
    'the sink when it writes the row).';
COMMENT ON COLUMN pipeline_health.write_errors IS
    'Failed write attempts with rows of this PBX since its previous health row (the database '
    'was away or refused a batch).';
COMMENT ON COLUMN pipeline_health.token_failures IS
    'XAPI requests refused for authentication (AuthError) during this poll (count).';
COMMENT ON COLUMN pipeline_health.breaker_state IS
    'The XAPI client''s circuit breaker after the poll: closed, half_open or open; NULL when the '
    'source has none (replays).';
COMMENT ON COLUMN pipeline_health.skew_s IS
    'PBX clock minus local clock in seconds (ServerNow - receive time), as last measured; NULL '
    'before the first measurement.';
COMMENT ON COLUMN pipeline_health.details IS
    'JSON: calls (rows in the poll), poll_interval_s (the poller''s interval, read by '
    'pbx_freshness), and when they happened skipped, parse_problems, clock_anomalies, error '
    '(first 200 characters).';

-- ---- current state and the hourly rollup

COMMENT ON COLUMN agent_now.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN agent_now.ts IS
    'Time (UTC) of the newest agent_states row (see agent_states.ts: PBX time from the live '
    'flow, local clock from run sync).';
COMMENT ON COLUMN agent_now.state_since IS
    'Time (UTC) of the first agent_states row of the current state: now() minus this is the '
    'time in state.';
COMMENT ON COLUMN agent_now.agent_dn IS 'Extension number of the agent.';
COMMENT ON COLUMN agent_now.registered IS 'IsRegistered of the newest row: phone registered.';

COMMENT ON COLUMN queue_live_now.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN queue_live_now.queue_dn IS 'Extension number of the queue.';

COMMENT ON COLUMN queue_kpi_hourly.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN queue_kpi_hourly.queue_dn IS 'Extension number of the queue.';
COMMENT ON COLUMN queue_kpi_hourly.offered IS 'Visits that entered the queue in the hour (count).';
COMMENT ON COLUMN queue_kpi_hourly.answered IS 'Visits answered in the hour (count).';
COMMENT ON COLUMN queue_kpi_hourly.abandoned IS
    'Visits abandoned in the hour (count; short abandons included).';
COMMENT ON COLUMN queue_kpi_hourly.short_abandoned IS
    'Abandons after a wait of at most QUEUEPULSE_RULES__SHORT_ABANDON_S seconds, in the hour '
    '(count).';
COMMENT ON COLUMN queue_kpi_hourly.answered_in_sla IS
    'Answers within the queue''s SLA time, in the hour (count); SLA % = 100 * answered_in_sla / '
    'nullif(answered + abandoned - short_abandoned, 0).';
COMMENT ON COLUMN queue_kpi_hourly.max_wait_s IS
    'Longest wait (seconds) among the visits answered or abandoned in the hour; NULL when none.';
COMMENT ON COLUMN queue_kpi_hourly.talk_count IS
    'Talks that ended in the hour (count): the divisor of talk_s_sum.';

COMMENT ON COLUMN queue_targets.pbx_id IS
    'The PBX (QUEUEPULSE_PBX__PBX_ID); ''*'' in the defaults row.';
COMMENT ON COLUMN queue_targets.queue_dn IS
    'Extension number of the queue; ''*'' in the defaults row.';

-- ---- dimensions (validity times)

COMMENT ON TABLE queues IS
    'Queue configuration history from the XAPI Queues endpoint (SCD type 2), written by the '
    'live flow''s configuration fetches and by run sync: a change closes the open row '
    '(valid_to) and opens a new one, so history joins to the configuration of its day '
    '(valid_from <= t < valid_to). valid_to IS NULL = current (view queues_current).';
COMMENT ON COLUMN queues.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN queues.queue_dn IS 'Extension number of the queue (XAPI Number).';
COMMENT ON COLUMN queues.valid_from IS
    'From when this configuration held: the fetch that first saw it (UTC; PBX time in the live '
    'flow, local clock in run sync).';
COMMENT ON COLUMN queues.valid_to IS
    'When it stopped holding (the fetch that saw a change or the queue gone, UTC); NULL while '
    'current.';
COMMENT ON COLUMN queues.queue_id IS 'The XAPI Id of the queue; NULL when not given.';
COMMENT ON COLUMN queues.name IS 'The queue''s Name; NULL when not given.';
COMMENT ON COLUMN queues.sla_time_s IS
    'SLATime in seconds: answers within it count as in SLA; NULL or 0 = not set (the KPIs then '
    'use QUEUEPULSE_RULES__DEFAULT_SLA_S).';
COMMENT ON COLUMN queues.polling_strategy IS
    'PollingStrategy: how 3CX rings the agents (e.g. Hunt, RingAll, LongestWaiting); NULL when '
    'not given.';
COMMENT ON COLUMN queues.max_callers IS 'MaxCallersInQueue (count); NULL when not given.';
COMMENT ON COLUMN queues.ring_timeout_s IS
    'RingTimeout: seconds an agent''s phone rings before the next is tried; NULL when not given.';
COMMENT ON COLUMN queues.master_timeout_s IS
    'MasterTimeout: seconds a call may stay in the queue before its no-answer destination; NULL '
    'when not given.';
COMMENT ON COLUMN queues.wrap_up_time_s IS
    'WrapUpTime: seconds an agent stays unavailable after a queue call (wrap-up); NULL when not '
    'given.';
COMMENT ON COLUMN queues.priority_queue IS 'PriorityQueue flag; NULL when not given.';
COMMENT ON COLUMN queues.details IS
    'JSON for further configuration; no flow fills it today ({}).';

COMMENT ON TABLE agents IS
    'Agent (3CX user) configuration history from the XAPI Users endpoint (SCD type 2), written '
    'by the live flow''s configuration fetches and by run sync; valid_to IS NULL = current '
    '(view agents_current).';
COMMENT ON COLUMN agents.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN agents.agent_dn IS 'Extension number of the user (XAPI Number).';
COMMENT ON COLUMN agents.valid_from IS
    'From when this configuration held: the fetch that first saw it (UTC; PBX time in the live '
    'flow, local clock in run sync).';
COMMENT ON COLUMN agents.valid_to IS 'When it stopped holding (UTC); NULL while current.';
COMMENT ON COLUMN agents.user_id IS 'The XAPI Id of the user; NULL when not given.';
COMMENT ON COLUMN agents.first_name IS 'FirstName; NULL when not given.';
COMMENT ON COLUMN agents.last_name IS 'LastName; NULL when not given.';
COMMENT ON COLUMN agents.display_name IS 'DisplayName; NULL when not given.';
COMMENT ON COLUMN agents.enabled IS 'Enabled flag of the user; NULL when not given.';
COMMENT ON COLUMN agents.details IS
    'JSON for further configuration; no flow fills it today ({}).';

COMMENT ON TABLE queue_agents IS
    'Queue membership history (which agents belong to which queue, the XAPI Queue Agents), SCD '
    'type 2, written by the live flow''s configuration fetches and by run sync; valid_to IS '
    'NULL = current (view queue_agents_current).';
COMMENT ON COLUMN queue_agents.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN queue_agents.queue_dn IS 'Extension number of the queue.';
COMMENT ON COLUMN queue_agents.agent_dn IS 'Extension number of the member agent.';
COMMENT ON COLUMN queue_agents.valid_from IS
    'From when the membership held: the fetch that first saw it (UTC; PBX time in the live '
    'flow, local clock in run sync).';
COMMENT ON COLUMN queue_agents.valid_to IS 'When it ended (UTC); NULL while current.';
COMMENT ON COLUMN queue_agents.skill_group IS 'The member''s SkillGroup; NULL when not given.';
COMMENT ON COLUMN queue_agents.details IS
    'JSON for further membership data; no flow fills it today ({}).';

COMMENT ON VIEW queues_current IS
    'queues: the open (current) row of each queue; same columns (valid_to is always NULL here).';
COMMENT ON VIEW agents_current IS
    'agents: the open (current) row of each agent; same columns (valid_to is always NULL here).';
COMMENT ON VIEW queue_agents_current IS
    'queue_agents: the current memberships; same columns (valid_to is always NULL here).';

-- ---- reconciliation (run reconcile)

COMMENT ON TABLE reconciliation_runs IS
    'One row per run of queuepulse run reconcile over one period of one PBX: what it fetched '
    'from the 3CX call history and what it changed. A run with status ok marks its period done '
    '(the backfill resumes after it).';
COMMENT ON COLUMN reconciliation_runs.run_id IS 'Random id of the run (UUID).';
COMMENT ON COLUMN reconciliation_runs.pbx_id IS 'The PBX reconciled (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN reconciliation_runs.started_at IS 'Local clock (UTC) when the run started.';
COMMENT ON COLUMN reconciliation_runs.finished_at IS
    'Local clock (UTC) when it ended; NULL while running (or when the runner was killed: the '
    'next run marks such a run failed).';
COMMENT ON COLUMN reconciliation_runs.period_from IS
    'Start of the period reconciled (UTC, inclusive).';
COMMENT ON COLUMN reconciliation_runs.period_to IS 'End of the period reconciled (UTC, exclusive).';
COMMENT ON COLUMN reconciliation_runs.status IS 'running, ok (period done) or failed (see error).';
COMMENT ON COLUMN reconciliation_runs.cdr_rows IS
    'Call history and call log rows fetched for the period and its margins (count; 0 unless ok).';
COMMENT ON COLUMN reconciliation_runs.matched IS
    'Visits from the call history matched to a stored visit (count; 0 unless ok).';
COMMENT ON COLUMN reconciliation_runs.corrected IS
    'Matched visits with at least one field corrected (count; 0 unless ok).';
COMMENT ON COLUMN reconciliation_runs.inserted IS
    'Visits the live flow had missed, inserted from the call history (count; 0 unless ok).';
COMMENT ON COLUMN reconciliation_runs.diffs IS
    'reconciliation_diffs rows of the run (count; 0 unless ok).';
COMMENT ON COLUMN reconciliation_runs.dead_letters IS
    'Call history rows that could not be used (cdr_dead_letters), count; 0 unless ok.';
COMMENT ON COLUMN reconciliation_runs.error IS
    'Why a failed run failed (error class and message, at most 2000 characters); NULL otherwise.';
COMMENT ON COLUMN reconciliation_runs.details IS
    'JSON of an ok run: fetch window, rows per endpoint, unchanged/confirmed/removed/flagged '
    'visits, diffs_by_field, KPI buckets written and deleted, 3CX report rows and errors, the CDR '
    'rules used. {} for a running or failed run.';

COMMENT ON TABLE reconciliation_diffs IS
    'What a reconciliation run found different between the stored visits (queue_calls) and the '
    '3CX call history, and what it did: one row per field and visit. Written by run reconcile.';
COMMENT ON COLUMN reconciliation_diffs.diff_id IS
    'Deterministic UUIDv5 of (run, visit, field): a retried write adds nothing.';
COMMENT ON COLUMN reconciliation_diffs.run_id IS 'The run (reconciliation_runs.run_id).';
COMMENT ON COLUMN reconciliation_diffs.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN reconciliation_diffs.detected_at IS
    'The run''s started_at (local clock, UTC): all diffs of a run share it.';
COMMENT ON COLUMN reconciliation_diffs.call_key IS
    'The visit''s call (queue_calls.call_key); NULL when unknown.';
COMMENT ON COLUMN reconciliation_diffs.queue_dn IS 'The visit''s queue; NULL when unknown.';
COMMENT ON COLUMN reconciliation_diffs.entered_at IS
    'The stored visit''s entered_at (UTC), the key of its queue_calls row; NULL when unknown.';
COMMENT ON COLUMN reconciliation_diffs.field IS
    'The queue_calls column that differed (answered_at, ended_at, outcome, wait_s, agent_dn, '
    '...), or missed_visit (in the call history, not stored) or extra_live_visit (stored, not in '
    'the call history).';
COMMENT ON COLUMN reconciliation_diffs.live_value IS
    'The stored (live) value as text; a summary of the visit for extra_live_visit; NULL for '
    'missed_visit or when the stored value was NULL.';
COMMENT ON COLUMN reconciliation_diffs.cdr_value IS
    'The call history''s value as text (a summary of the visit for missed_visit); for a flagged '
    'extra_live_visit, why it was kept; NULL when the call history has no value.';
COMMENT ON COLUMN reconciliation_diffs.action IS
    'corrected (the stored visit was replaced by the call history''s, or an extra live visit '
    'deleted), inserted (a missed visit added) or flagged (left as it was, reason in cdr_value).';

COMMENT ON TABLE cdr_dead_letters IS
    'Call history (CDR) rows run reconcile could not parse or match, kept for a human (caller '
    'numbers protected by the privacy setting). Each letter is stored once.';
COMMENT ON COLUMN cdr_dead_letters.letter_id IS
    'Deterministic UUIDv5 of (PBX, endpoint, reason, row): the same row and reason is one letter.';
COMMENT ON COLUMN cdr_dead_letters.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN cdr_dead_letters.received_at IS
    'Start of the reconciled period the row belongs to (UTC); not the fetch time.';
COMMENT ON COLUMN cdr_dead_letters.run_id IS
    'The run that first found it (reconciliation_runs.run_id; run reconcile always sets it).';
COMMENT ON COLUMN cdr_dead_letters.endpoint IS 'The XAPI report or endpoint the row came from.';
COMMENT ON COLUMN cdr_dead_letters.reason IS 'Why the row could not be used.';
COMMENT ON COLUMN cdr_dead_letters.body IS
    'The row as sent (JSON), with caller numbers masked or hashed unless the privacy mode is keep.';

COMMENT ON TABLE pbx_queue_reports IS
    '3CX''s own report figures per queue and period, fetched by run reconcile (when report '
    'fetching is on) and kept beside ours under their own definitions (figures.definition): '
    'QueuePerformanceTotals, StatisticSla, AbandonedQueueCalls, AgentsInQueueStatistics. A '
    'refetch with other figures updates the row.';
COMMENT ON COLUMN pbx_queue_reports.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN pbx_queue_reports.report IS
    'The 3CX report: QueuePerformanceTotals, StatisticSla, AbandonedQueueCalls or '
    'AgentsInQueueStatistics.';
COMMENT ON COLUMN pbx_queue_reports.queue_dn IS 'Extension number of the queue.';
COMMENT ON COLUMN pbx_queue_reports.period_from IS 'Start of the report period (UTC, inclusive).';
COMMENT ON COLUMN pbx_queue_reports.period_to IS 'End of the report period (UTC, exclusive).';
COMMENT ON COLUMN pbx_queue_reports.fetched_at IS
    'Local clock (UTC) of the fetch that last changed the figures (a refetch with the same '
    'figures leaves the row as it was).';
COMMENT ON COLUMN pbx_queue_reports.received_count IS
    'Calls received (QueuePerformanceTotals QueueReceivedCount, StatisticSla ReceivedCount); '
    'NULL for the other reports.';
COMMENT ON COLUMN pbx_queue_reports.answered_count IS
    'Calls answered (QueuePerformanceTotals ExtensionAnsweredCount; AgentsInQueueStatistics '
    'AnsweredCount summed over agents); NULL for the other reports.';
COMMENT ON COLUMN pbx_queue_reports.abandoned_count IS
    'Calls abandoned (QueuePerformanceTotals ExtensionDroppedCount; AbandonedQueueCalls rows); '
    'NULL for the other reports.';
COMMENT ON COLUMN pbx_queue_reports.bad_sla_count IS
    'StatisticSla BadSlaCallsCount: calls that waited longer than the SLA time; NULL for the '
    'other reports.';
COMMENT ON COLUMN pbx_queue_reports.sla_pct IS
    '3CX''s service level, per cent 0..100 (StatisticSla: 100 * (received - bad) / received; '
    'not our definition); NULL for the other reports or when nothing was received.';
COMMENT ON COLUMN pbx_queue_reports.figures IS
    'JSON: the report''s own numbers under their 3CX names and its definition (e.g. per-agent '
    'rows of AgentsInQueueStatistics, mean and longest wait of AbandonedQueueCalls).';

-- ---- audit, faults, the ledger

COMMENT ON TABLE queue_config_changes IS
    'Audit of queue configuration changes made through the XAPI by queuepulse queues apply and '
    'queues agents login/logout: one row per field changed (or tried), never deleted (not in '
    'retention).';

COMMENT ON TABLE write_dead_letters IS
    'Rows the database refused for their data (a value it cannot hold, a broken constraint), '
    'isolated from their batch by the live flow''s writer so that the rest of the batch was '
    'written; kept for an operator to read and replay.';

COMMENT ON TABLE queuepulse_migrations IS
    'The migration ledger of queuepulse db upgrade: each schema file applied and its sha256. '
    'Not a hypertable (a few dozen rows, no time series); not visible to tenants.';
COMMENT ON COLUMN queuepulse_migrations.kind IS
    'incremental (schema/incremental, applied once) or idempotent (schema/idempotent, re-applied '
    'on every upgrade).';
COMMENT ON COLUMN queuepulse_migrations.name IS 'File name, e.g. 001-core-tables.sql.';
COMMENT ON COLUMN queuepulse_migrations.sha256 IS 'sha256 of the file as applied (hex).';
COMMENT ON COLUMN queuepulse_migrations.applied_at IS
    'Database clock (UTC) when the file was last applied.';

-- ---- forecasts and staffing (run forecast)

COMMENT ON COLUMN arrival_forecasts.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN arrival_forecasts.queue_dn IS 'Extension number of the queue.';
COMMENT ON COLUMN arrival_forecasts.method IS
    'Forecast method (weekday-profile-level: weekday x time-of-day profile times a level).';

COMMENT ON COLUMN staffing_intervals.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN staffing_intervals.queue_dn IS 'Extension number of the queue.';

COMMENT ON COLUMN expected_waits.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN expected_waits.call_key IS 'The waiting visit''s call (queue_calls.call_key).';
COMMENT ON COLUMN expected_waits.queue_dn IS 'The queue it waits in (queue_calls.queue_dn).';
COMMENT ON COLUMN expected_waits.entered_at IS
    'When it entered the queue (queue_calls.entered_at, PBX time, UTC).';

-- ---- views

COMMENT ON COLUMN queues_current.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN queues_current.queue_dn IS 'Extension number of the queue.';
COMMENT ON COLUMN queues_current.valid_from IS 'Since when this configuration holds (UTC).';
COMMENT ON COLUMN queues_current.valid_to IS 'Always NULL (current rows only).';
COMMENT ON COLUMN queues_current.queue_id IS 'The XAPI Id of the queue; NULL when not given.';
COMMENT ON COLUMN queues_current.name IS 'The queue''s Name; NULL when not given.';
COMMENT ON COLUMN queues_current.sla_time_s IS
    'SLATime in seconds; NULL or 0 = not set (KPIs use QUEUEPULSE_RULES__DEFAULT_SLA_S).';
COMMENT ON COLUMN queues_current.polling_strategy IS 'PollingStrategy; NULL when not given.';
COMMENT ON COLUMN queues_current.max_callers IS 'MaxCallersInQueue (count); NULL when not given.';
COMMENT ON COLUMN queues_current.ring_timeout_s IS 'RingTimeout, seconds; NULL when not given.';
COMMENT ON COLUMN queues_current.master_timeout_s IS 'MasterTimeout, seconds; NULL when not given.';
COMMENT ON COLUMN queues_current.wrap_up_time_s IS
    'WrapUpTime (agent wrap-up after a queue call), seconds; NULL when not given.';
COMMENT ON COLUMN queues_current.priority_queue IS 'PriorityQueue flag; NULL when not given.';
COMMENT ON COLUMN queues_current.details IS 'JSON; no flow fills it today ({}).';

COMMENT ON COLUMN agents_current.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN agents_current.agent_dn IS 'Extension number of the user.';
COMMENT ON COLUMN agents_current.valid_from IS 'Since when this configuration holds (UTC).';
COMMENT ON COLUMN agents_current.valid_to IS 'Always NULL (current rows only).';
COMMENT ON COLUMN agents_current.user_id IS 'The XAPI Id of the user; NULL when not given.';
COMMENT ON COLUMN agents_current.first_name IS 'FirstName; NULL when not given.';
COMMENT ON COLUMN agents_current.last_name IS 'LastName; NULL when not given.';
COMMENT ON COLUMN agents_current.display_name IS 'DisplayName; NULL when not given.';
COMMENT ON COLUMN agents_current.enabled IS 'Enabled flag; NULL when not given.';
COMMENT ON COLUMN agents_current.details IS 'JSON; no flow fills it today ({}).';

COMMENT ON COLUMN queue_agents_current.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN queue_agents_current.queue_dn IS 'Extension number of the queue.';
COMMENT ON COLUMN queue_agents_current.agent_dn IS 'Extension number of the member agent.';
COMMENT ON COLUMN queue_agents_current.valid_from IS 'Since when the membership holds (UTC).';
COMMENT ON COLUMN queue_agents_current.valid_to IS 'Always NULL (current rows only).';
COMMENT ON COLUMN queue_agents_current.skill_group IS 'SkillGroup; NULL when not given.';
COMMENT ON COLUMN queue_agents_current.details IS 'JSON; no flow fills it today ({}).';

COMMENT ON COLUMN queue_targets_effective.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN queue_targets_effective.queue_dn IS 'Extension number of a current queue.';
COMMENT ON COLUMN queue_targets_effective.sla_target_pct IS
    'SLA target, per cent 0..100: the queue''s row, else the defaults row, else 80.';
COMMENT ON COLUMN queue_targets_effective.sla_time_s IS
    'SLA time in seconds: the queue''s row, the defaults row, the queue''s SLATime, else 20.';
COMMENT ON COLUMN queue_targets_effective.short_abandon_s IS
    'Short-abandon threshold in seconds shown beside the KPIs (row, defaults, else 5).';
COMMENT ON COLUMN queue_targets_effective.longest_wait_alert_s IS
    'Alert when a caller has waited longer than this many seconds (row, defaults, else 90).';
COMMENT ON COLUMN queue_targets_effective.abandon_alert_pct IS
    'Alert when abandon % over 15 minutes exceeds this, per cent 0..100 (row, defaults, else 25).';
COMMENT ON COLUMN queue_targets_effective.overridden IS
    'True when the queue has its own queue_targets row.';

COMMENT ON COLUMN pbx_freshness.pbx_id IS 'A PBX with current queues.';
COMMENT ON COLUMN pbx_freshness.last_ok_at IS
    'Local clock (UTC) of the newest successful live poll within the last day (no error, not '
    'stale); NULL when none.';
COMMENT ON COLUMN pbx_freshness.poll_interval_s IS
    'The live poller''s interval in seconds as it reported it (1 when unknown).';
COMMENT ON COLUMN pbx_freshness.age_s IS 'Seconds since last_ok_at; NULL when there is none.';
COMMENT ON COLUMN pbx_freshness.stale IS
    'True when there was no successful poll for more than three poll intervals (or none).';

COMMENT ON COLUMN queue_now.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN queue_now.queue_dn IS 'Extension number of a current queue.';
COMMENT ON COLUMN queue_now.name IS 'The queue''s name (queues.name); NULL when not given.';
COMMENT ON COLUMN queue_now.ts IS
    'PBX time (UTC) of the queue''s newest queue_live row; NULL when it has none.';
COMMENT ON COLUMN queue_now.last_ok_at IS 'The PBX''s last successful poll (pbx_freshness, UTC).';
COMMENT ON COLUMN queue_now.age_s IS 'Seconds since last_ok_at (pbx_freshness).';
COMMENT ON COLUMN queue_now.stale IS
    'The PBX''s data is stale (pbx_freshness): do not show these values as live.';
COMMENT ON COLUMN queue_now.waiting IS 'Calls waiting (count; 0 without a queue_live row).';
COMMENT ON COLUMN queue_now.longest_wait_s IS
    'Longest current wait in seconds as of last_ok_at (the stored value plus the time since its '
    'row); 0 when nobody waits.';
COMMENT ON COLUMN queue_now.talking IS 'Calls being talked (count; 0 without a queue_live row).';

COMMENT ON COLUMN waiting_expected_wait.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN waiting_expected_wait.call_key IS 'The waiting visit''s call (queue_calls).';
COMMENT ON COLUMN waiting_expected_wait.queue_dn IS 'The queue it waits in.';
COMMENT ON COLUMN waiting_expected_wait.entered_at IS
    'When it entered the queue (PBX time, UTC); visits entered in the last day only.';
COMMENT ON COLUMN waiting_expected_wait.predicted_at IS
    'When the newest prediction was made (UTC).';
COMMENT ON COLUMN waiting_expected_wait.position IS
    'Position in the queue then, 1 = longest waiting.';
COMMENT ON COLUMN waiting_expected_wait.agents IS 'Agents logged in to the queue then (count).';
COMMENT ON COLUMN waiting_expected_wait.free_agents IS 'Agents free then (count).';
COMMENT ON COLUMN waiting_expected_wait.expected_wait_s IS
    'Expected seconds from predicted_at to an answer; NULL with no agent logged in.';
COMMENT ON COLUMN waiting_expected_wait.expected_wait_now_s IS
    'expected_wait_s minus the seconds since predicted_at, never below 0 (also 0 when '
    'expected_wait_s is NULL: check that column for no agent logged in).';

COMMENT ON COLUMN expected_wait_accuracy.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN expected_wait_accuracy.queue_dn IS 'The queue of the visit.';
COMMENT ON COLUMN expected_wait_accuracy.call_key IS 'The visit''s call (queue_calls).';
COMMENT ON COLUMN expected_wait_accuracy.entered_at IS 'When the visit entered the queue (UTC).';
COMMENT ON COLUMN expected_wait_accuracy.predicted_at IS 'When the prediction was made (UTC).';
COMMENT ON COLUMN expected_wait_accuracy.position IS
    'Position in the queue then, 1 = longest waiting.';
COMMENT ON COLUMN expected_wait_accuracy.expected_wait_s IS
    'Predicted seconds from predicted_at to the answer.';
COMMENT ON COLUMN expected_wait_accuracy.actual_wait_s IS
    'Real seconds from predicted_at to the answer (answered_at - predicted_at).';
COMMENT ON COLUMN expected_wait_accuracy.abs_error_s IS
    '|expected_wait_s - actual_wait_s| in seconds.';

COMMENT ON COLUMN arrival_forecast_accuracy.pbx_id IS 'The PBX (QUEUEPULSE_PBX__PBX_ID).';
COMMENT ON COLUMN arrival_forecast_accuracy.queue_dn IS 'Extension number of the queue.';
COMMENT ON COLUMN arrival_forecast_accuracy.interval_start IS
    'Start of the past 15-minute interval (UTC).';
COMMENT ON COLUMN arrival_forecast_accuracy.made_at IS 'When the forecast was made (UTC).';
COMMENT ON COLUMN arrival_forecast_accuracy.lead IS
    'interval_start - made_at: how far ahead the forecast was made (interval).';
COMMENT ON COLUMN arrival_forecast_accuracy.forecast_calls IS
    'Arrivals forecast for the interval (arrival_forecasts.calls).';
COMMENT ON COLUMN arrival_forecast_accuracy.actual_calls IS
    'Arrivals that came: queue_kpi_1m.offered summed over the interval (0 when none).';

-- ---- licensed build: continuous aggregates

-- queue_kpi_1h/_1d and entry_queue_kpi_1h/_1d exist only where timescaledb.license = 'timescale'
-- (040-licensed-caggs.sql): comment them where they exist. Their columns mean what the same
-- column of their 1-minute table means, summed over the bucket; ratios are recomputed from sums.
DO $$
DECLARE
    cagg record;
    col record;
    source_comment text;
BEGIN
    FOR cagg IN
        SELECT * FROM (VALUES
            ('queue_kpi_1h', 'queue_kpi_1m', 'hour'),
            ('queue_kpi_1d', 'queue_kpi_1m', 'day'),
            ('entry_queue_kpi_1h', 'entry_queue_kpi_1m', 'hour'),
            ('entry_queue_kpi_1d', 'entry_queue_kpi_1m', 'day')) AS v(name, source, span)
    LOOP
        CONTINUE WHEN to_regclass(format('public.%I', cagg.name)) IS NULL;
        EXECUTE format('COMMENT ON VIEW %I IS %L', cagg.name, format(
            'Licensed build only (timescaledb.license = timescale): continuous aggregate of %s '
            'per UTC %s (time_bucket), refreshed by a TimescaleDB policy, real-time aggregation '
            'on. Same columns as %s, counts and sums summed over the %s, ratios recomputed from '
            'the sums. Buckets are UTC (a UTC day is not the site''s day); queue_kpi_hourly exists '
            'on every build.',
            cagg.source, cagg.span, cagg.source, cagg.span));
        FOR col IN
            SELECT a.attname FROM pg_attribute a
            WHERE a.attrelid = to_regclass(format('public.%I', cagg.name))
              AND a.attnum > 0 AND NOT a.attisdropped
        LOOP
            IF col.attname = 'bucket' THEN
                source_comment := format('Start of the %s (UTC).', cagg.span);
            ELSE
                source_comment := col_description(
                    to_regclass(format('public.%I', cagg.source)),
                    (SELECT attnum FROM pg_attribute
                     WHERE attrelid = to_regclass(format('public.%I', cagg.source))
                       AND attname = col.attname AND NOT attisdropped));
                CONTINUE WHEN source_comment IS NULL;
                source_comment := replace(replace(source_comment, 'in the minute',
                                                  'in the ' || cagg.span),
                                          'the minute', 'the ' || cagg.span);
            END IF;
            EXECUTE format('COMMENT ON COLUMN %I.%I IS %L', cagg.name, col.attname,
                           source_comment);
        END LOOP;
    END LOOP;
END
$$;

-- ---- tenant views

-- The views of schema queuepulse_tenant (095-tenants.sql, rebuilt on every upgrade) carry the
-- comments of the public relation they show, so a tenant's \d+ reads the same text.
DO $$
DECLARE
    rel record;
    base_comment text;
BEGIN
    FOR rel IN
        SELECT c.oid AS tenant_oid, c.relname, to_regclass(format('public.%I', c.relname)) AS base
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'queuepulse_tenant' AND c.relkind = 'v'
    LOOP
        CONTINUE WHEN rel.base IS NULL;
        base_comment := obj_description(rel.base, 'pg_class');
        EXECUTE format('COMMENT ON VIEW queuepulse_tenant.%I IS %L', rel.relname,
                       concat_ws(' ', base_comment,
                                 'Tenant view: only the rows of the querying tenant''s PBXs.'));
        EXECUTE coalesce((
            SELECT string_agg(format('COMMENT ON COLUMN queuepulse_tenant.%I.%I IS %L;',
                                     rel.relname, t.attname, col_description(rel.base, b.attnum)),
                              ' ')
            FROM pg_attribute t
            JOIN pg_attribute b ON b.attrelid = rel.base AND b.attname = t.attname
                               AND NOT b.attisdropped
            WHERE t.attrelid = rel.tenant_oid AND t.attnum > 0 AND NOT t.attisdropped
              AND col_description(rel.base, b.attnum) IS NOT NULL
        ), 'SELECT 1');
    END LOOP;
END
$$;
