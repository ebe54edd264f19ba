"""Kept tables: the hourly (schema 004) and 15-minute (schema 009) KPI rollups and agent_now
follow their sources."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

pytestmark = pytest.mark.db

SUMS = ("offered", "answered", "abandoned", "short_abandoned", "transferred", "answered_in_sla",
        "talk_count")


ROLLUPS = {"queue_kpi_hourly": "1 hour", "queue_kpi_15m": "15 minutes"}


def _rollup_vs_minutes(
    conn: psycopg.Connection[Any], rollup: str = "queue_kpi_hourly"
) -> tuple[list[Any], list[Any]]:
    cols = ", ".join(f"sum({c})::int" for c in SUMS)
    rolled = conn.execute(
        f"SELECT queue_dn, bucket, {cols}, max(max_wait_s), sum(minutes)::int "
        f"FROM {rollup} GROUP BY 1, 2 ORDER BY 1, 2").fetchall()
    minutes = conn.execute(
        f"SELECT queue_dn, date_bin(%s::interval, bucket, '2000-01-01 00:00+00'), {cols}, "
        "max(max_wait_s), count(*)::int FROM queue_kpi_1m GROUP BY 1, 2 ORDER BY 1, 2",
        (ROLLUPS[rollup],)).fetchall()
    return rolled, minutes


def _hourly_vs_minutes(conn: psycopg.Connection[Any]) -> tuple[list[Any], list[Any]]:
    return _rollup_vs_minutes(conn, "queue_kpi_hourly")


def test_hourly_rollup_follows_upserts_corrections_and_deletes(
    pg_conn: psycopg.Connection[Any],
) -> None:
    # 3 hours x 60 minutes for two queues, as the live flow's upserts would write them
    pg_conn.execute(
        "INSERT INTO queue_kpi_1m (pbx_id, queue_dn, bucket, offered, answered, abandoned, "
        "short_abandoned, transferred, answered_in_sla, max_wait_s, talk_count) "
        "SELECT 'p1', q, '2026-03-01T10:00:00Z'::timestamptz + m * interval '1 minute', 3, 2, "
        "1, m % 2, m % 3 / 2, 2, m, 2 FROM generate_series(0, 179) m, "
        "unnest(ARRAY['800', '801']) q")
    hourly, minutes = _hourly_vs_minutes(pg_conn)
    assert hourly == minutes
    assert len(hourly) == 6
    # the live flow re-emits a bucket with its full new value (upsert)
    pg_conn.execute(
        "INSERT INTO queue_kpi_1m (pbx_id, queue_dn, bucket, offered, max_wait_s) VALUES "
        "('p1', '800', '2026-03-01T10:05:00Z', 7, 999) ON CONFLICT (pbx_id, queue_dn, bucket) "
        "DO UPDATE SET offered = EXCLUDED.offered, max_wait_s = EXCLUDED.max_wait_s")
    # reconciliation rewrites a bucket lower and deletes one left without facts
    pg_conn.execute("UPDATE queue_kpi_1m SET max_wait_s = 1, answered = 0 WHERE queue_dn = '801' "
                    "AND bucket = '2026-03-01T12:59:00Z'")
    pg_conn.execute("DELETE FROM queue_kpi_1m WHERE queue_dn = '801' "
                    "AND bucket >= '2026-03-01T11:00:00Z' AND bucket < '2026-03-01T12:00:00Z'")
    hourly, minutes = _hourly_vs_minutes(pg_conn)
    assert hourly == minutes
    assert len(hourly) == 5
    row = pg_conn.execute("SELECT offered, max_wait_s FROM queue_kpi_hourly WHERE queue_dn = "
                          "'800' AND bucket = '2026-03-01T10:00:00Z'").fetchone()
    assert row == (3 * 59 + 7, 999.0)
    # rebuilding history gives the same rows
    before = pg_conn.execute("SELECT * FROM queue_kpi_hourly ORDER BY 1, 2, 3").fetchall()
    pg_conn.execute("DELETE FROM queue_kpi_hourly")
    pg_conn.execute("SELECT queuepulse_rollup_hours('p1', NULL, '-infinity', 'infinity')")
    after = pg_conn.execute("SELECT * FROM queue_kpi_hourly ORDER BY 1, 2, 3").fetchall()
    assert [r[:-1] for r in after] == [r[:-1] for r in before]  # all but updated_at


def test_15_minute_rollup_follows_upserts_corrections_and_deletes(
    pg_conn: psycopg.Connection[Any],
) -> None:
    # the same trigger keeps both rollups; a session in a half-hour zone cuts no slot locally
    pg_conn.execute("SET TIME ZONE 'Asia/Kolkata'")
    pg_conn.execute(
        "INSERT INTO queue_kpi_1m (pbx_id, queue_dn, bucket, offered, answered, abandoned, "
        "short_abandoned, transferred, answered_in_sla, max_wait_s, talk_count) "
        "SELECT 'p1', q, '2026-03-01T10:00:00Z'::timestamptz + m * interval '1 minute', 3, 2, "
        "1, m % 2, m % 3 / 2, 2, m, 2 FROM generate_series(0, 89) m, "
        "unnest(ARRAY['800', '801']) q")
    for rollup in ROLLUPS:
        rolled, minutes = _rollup_vs_minutes(pg_conn, rollup)
        assert rolled == minutes
    quarters, _ = _rollup_vs_minutes(pg_conn, "queue_kpi_15m")
    assert len(quarters) == 2 * 6
    assert {r[1].minute for r in quarters} == {0, 15, 30, 45}  # UTC quarter-hours
    assert all(r[-1] == 15 for r in quarters)
    pg_conn.execute(
        "INSERT INTO queue_kpi_1m (pbx_id, queue_dn, bucket, offered, max_wait_s) VALUES "
        "('p1', '800', '2026-03-01T10:20:00Z', 9, 999) ON CONFLICT (pbx_id, queue_dn, bucket) "
        "DO UPDATE SET offered = EXCLUDED.offered, max_wait_s = EXCLUDED.max_wait_s")
    pg_conn.execute("DELETE FROM queue_kpi_1m WHERE queue_dn = '801' "
                    "AND bucket >= '2026-03-01T10:30:00Z' AND bucket < '2026-03-01T10:45:00Z'")
    pg_conn.execute("UPDATE queue_kpi_1m SET answered = 0 WHERE queue_dn = '801' "
                    "AND bucket = '2026-03-01T11:29:00Z'")
    for rollup in ROLLUPS:
        rolled, minutes = _rollup_vs_minutes(pg_conn, rollup)
        assert rolled == minutes
    row = pg_conn.execute("SELECT offered, max_wait_s, minutes FROM queue_kpi_15m WHERE "
                          "queue_dn = '800' AND bucket = '2026-03-01T10:15:00Z'").fetchone()
    assert row == (3 * 14 + 9, 999.0, 15)
    assert pg_conn.execute("SELECT count(*) FROM queue_kpi_15m WHERE queue_dn = '801' AND "
                           "bucket = '2026-03-01T10:30:00Z'").fetchone() == (0,)
    # rebuilding history gives the same rows
    before = pg_conn.execute("SELECT * FROM queue_kpi_15m ORDER BY 1, 2, 3").fetchall()
    pg_conn.execute("DELETE FROM queue_kpi_15m")
    pg_conn.execute(
        "SELECT queuepulse_rollup_kpi('queue_kpi_15m', 'p1', NULL, '-infinity', 'infinity')")
    after = pg_conn.execute("SELECT * FROM queue_kpi_15m ORDER BY 1, 2, 3").fetchall()
    assert [r[:-1] for r in after] == [r[:-1] for r in before]  # all but updated_at
    with pytest.raises(psycopg.errors.RaiseException, match="not a KPI rollup"):
        pg_conn.execute("SELECT queuepulse_rollup_kpi('queue_live', 'p1', NULL, now(), now())")


def test_agent_now_keeps_the_newest_state_and_since_when(pg_conn: psycopg.Connection[Any]) -> None:
    def put(ts: str, state: str, on_call: bool) -> None:
        pg_conn.execute(
            "INSERT INTO agent_states (pbx_id, agent_dn, ts, queue_status, profile, registered, "
            "on_call, state) VALUES ('p1', '101', %s, 'LoggedIn', 'Available', true, %s, %s)",
            (ts, on_call, state))

    def now() -> tuple[Any, ...] | None:
        return pg_conn.execute("SELECT state, state_since::text, ts::text FROM agent_now "
                               "WHERE agent_dn = '101'").fetchone()

    put("2026-03-01 10:00:00+00", "free", False)
    put("2026-03-01 10:05:00+00", "free", False)  # same state: time in state continues
    assert now() == ("free", "2026-03-01 10:00:00+00", "2026-03-01 10:05:00+00")
    put("2026-03-01 10:07:00+00", "talking", True)
    assert now() == ("talking", "2026-03-01 10:07:00+00", "2026-03-01 10:07:00+00")
    put("2026-03-01 10:06:00+00", "away", False)  # late row: history only
    assert now() == ("talking", "2026-03-01 10:07:00+00", "2026-03-01 10:07:00+00")


def test_queue_live_now_keeps_the_newest_gauges(pg_conn: psycopg.Connection[Any]) -> None:
    for ts, waiting in (("10:00:00", 1), ("10:00:05", 3), ("09:59:00", 9)):  # the last is late
        pg_conn.execute("INSERT INTO queue_live (pbx_id, queue_dn, ts, waiting) VALUES "
                        "('p1', '800', %s, %s)", (f"2026-03-01 {ts}+00", waiting))
    assert pg_conn.execute("SELECT ts::text, waiting FROM queue_live_now").fetchall() == [
        ("2026-03-01 10:00:05+00", 3)]
