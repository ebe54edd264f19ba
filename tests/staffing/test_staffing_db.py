"""The forecast job, the staffing tables and views, and the CLI against a real TimescaleDB."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from queuepulse.cli import main
from queuepulse.commands.run_forecast import run_forever
from queuepulse.domain.forecast import day_intervals, local_slot
from queuepulse.schedule import FixedRate
from queuepulse.staffing.job import JobConfig, StaffingJob
from queuepulse.store.staffing_tables import WRITER_TABLES
from queuepulse.store.writers import BatchWriter

pytestmark = pytest.mark.db

PBX = "pbx-s"
TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 1, 19, 10, 7, tzinfo=UTC)  # a Monday, 11:07 in Berlin

HISTORY = """
INSERT INTO queues (pbx_id, queue_dn, valid_from, name, sla_time_s, wrap_up_time_s)
VALUES (%(pbx)s, '800', %(start)s, 'Sales', 20, NULL),
       (%(pbx)s, '801', %(start)s, 'Support', 30, 15), (%(pbx)s, '802', %(start)s, 'New', 20, 0);

-- three weeks of office-hours traffic (08-18 UTC weekdays) in 800 and 801, none in 802
INSERT INTO queue_kpi_1m (pbx_id, queue_dn, bucket, offered, answered, abandoned,
    short_abandoned, answered_in_sla, wait_answered_s_sum, wait_abandoned_s_sum, talk_s_sum,
    talk_count)
SELECT %(pbx)s, q.dn, b, q.rate, q.rate - 1 + (extract(minute FROM b)::int %% 2), 1 -
       (extract(minute FROM b)::int %% 2), 0, q.rate - 1, 12.0 * q.rate, 40.0, 150.0 * q.rate,
       q.rate
FROM (VALUES ('800', 2), ('801', 1)) AS q(dn, rate)
CROSS JOIN generate_series(%(start)s::timestamptz, %(now)s::timestamptz - interval '1 minute',
                           interval '1 minute') AS b
WHERE extract(isodow FROM b) < 6 AND extract(hour FROM b) BETWEEN 8 AND 17;

-- the live gauges of the last minute: 800 has 3 agents logged in (1 free), 801 has 2
INSERT INTO queue_live (pbx_id, queue_dn, ts, waiting, agents_logged_in, agents_free)
SELECT %(pbx)s, q.dn, t, q.waiting, q.agents, q.free
FROM (VALUES ('800', 3, 3, 1), ('801', 0, 2, 2)) AS q(dn, waiting, agents, free)
CROSS JOIN generate_series(%(now)s::timestamptz - interval '3 hours', %(now)s::timestamptz,
                           interval '30 seconds') AS t;

-- three callers waiting in 800
INSERT INTO queue_calls (pbx_id, call_key, queue_dn, entered_at, outcome)
SELECT %(pbx)s, 'k' || i, '800', %(now)s::timestamptz - make_interval(secs => 90 - 20 * i),
       'waiting'
