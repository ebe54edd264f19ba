-- queuepulse schema 006: looking ahead — arrival forecasts, staffing per interval, expected waits.
-- Released: never edit this file; add a new numbered file instead.
--
-- Written by `queuepulse run forecast`. Forecasts and expected-wait predictions keep the time
-- they were made, so their accuracy is a query (views in schema/idempotent/060-staffing.sql).

-- Expected arrivals per queue and 15-minute interval, one row per forecast run.
CREATE TABLE arrival_forecasts (
    pbx_id            text             NOT NULL,
    queue_dn          text             NOT NULL,
    interval_start    timestamptz      NOT NULL,
    made_at           timestamptz      NOT NULL,
    calls             double precision NOT NULL,
    local_date        date             NOT NULL,
    slot              smallint         NOT NULL,
    time_zone         text             NOT NULL,
    basis_days        integer          NOT NULL,
    level             double precision NOT NULL,
    holdout_wape_pct  double precision,
    method            text             NOT NULL DEFAULT 'weekday-profile-level',
    CONSTRAINT arrival_forecasts_key UNIQUE (pbx_id, queue_dn, interval_start, made_at),
    CONSTRAINT arrival_forecasts_calls_check CHECK (calls >= 0),
    CONSTRAINT arrival_forecasts_slot_check CHECK (slot BETWEEN 0 AND 95)
);
SELECT create_hypertable('arrival_forecasts', by_range('interval_start', INTERVAL '7 days'));
CREATE INDEX arrival_forecasts_queue_idx
    ON arrival_forecasts (pbx_id, queue_dn, interval_start, made_at DESC);

COMMENT ON TABLE arrival_forecasts IS
    'Arrival forecast per queue and 15-minute interval (weekday x time-of-day profile times an '
    'adaptive level, docs/staffing.md); one row per forecast run, so forecast accuracy is a query '
    '(view arrival_forecast_accuracy).';
COMMENT ON COLUMN arrival_forecasts.interval_start IS 'Start of the 15-minute interval (UTC).';
COMMENT ON COLUMN arrival_forecasts.made_at IS 'When the forecast was made (UTC).';
COMMENT ON COLUMN arrival_forecasts.calls IS 'Expected queue arrivals (offered visits) in the interval.';
COMMENT ON COLUMN arrival_forecasts.local_date IS 'The interval''s date in the site time zone (time_zone).';
COMMENT ON COLUMN arrival_forecasts.slot IS 'Quarter-hour of the local day, 0 = 00:00-00:15 site time.';
COMMENT ON COLUMN arrival_forecasts.time_zone IS 'IANA time zone of the site (QUEUEPULSE_PBX__TIME_ZONE).';
COMMENT ON COLUMN arrival_forecasts.basis_days IS 'Past days the profile value rests on (0: no history).';
COMMENT ON COLUMN arrival_forecasts.level IS 'Adaptive level factor applied to the weekly profile (1 = as usual).';
COMMENT ON COLUMN arrival_forecasts.holdout_wape_pct IS
    'WAPE (%) of the same method forecasting the queue''s last 7 complete days from the days before.';

-- Agents needed beside agents present, per queue and interval (latest computation wins).
CREATE TABLE staffing_intervals (
    pbx_id                text             NOT NULL,
    queue_dn              text             NOT NULL,
    interval_start        timestamptz      NOT NULL,
    computed_at           timestamptz      NOT NULL,
    kind                  text             NOT NULL,
    calls                 double precision NOT NULL,
    aht_s                 double precision NOT NULL,
    patience_s            double precision,
    sla_s                 double precision NOT NULL,
    target_pct            double precision NOT NULL,
    agents_needed         integer          NOT NULL,
    needed_sla_pct        double precision NOT NULL,
    agents_logged_in      double precision,
    agents_available      double precision,
    predicted_sla_pct     double precision,
    predicted_abandon_pct double precision,
    predicted_asa_s       double precision,
    model                 text             NOT NULL,
    CONSTRAINT staffing_intervals_key UNIQUE (pbx_id, queue_dn, interval_start),
    CONSTRAINT staffing_intervals_kind_check CHECK (kind IN ('measured', 'forecast')),
    CONSTRAINT staffing_intervals_model_check CHECK (model IN ('erlang-a', 'erlang-c'))
);
SELECT create_hypertable('staffing_intervals', by_range('interval_start', INTERVAL '7 days'));
CREATE INDEX staffing_intervals_pbx_idx ON staffing_intervals (pbx_id, interval_start DESC);

