-- queuepulse schema 008: honest KPI names. The caller's number and display name in separate
-- columns, talk time named as talk time, SLA % documented in its one unit (per cent, 0..100).
-- The old names stay readable until 0.3 through the views of schema queuepulse_compat
-- (schema/idempotent/080-compat.sql).
-- Released: never edit this file; add a new numbered file instead.

-- --- caller_number and caller_name ------------------------------------------------------------

-- The SQL twin of queuepulse.domain.caller.split_caller (a test checks that the two agree on a
-- table of examples): the ActiveCalls Caller string, or a stored caller value, split into
-- number and display name. Whitespace is the six characters space, tab, LF, CR, FF, VT.
--   1. NULL or only whitespace: neither;
--   2. '<name> (<number>)' or '<name> <<number>>': both (the name may be missing);
--   3. '<number>' or '<number> <name>': the number, and the name when there is one;
--   4. anything else: a name only.
-- A number is an optional '+' then groups of digits (or '*', as masking leaves them) joined by
-- single spaces, dots, slashes or hyphens, or 'sha256:' and 64 hex digits (a hashed number).
CREATE FUNCTION queuepulse_split_caller(
    raw text, OUT caller_number text, OUT caller_name text
)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
DECLARE
    ws constant text := E' \t\n\r\f\x0b';
    t text := btrim(raw, E' \t\n\r\f\x0b');
    m text[];
BEGIN
    IF t IS NULL OR t = '' THEN
        RETURN;
    END IF;
    m := regexp_match(t, '^(.*[^ \t\n\r\f\v])?[ \t\n\r\f\v]*[(<][ \t\n\r\f\v]*'
        '(sha256:[0-9a-f]{64}|\+?[0-9*]+(?:[ ./-][0-9*]+)*)[ \t\n\r\f\v]*[)>]$');
    IF m IS NOT NULL THEN
        caller_number := m[2];
        caller_name := nullif(btrim(m[1], ws), '');
        RETURN;
    END IF;
    m := regexp_match(t, '^(sha256:[0-9a-f]{64}|\+?[0-9*]+(?:[ ./-][0-9*]+)*)'
        '(?:[ \t\n\r\f\v]+(.*))?$');
    IF m IS NOT NULL THEN
        caller_number := m[1];
        caller_name := nullif(btrim(m[2], ws), '');
        RETURN;
    END IF;
    caller_name := t;
END
$$;
COMMENT ON FUNCTION queuepulse_split_caller(text) IS
    'Splits a 3CX ActiveCalls Caller string (or a pre-0.2 queue_calls.caller value) into '
    'caller_number and caller_name, by the same rule as queuepulse.domain.caller.split_caller.';

ALTER TABLE queue_calls ADD COLUMN caller_number text, ADD COLUMN caller_name text;
-- Stored values already passed the privacy policy: a masked or hashed number stays a number
-- (in mask and hash modes no name was stored).
UPDATE queue_calls
SET (caller_number, caller_name) = (SELECT s.caller_number, s.caller_name
                                    FROM queuepulse_split_caller(caller) s)
WHERE caller IS NOT NULL;
ALTER TABLE queue_calls DROP COLUMN caller;

COMMENT ON COLUMN queue_calls.caller_number IS
    'The caller''s number after the privacy policy (QUEUEPULSE_PRIVACY__CALLER_MODE: kept, '
    'masked as +*******456, or hashed as sha256:<hex>). Live: the number part of the ActiveCalls '
    'Caller text; reconciled (cdr): CallHistoryView SrcCallerNumber. NULL when the PBX showed no '
    'number (a name only, or nothing).';
COMMENT ON COLUMN queue_calls.caller_name IS
    'The caller''s display name after the privacy policy (QUEUEPULSE_PRIVACY__CALLER_NAME_MODE: '
    'kept, masked as J*** D**, or dropped; by default dropped when numbers are masked or hashed). '
    'Live: the name part of the ActiveCalls Caller text; reconciled (cdr): CallHistoryView '
    'SrcDisplayName. NULL when the PBX showed no name or the policy drops names.';

-- --- avg_talk_s: talk time, not handle time -------------------------------------------------

ALTER TABLE queue_kpi_1m RENAME COLUMN aht_s TO avg_talk_s;
ALTER TABLE entry_queue_kpi_1m RENAME COLUMN aht_s TO avg_talk_s;

-- The hourly and daily continuous aggregates exist on the Timescale-licensed build only
-- (schema/idempotent/040-licensed-caggs.sql creates them, with the new name, where missing).
DO $$
DECLARE
    cagg text;
BEGIN
    FOREACH cagg IN ARRAY ARRAY['queue_kpi_1h', 'queue_kpi_1d', 'entry_queue_kpi_1h',
                                'entry_queue_kpi_1d'] LOOP
        IF EXISTS (SELECT 1 FROM pg_attribute
                   WHERE attrelid = to_regclass('public.' || cagg) AND attname = 'aht_s'
                     AND NOT attisdropped) THEN
            EXECUTE format('ALTER MATERIALIZED VIEW public.%I RENAME COLUMN aht_s TO avg_talk_s',
                           cagg);
        END IF;
    END LOOP;
END
$$;

COMMENT ON COLUMN queue_kpi_1m.avg_talk_s IS
    'Average talk time of the talks that ended in the minute, seconds (talk_s_sum / talk_count): '
    'talk only, no hold or wrap-up — handle time adds the queue''s wrap-up. NULL when no talk '
    'ended. Called aht_s before 0.2.';
COMMENT ON COLUMN entry_queue_kpi_1m.avg_talk_s IS
    'Average talk time of the talks that ended in the minute, by entry queue, seconds '
    '(talk_s_sum / talk_count): talk only, no wrap-up. NULL when no talk ended. Called aht_s '
    'before 0.2.';

-- --- SLA %: per cent, 0..100, everywhere ----------------------------------------------------

COMMENT ON COLUMN queue_kpi_1m.sla_pct IS
    'Service level, per cent 0..100: 100 * answered_in_sla / (answered + abandoned - '
    'short_abandoned). NULL when that denominator is 0.';
COMMENT ON COLUMN entry_queue_kpi_1m.sla_pct IS
    'End-to-end service level by entry queue, per cent 0..100: 100 * answered_in_sla / '
    '(answered + abandoned - short_abandoned). NULL when that denominator is 0.';
COMMENT ON COLUMN pbx_queue_reports.sla_pct IS
    '3CX''s service level (report StatisticSla), per cent 0..100: 100 * (ReceivedCount - '
    'BadSlaCallsCount) / ReceivedCount, 3CX''s definition, not ours. NULL for other reports and '
    'when nothing was received.';

-- --- staffing: the handle time is talk + wrap-up ----------------------------------------------

COMMENT ON COLUMN staffing_intervals.aht_s IS
    'Average handle time used by the model, seconds: the mean talk time of the queue''s ended '
    'talks (the last hour''s when it has enough talks, else the last 28 days'') plus the queue''s '
    'configured wrap-up time (queues.wrap_up_time_s, 0 when unset).';
COMMENT ON COLUMN expected_waits.aht_s IS
    'Average handle time used by the prediction, seconds: recent mean talk time plus the '
    'queue''s configured wrap-up time (queues.wrap_up_time_s, 0 when unset).';
