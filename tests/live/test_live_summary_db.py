"""The demo summary's queries (queuepulse.live.summary.fetch_summary) against a migrated
database: the latest gauges per queue, today's KPI sums (yesterday's left out), current names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from queuepulse.live.summary import QueueSummary, fetch_summary

pytestmark = pytest.mark.db

NOW = datetime.now(UTC).replace(microsecond=0)


def test_fetch_summary_reads_latest_gauges_todays_kpis_and_current_names(pg_dsn: str) -> None:
    today = NOW.replace(hour=0, minute=0, second=0)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO queues (pbx_id, queue_dn, valid_from, valid_to, name) VALUES "
            "('s', '800', %s, %s, 'Old name'), ('s', '800', %s, NULL, 'Sales'), "
            "('other', '800', %s, NULL, 'Not this PBX')",
            (today - timedelta(days=3), today - timedelta(days=1), today - timedelta(days=1),
             today - timedelta(days=1)))
        conn.execute(
            "INSERT INTO queue_live (pbx_id, queue_dn, ts, waiting, longest_wait_s, talking, "
            "agents_logged_in, agents_talking, agents_free) VALUES "
            "('s', '800', %s, 9, 99, 9, 9, 9, 9), ('s', '800', %s, 2, 31.4, 1, 5, 3, 1), "
            "('s', '801', %s, 0, NULL, 0, 2, 0, 2), ('other', '800', %s, 7, 7, 7, 7, 7, 7)",
            (NOW - timedelta(seconds=2), NOW, NOW - timedelta(seconds=1), NOW + timedelta(1)))
        conn.execute(
            "INSERT INTO queue_kpi_1m (pbx_id, queue_dn, bucket, offered, answered, abandoned, "
            "short_abandoned, answered_in_sla) VALUES "
            "('s', '800', %s, 4, 3, 1, 0, 2), ('s', '800', %s, 6, 5, 1, 1, 4), "
            "('s', '800', %s, 50, 50, 0, 0, 0)",
            (today, today + timedelta(minutes=1), today - timedelta(minutes=1)))
        at, rows = fetch_summary(conn, "s")
    assert at == NOW
    assert sorted(rows, key=lambda r: r.queue_dn) == [
        QueueSummary("800", waiting=2, longest_wait_s=31.4, talking=1, offered=10, answered=8,
                     abandoned=2, short_abandoned=1, answered_in_sla=6, agents_logged_in=5,
                     agents_talking=3, agents_free=1, name="Sales"),
        QueueSummary("801", agents_logged_in=2, agents_free=2),
    ]
    assert rows[0].sla_pct == pytest.approx(100 * 6 / 9)


def test_today_is_the_sites_local_day(pg_dsn: str) -> None:
    """Asia/Kolkata (+05:30): today began at the site's local midnight, 18:30 UTC; a minute
    at that midnight counts, one half an hour before it does not. A UTC day would differ
    (it would count both, or neither of the two, depending on the hour)."""
    midnight = (NOW.astimezone(ZoneInfo("Asia/Kolkata"))
                .replace(hour=0, minute=0, second=0).astimezone(UTC))
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO pbx_sites (pbx_id, time_zone, time_zone_source, updated_at) "
                     "VALUES ('k', 'Asia/Kolkata', 'setting', now())")
        conn.execute("INSERT INTO queue_live (pbx_id, queue_dn, ts, waiting) "
                     "VALUES ('k', '800', %s, 0)", (NOW,))
        conn.execute(
            "INSERT INTO queue_kpi_1m (pbx_id, queue_dn, bucket, offered) VALUES "
            "('k', '800', %s, 1), ('k', '800', %s, 10), ('k', '800', %s, 100)",
            (midnight - timedelta(minutes=30), midnight, midnight + timedelta(minutes=1)))
        at, rows = fetch_summary(conn, "k")
    assert at == NOW
    assert [r.offered for r in rows] == [110]