COMMENT ON TABLE staffing_intervals IS
    'Agents needed (Erlang A with the queue''s SLA time, target, measured patience and handle time; '
    'Erlang C without measured patience) beside agents logged in and available, per queue and '
    '15-minute interval: measured for past intervals, forecast for now and the horizon. The latest '
    'computation of an interval replaces the previous one.';
COMMENT ON COLUMN staffing_intervals.interval_start IS 'Start of the 15-minute interval (UTC).';
COMMENT ON COLUMN staffing_intervals.computed_at IS 'When this row was computed (UTC).';
COMMENT ON COLUMN staffing_intervals.kind IS
    'measured: arrivals and agents as they happened; forecast: forecast arrivals and the agents logged in at computed_at.';
COMMENT ON COLUMN staffing_intervals.calls IS 'Arrivals (offered visits) in the interval, measured or forecast.';
COMMENT ON COLUMN staffing_intervals.aht_s IS 'Average handle (talk) time used, seconds.';
COMMENT ON COLUMN staffing_intervals.patience_s IS 'Mean caller patience used, seconds (NULL: Erlang C, no abandon data).';
COMMENT ON COLUMN staffing_intervals.sla_s IS 'SLA answer time of the queue, seconds.';
COMMENT ON COLUMN staffing_intervals.target_pct IS 'Service-level target: per cent answered within sla_s.';
COMMENT ON COLUMN staffing_intervals.agents_needed IS 'Fewest agents meeting the target (and the maximum occupancy).';
COMMENT ON COLUMN staffing_intervals.needed_sla_pct IS 'Predicted SLA % with agents_needed agents.';
COMMENT ON COLUMN staffing_intervals.agents_logged_in IS 'Agents logged in: interval average (measured) or at computed_at (forecast).';
COMMENT ON COLUMN staffing_intervals.agents_available IS 'Agents free to take a call: interval average or at computed_at.';
COMMENT ON COLUMN staffing_intervals.predicted_sla_pct IS 'Predicted SLA % with the agents logged in (rounded down).';
COMMENT ON COLUMN staffing_intervals.predicted_abandon_pct IS 'Predicted abandon % with the agents logged in.';
COMMENT ON COLUMN staffing_intervals.predicted_asa_s IS 'Predicted ASA (seconds) with the agents logged in; NULL when unbounded.';
COMMENT ON COLUMN staffing_intervals.model IS 'erlang-a or erlang-c.';

-- Expected remaining wait of each waiting caller, one row per prediction.
CREATE TABLE expected_waits (
    pbx_id          text             NOT NULL,
    call_key        text             NOT NULL,
    queue_dn        text             NOT NULL,
    entered_at      timestamptz      NOT NULL,
    predicted_at    timestamptz      NOT NULL,
    position        integer          NOT NULL,
    agents          integer          NOT NULL,
    free_agents     integer          NOT NULL,
    aht_s           double precision NOT NULL,
    patience_s      double precision,
    expected_wait_s double precision,
    method          text             NOT NULL,
    CONSTRAINT expected_waits_key UNIQUE (pbx_id, call_key, queue_dn, entered_at, predicted_at),
    CONSTRAINT expected_waits_position_check CHECK (position >= 1)
);
SELECT create_hypertable('expected_waits', by_range('predicted_at', INTERVAL '1 day'));
CREATE INDEX expected_waits_visit_idx
    ON expected_waits (pbx_id, call_key, queue_dn, entered_at, predicted_at DESC);

COMMENT ON TABLE expected_waits IS
    'Expected remaining wait of each waiting queue visit (keys of queue_calls), from its position, '
    'the agents logged in and free, recent handle time and patience (docs/staffing.md); one row per '
    'prediction, so its accuracy against the real wait is a query (view expected_wait_accuracy).';
COMMENT ON COLUMN expected_waits.predicted_at IS 'When the prediction was made (UTC).';
COMMENT ON COLUMN expected_waits.position IS 'Position in the queue at predicted_at, 1 = longest waiting.';
COMMENT ON COLUMN expected_waits.agents IS 'Agents logged in to the queue at predicted_at.';
COMMENT ON COLUMN expected_waits.free_agents IS 'Agents free at predicted_at.';
COMMENT ON COLUMN expected_waits.aht_s IS 'Recent average handle time used, seconds.';
COMMENT ON COLUMN expected_waits.patience_s IS 'Mean patience used, seconds (NULL: none measured).';
COMMENT ON COLUMN expected_waits.expected_wait_s IS
    'Expected seconds from predicted_at until an agent answers (NULL: no agent logged in).';
COMMENT ON COLUMN expected_waits.method IS 'Prediction method (position-erlang-a).';