FROM generate_series(1, 3) AS i;
"""


def _fill(conn: psycopg.Connection[Any], now: datetime = NOW) -> None:
    params = {"pbx": PBX, "start": now - timedelta(weeks=3), "now": now}
    for statement in HISTORY.split(";\n"):
        if statement.strip():
            conn.execute(statement, params)


def _job(dsn: str, **config: Any) -> StaffingJob:
    writer = BatchWriter.from_dsn(dsn, tables=WRITER_TABLES)
    return StaffingJob(JobConfig(PBX, TZ, **config), lambda: psycopg.connect(dsn), writer)


def test_forecast_run_stores_forecasts_staffing_and_expected_waits(
        pg_conn: psycopg.Connection[Any], pg_writer_dsn: str, pg_reader_dsn: str) -> None:
    _fill(pg_conn)
    job = _job(pg_writer_dsn, horizon_days=2)
    try:
        run = job.forecast_once(NOW)
        waits = job.expected_waits_once(NOW)
    finally:
        job.writer.close()
    today = local_slot(NOW, TZ)[0]
    remaining = [s for s in day_intervals(today, TZ) if s >= datetime(2026, 1, 19, 10, 0,
                                                                         tzinfo=UTC)]
    per_queue = len(remaining) + 2 * 96
    assert run.queues == 3
    assert run.forecast_rows == 3 * per_queue
    assert run.no_handle_time == ["802"]  # forecast stored, no staffing without handle times
    with psycopg.connect(pg_reader_dsn) as reader:  # analysts read everything as the reader
        made = reader.execute(
            "SELECT queue_dn, count(*), min(made_at), min(interval_start), min(time_zone) "
            "FROM arrival_forecasts GROUP BY 1 ORDER BY 1").fetchall()
        assert [(r[0], r[1]) for r in made] == [("800", per_queue), ("801", per_queue),
                                                ("802", per_queue)]
        assert all(r[2] == NOW and r[3] == remaining[0] and r[4] == TZ.key for r in made)
        # a weekday 10:00 UTC (11:00 Berlin) quarter-hour of 800 had 2 calls a minute
        tomorrow = reader.execute(
            "SELECT calls, basis_days FROM arrival_forecasts WHERE queue_dn = '800' "
            "AND interval_start = %s", (datetime(2026, 1, 20, 10, 0, tzinfo=UTC),)).fetchone()
        assert tomorrow is not None
        assert tomorrow[0] == pytest.approx(30.0, rel=0.05)
        assert tomorrow[1] == 3
        night = reader.execute(
            "SELECT calls FROM arrival_forecasts WHERE queue_dn = '800' AND interval_start = %s",
            (datetime(2026, 1, 20, 2, 0, tzinfo=UTC),)).fetchone()
        assert night == (0.0,)

        staffing = reader.execute(
            "SELECT kind, count(*) FROM staffing_intervals WHERE queue_dn = '800' GROUP BY 1"
        ).fetchall()
        # the last 24 hours are recomputed from measurements each run
        assert dict(staffing) == {"measured": 96, "forecast": per_queue}
        row = reader.execute(
            "SELECT agents_needed, agents_logged_in, agents_available, predicted_sla_pct, "
            "aht_s, patience_s, sla_s, model FROM staffing_intervals "
            "WHERE queue_dn = '800' AND interval_start = %s", (remaining[0],)).fetchone()
        assert row is not None
        needed, logged_in, free, predicted, aht, patience, sla, model = row
        # 30 calls a quarter-hour, 150 s calls: 5 Erlangs need more than the 3 logged in
        assert aht == pytest.approx(150.0)
        assert model == "erlang-a"
        assert patience is not None
        assert sla == 20
        assert (logged_in, free) == (3.0, 1.0)
        assert needed >= 6
        assert predicted < 80
        # handle time = talk + the queue's configured wrap-up (801: 150 s talk + 15 s wrap-up)
        support = reader.execute(
            "SELECT DISTINCT aht_s FROM staffing_intervals WHERE queue_dn = '801'").fetchall()
        assert support == [(pytest.approx(165.0),)]
        measured = reader.execute(
            "SELECT calls, agents_logged_in FROM staffing_intervals WHERE queue_dn = '800' "
            "AND interval_start = %s", (datetime(2026, 1, 19, 8, 0, tzinfo=UTC),)).fetchone()
        assert measured == (30.0, 3.0)

        # expected waits: the three callers of 800 in order, 801 has nobody waiting
        assert waits.predictions == 3
        ranked = reader.execute(
            "SELECT call_key, position, agents, free_agents, expected_wait_s FROM "
            "expected_waits ORDER BY position").fetchall()
        assert [(r[0], r[1], r[2], r[3]) for r in ranked] == [
            ("k1", 1, 3, 1), ("k2", 2, 3, 1), ("k3", 3, 3, 1)]
        assert ranked[0][4] == 0.0
        assert 0 < ranked[1][4] < ranked[2][4]


def test_accuracy_is_a_query_and_reruns_keep_forecast_history(
        pg_conn: psycopg.Connection[Any], pg_writer_dsn: str) -> None:
    _fill(pg_conn)
    job = _job(pg_writer_dsn, horizon_days=0)
    try:
        job.forecast_once(NOW)
        job.expected_waits_once(NOW)
        later = NOW + timedelta(minutes=15)
        job.forecast_once(later)
    finally:
        job.writer.close()
    # the caller second in line is answered 40 s after the prediction
    pg_conn.execute(
        "UPDATE queue_calls SET outcome = 'answered', answered_at = %s WHERE call_key = 'k2'",
        (NOW + timedelta(seconds=40),))
    expected = pg_conn.execute(
        "SELECT expected_wait_s FROM expected_waits WHERE call_key = 'k2'").fetchone()
    assert expected is not None
    accuracy = pg_conn.execute(
        "SELECT actual_wait_s, abs_error_s FROM expected_wait_accuracy").fetchall()
    assert accuracy == [(40.0, pytest.approx(abs(expected[0] - 40.0)))]
    # forecasts of one interval made by two runs are both kept; staffing keeps the newer one
    made = pg_conn.execute(
        "SELECT count(DISTINCT made_at) FROM arrival_forecasts WHERE queue_dn = '800' "
        "AND interval_start = %s", (datetime(2026, 1, 19, 12, 0, tzinfo=UTC),)).fetchone()
    assert made == (2,)
    computed = pg_conn.execute(
        "SELECT DISTINCT computed_at FROM staffing_intervals WHERE kind = 'forecast' "
        "AND queue_dn = '800'").fetchall()
    assert computed == [(NOW + timedelta(minutes=15),)]
    # the intervals past by now compare forecast with what came (history has no traffic there)
    errors = pg_conn.execute(
        "SELECT count(*), sum(actual_calls) FROM arrival_forecast_accuracy "
        "WHERE queue_dn = '800'").fetchone()
    assert errors is not None
    assert errors[0] > 0


def test_run_forecast_once_and_the_queue_calculator(
        pg_conn: psycopg.Connection[Any], pg_dsn: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    # the command uses the wall clock: the history reaches up to it
    _fill(pg_conn, datetime.now(UTC).replace(second=0, microsecond=0))
    monkeypatch.setenv("QUEUEPULSE_PBX__TIME_ZONE", "Europe/Berlin")
    assert main(["run", "forecast", "--once", "--dsn", pg_dsn, "--pbx-id", PBX]) == 0
    out = capsys.readouterr().out
    assert "3 queues" in out
    assert "(Europe/Berlin)" in out
    assert "no handle-time history yet for 802" in out
    assert "3 expected waits" in out
    # the wall board's view: the newest prediction of each caller waiting now
    board = pg_conn.execute(
        "SELECT call_key, position, expected_wait_now_s <= expected_wait_s "
        "FROM waiting_expected_wait ORDER BY position").fetchall()
    assert board == [("k1", 1, True), ("k2", 2, True), ("k3", 3, True)]
    # the next weekday (the history has traffic on weekdays only)
    day = next(d for d in ((datetime.now(TZ) + timedelta(days=i)).date() for i in range(1, 8))
               if d.weekday() < 5)
    assert main(["staffing", "--queue", "800", "--date", day.isoformat(), "--dsn", pg_dsn,
                 "--pbx-id", PBX, "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["queue"] == "800"
    assert result["time_zone"] == "Europe/Berlin"
    assert len(result["intervals"]) in (92, 96, 100)
    busiest = max(result["intervals"], key=lambda i: i["agents_needed"])
    assert busiest["agents_needed"] >= 6
    assert {"agents_needed", "service_level_pct", "asa_s", "abandon_pct", "occupancy_pct",
            "table"} <= set(busiest)
    # no forecast for a day outside the horizon: one clear line, exit 2
    assert main(["staffing", "--queue", "800", "--date", "2020-01-01", "--dsn", pg_dsn,
                 "--pbx-id", PBX]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "no stored forecast for queue 800 on 2020-01-01" in err[0]


def test_continuous_mode_paces_passes_and_forecasts_on_its_interval(
        pg_conn: psycopg.Connection[Any], pg_writer_dsn: str) -> None:
    _fill(pg_conn)
    job = _job(pg_writer_dsn, horizon_days=0)
    clock = {"t": 0.0}
    stop = asyncio.Event()
    passes: list[datetime] = []

    async def sleep(seconds: float) -> None:  # the injected clock moves instead of waiting
        clock["t"] += seconds
        if len(passes) >= 6:
            stop.set()

    def now() -> datetime:
        at = NOW + timedelta(seconds=clock["t"])
        passes.append(at)
        return at

    rate = FixedRate(15.0, clock=lambda: clock["t"], sleep=sleep, start=0.0)
    try:
        asyncio.run(run_forever(job, 60.0, 15.0, stop, "127.0.0.1", 0, now=now, rate=rate))
    finally:
        job.writer.close()
    runs = pg_conn.execute(
        "SELECT made_at FROM arrival_forecasts GROUP BY made_at ORDER BY made_at").fetchall()
    # a pass every 15 s; a forecast at 0 s and 60 s
    assert [p - NOW for p in passes[:6]] == [timedelta(seconds=15 * i) for i in range(6)]
    assert [r[0] - NOW for r in runs] == [timedelta(0), timedelta(seconds=60)]
    predicted = pg_conn.execute(
        "SELECT count(DISTINCT predicted_at) FROM expected_waits").fetchone()
    assert predicted == (6,)


def test_table_specs_match_the_migration(pg_conn: psycopg.Connection[Any]) -> None:
    from queuepulse.store.staffing_tables import STAFFING_TABLES

    for name, spec in STAFFING_TABLES.items():
        columns = {r[0] for r in pg_conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = %s", (name,)).fetchall()}
        assert set(spec.columns) == columns, name
        comments = pg_conn.execute(
            "SELECT count(*) FILTER (WHERE col_description(%s::regclass, ordinal_position) "
            "IS NOT NULL) FROM information_schema.columns WHERE table_name = %s",
            (name, name)).fetchone()
        assert comments is not None
        assert comments[0] >= 5, f"{name}: columns need COMMENTs"
        assert pg_conn.execute("SELECT obj_description(%s::regclass)", (name,)).fetchone() \
            != (None,)
