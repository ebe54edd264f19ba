"""The typed report queries of queuepulse.analytics against the report views of a migrated
database: 15-minute rows equal the view, 30/60-minute rows and days in any zone are the sums of
the 15-minute rows with ratios recomputed from the sums, DST days have 23/25 hours."""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
import sqlalchemy
from report_data import AGENT, AUTUMN, PBX, QUEUES, SITE_TZ, SPRING, fill
from sqlalchemy import select, text

from queuepulse.analytics import reports, tables
from queuepulse.analytics.engine import engine_for
from queuepulse.analytics.frames import to_dataframe
from queuepulse.errors import SetupError

pytestmark = pytest.mark.db

COUNTS = ("offered", "answered", "abandoned", "short_abandoned", "transferred",
          "answered_in_sla", "talk_count")
SUMS = ("wait_answered_s_sum", "wait_abandoned_s_sum", "talk_s_sum", "handle_s_sum")


@pytest.fixture
def conn(pg_conn: psycopg.Connection[Any], pg_reader_dsn: str) -> Iterator[sqlalchemy.Connection]:
    """The data set written as the superuser, read as the reader role (read-only sessions)."""
    fill(pg_conn)
    engine = engine_for(pg_reader_dsn, read_only=True)
    with engine.connect() as c:
        yield c
    engine.dispose()


def _view_intervals(conn: sqlalchemy.Connection) -> list[dict[str, Any]]:
    v = tables.report_queue_interval
    rows = conn.execute(select(v).where(v.c.pbx_id == PBX).order_by(v.c.interval_start,
                                                                     v.c.queue_dn))
    return [dict(r._mapping) for r in rows]


def _div(a: float, b: float) -> float | None:
    return a / b if b else None


def _expected(group: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of a group of 15-minute rows: sums, and ratios from the sums (kpi.py)."""
    total = {k: sum(r[k] for r in group) for k in (*COUNTS, *SUMS)}
    total["sla_pct"] = _div(100.0 * total["answered_in_sla"],
                            total["answered"] + total["abandoned"] - total["short_abandoned"])
    total["asa_s"] = _div(total["wait_answered_s_sum"], total["answered"])
    total["avg_wait_s"] = _div(total["wait_answered_s_sum"] + total["wait_abandoned_s_sum"],
                               total["answered"] + total["abandoned"])
    total["avg_talk_s"] = _div(total["talk_s_sum"], total["talk_count"])
    total["avg_handle_s"] = _div(total["handle_s_sum"], total["talk_count"])
    waits = [r["max_wait_s"] for r in group if r["max_wait_s"] is not None]
    total["max_wait_s"] = max(waits) if waits else None
    return total


def _same(actual: Any, expected: Any) -> bool:
    if expected is None or actual is None:
        return actual is expected
    return math.isclose(float(actual), float(expected), rel_tol=1e-9, abs_tol=1e-9)


def _assert_figures(row: Any, expected: dict[str, Any]) -> None:
    for name, value in expected.items():
        assert _same(getattr(row, name), value), (name, getattr(row, name), value, row)


def test_15_minute_rows_equal_the_view(conn: sqlalchemy.Connection) -> None:
    start, end = reports.local_day_bounds(AUTUMN[0], AUTUMN[1], SITE_TZ)
    rows = reports.interval_report(conn, PBX, None, start, end, 15)
    view = [r for r in _view_intervals(conn) if start <= r["interval_start"] < end]
    assert len(rows) == len(view) > 200
    for row, v in zip(rows, view, strict=True):
        for name in reports.columns_of(reports.IntervalRow):
            if name == "wrap_up_known":
                assert row.wrap_up_known == (v["wrap_up_s"] is not None and v["talk_count"] > 0)
            else:
                assert _same(getattr(row, name), v[name]) if isinstance(v[name], float) \
                    else getattr(row, name) == v[name], name


@pytest.mark.parametrize(("interval", "tz"), [(60, SITE_TZ), (30, SITE_TZ), (60, "UTC"),
                                              (30, "Asia/Kolkata")])
def test_longer_intervals_are_sums_of_15_minute_rows(conn: sqlalchemy.Connection,
                                                     interval: int, tz: str) -> None:
    zone = ZoneInfo(tz)
    start, end = reports.local_day_bounds(AUTUMN[0], AUTUMN[1], tz)
    rows = reports.interval_report(conn, PBX, ["800"], start, end, interval, tz)
    groups: dict[datetime, list[dict[str, Any]]] = defaultdict(list)
    for r in _view_intervals(conn):
        if r["queue_dn"] == "800" and start <= r["interval_start"] < end:
            local = r["interval_start"].astimezone(zone)
            into = timedelta(minutes=local.minute % interval)
            groups[r["interval_start"] - into].append(r)
    assert [r.interval_start for r in rows] == sorted(groups)
    for row in rows:
        local = row.interval_start.astimezone(zone)
        assert row.local_start == local.replace(tzinfo=None)
        assert row.local_date == local.date()
        assert row.local_start.minute % interval == 0
        assert row.interval_end - row.interval_start == timedelta(minutes=interval)
        assert row.time_zone == tz
        _assert_figures(row, _expected(groups[row.interval_start]))


def test_the_hour_repeated_when_dst_ends_is_two_rows(conn: sqlalchemy.Connection) -> None:
    start, end = reports.local_day_bounds(date(2026, 10, 25), date(2026, 10, 26), SITE_TZ)
    rows = reports.interval_report(conn, PBX, ["800"], start, end, 60)
    assert len(rows) == 25
    two = [r for r in rows if r.local_start == datetime(2026, 10, 25, 2, 0)]
    assert [r.interval_start.isoformat() for r in two] == [
        "2026-10-25T00:00:00+00:00", "2026-10-25T01:00:00+00:00"]


def test_days_have_23_and_25_hours(conn: sqlalchemy.Connection) -> None:
    spring = reports.daily_report(conn, PBX, ["800"], *SPRING)
    autumn = reports.daily_report(conn, PBX, ["800"], *AUTUMN)
    assert [(r.local_date.day, r.hours) for r in spring] == [(28, 24), (29, 23), (30, 24)]
    assert [(r.local_date.day, r.hours) for r in autumn] == [(24, 24), (25, 25), (26, 24)]
    assert [r.intervals for r in autumn] == [96, 100, 96]


def test_daily_in_the_site_zone_equals_the_daily_view(conn: sqlalchemy.Connection) -> None:
    rows = reports.daily_report(conn, PBX, None, *AUTUMN)
    d = tables.report_queue_daily
    view = conn.execute(select(d).where(d.c.pbx_id == PBX, d.c.local_date >= AUTUMN[0],
                                        d.c.local_date < AUTUMN[1])
                        .order_by(d.c.local_date, d.c.queue_dn)).all()
    assert len(rows) == len(view) == 6
    for row, v in zip(rows, view, strict=True):
        for name in reports.columns_of(reports.DailyRow):
            expected = v._mapping[name]
            if isinstance(expected, float | Decimal):
                assert _same(getattr(row, name), expected), name
            else:
                assert getattr(row, name) == expected, name
    # the site's zone by name: the same rows
    assert reports.daily_report(conn, PBX, None, *AUTUMN, tz=SITE_TZ) == rows


def test_daily_in_another_zone_sums_its_local_days(conn: sqlalchemy.Connection) -> None:
    rows = reports.daily_report(conn, PBX, ["801"], date(2026, 10, 24), date(2026, 10, 27),
                                tz="America/New_York")
    zone = ZoneInfo("America/New_York")
    days: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for r in _view_intervals(conn):
        local_day = r["interval_start"].astimezone(zone).date()
        if r["queue_dn"] == "801" and date(2026, 10, 24) <= local_day < date(2026, 10, 27):
            days[local_day].append(r)
    assert [r.local_date for r in rows] == sorted(days)
    for row in rows:
        assert row.time_zone == "America/New_York"
        assert row.hours == 24
        assert row.day_start == datetime(row.local_date.year, row.local_date.month,
                                         row.local_date.day, tzinfo=zone)
        assert row.intervals == len(days[row.local_date])
        assert row.wrap_up_known is False  # queue 801 has no wrap-up time
        _assert_figures(row, _expected(days[row.local_date]))


def test_agent_report_reads_the_view(conn: sqlalchemy.Connection) -> None:
    rows = reports.agent_report(conn, PBX, [AGENT], *AUTUMN)
    a = tables.report_agent_daily
    view = conn.execute(select(a).where(a.c.pbx_id == PBX, a.c.local_date >= AUTUMN[0],
                                        a.c.local_date < AUTUMN[1]).order_by(a.c.local_date)).all()
    assert [r.local_date for r in rows] == [v.local_date for v in view]
    assert rows
    for row, v in zip(rows, view, strict=True):
        assert row.agent_name == "Ada Agent"
        assert row.answered == v.answered
        assert _same(row.logged_in_s, v.logged_in_s)
        assert _same(row.occupancy_pct,
                                                                v.occupancy_pct)
    # the night shift 22:00-03:00 CET is cut at local midnight: 2 h on the 25th, 3 on the 26th
    assert [r.logged_in_s for r in rows] == [8 * 3600, 11.5 * 3600, 3 * 3600]
    with pytest.raises(reports.ReportError, match="site's local days"):
        reports.agent_report(conn, PBX, None, *AUTUMN, tz="UTC")


def test_abandon_curve_sums_the_days(conn: sqlalchemy.Connection) -> None:
    rows = reports.abandon_curve(conn, PBX, ["800"], *AUTUMN)
    c = tables.report_abandon_curve
    view = conn.execute(select(c).where(c.c.pbx_id == PBX, c.c.queue_dn == "800",
                                        c.c.local_date >= AUTUMN[0],
                                        c.c.local_date < AUTUMN[1])).all()
    per_band: dict[int, int] = defaultdict(int)
    for v in view:
        per_band[v.wait_from_s] += v.abandoned
    assert [(r.wait_from_s, r.abandoned) for r in rows] == sorted(per_band.items())
    assert rows[-1].wait_to_s is None
    assert rows[0].wait_to_s == 10
    assert rows[-1].cumulative_abandoned == sum(per_band.values()) > 0
    assert rows[-1].cumulative_pct == pytest.approx(100.0)


def test_service_level_curve_sums_the_days(conn: sqlalchemy.Connection) -> None:
    rows = reports.service_level_curve(conn, PBX, None, *SPRING)
    s = tables.report_service_level_curve
    view = conn.execute(select(s).where(s.c.pbx_id == PBX, s.c.local_date >= SPRING[0],
                                        s.c.local_date < SPRING[1])).all()
    totals: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    for v in view:
        totals[(v.queue_dn, v.threshold_s)][0] += v.answered_within
        totals[(v.queue_dn, v.threshold_s)][1] += v.calls_counted
    assert len(rows) == len(totals) == 2 * 12
    for row in rows:
        within, counted = totals[(row.queue_dn, row.threshold_s)]
        assert (row.answered_within, row.calls_counted) == (within, counted)
        assert _same(row.service_level_pct, _div(100.0 * within, counted))


@pytest.mark.parametrize("view", ["report_queue_daily", "report_agent_daily",
                                  "report_abandon_curve", "report_service_level_curve"])
def test_between_functions_equal_their_views_on_whole_days(conn: sqlalchemy.Connection,
                                                           view: str) -> None:
    """``<view>_between`` over the UTC bounds of one local day (23 and 25 hours long too) gives
    that day's rows of the view, which is the same function over all time: an agent's state in
    force at the start, the spans and visits crossing the bounds are cut exactly."""
    checked = 0
    for first, end in (SPRING, AUTUMN):
        day = first
        while day < end:
            start, stop = reports.local_day_bounds(day, day + timedelta(days=1), SITE_TZ)
            params = {"pbx": PBX, "day": day, "start": start, "stop": stop}
            got = conn.execute(text(
                f"SELECT * FROM {view}_between(:start, :stop) "
                "WHERE pbx_id = :pbx AND local_date = :day ORDER BY 1, 2, 3, 4, 5, 6"),
                params).all()
            want = conn.execute(text(
                f"SELECT * FROM {view} WHERE pbx_id = :pbx AND local_date = :day "
                "ORDER BY 1, 2, 3, 4, 5, 6"), params).all()
            assert len(got) == len(want) > 0, (view, day)
            for g, w in zip(got, want, strict=True):
                for a, b in zip(g, w, strict=True):
                    assert a == b or (isinstance(a, float) and _same(a, b)), (view, day, g, w)
            checked += 1
            day += timedelta(days=1)
    assert checked == 6


def test_bad_requests_are_report_errors(conn: sqlalchemy.Connection) -> None:
    start, end = reports.local_day_bounds(*AUTUMN, SITE_TZ)
    with pytest.raises(reports.ReportError, match="15, 30 or 60"):
        reports.interval_report(conn, PBX, None, start, end, 45)
    with pytest.raises(reports.ReportError, match="not after"):
        reports.interval_report(conn, PBX, None, end, start)
    with pytest.raises(reports.ReportError, match="timezone-aware"):
        reports.interval_report(conn, PBX, None, start.replace(tzinfo=None), end)
    with pytest.raises(reports.ReportError, match="unknown time zone 'Nowhere/City'"):
        reports.daily_report(conn, PBX, None, *AUTUMN, tz="Nowhere/City")


def test_look_ups(conn: sqlalchemy.Connection) -> None:
    assert reports.site_time_zone(conn, PBX) == SITE_TZ
    assert reports.site_time_zone(conn, "elsewhere") == "UTC"
    assert reports.known_pbx(conn, PBX)
    assert not reports.known_pbx(conn, "elsewhere")
    assert reports.known_queues(conn, PBX) == set(QUEUES)


def test_read_only_sessions_refuse_writes(pg_conn: psycopg.Connection[Any], pg_dsn: str) -> None:
    engine = engine_for(pg_dsn, read_only=True, jit=False)  # the superuser, yet read-only
    with engine.connect() as c:
        assert c.execute(text("SHOW jit")).scalar_one() == "off"
        with pytest.raises(sqlalchemy.exc.InternalError, match="read-only"):
            c.execute(text("INSERT INTO pbx_sites (pbx_id, time_zone, time_zone_source) "
                           "VALUES ('x', 'UTC', 'default')"))
    engine.dispose()


def test_to_dataframe(conn: sqlalchemy.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = reports.daily_report(conn, PBX, None, *AUTUMN)
    frame = to_dataframe(rows)
    assert list(frame.columns) == reports.columns_of(reports.DailyRow)
    assert len(frame) == len(rows) == 6
    assert frame["offered"].sum() == sum(r.offered for r in rows)
    assert list(to_dataframe([], reports.AgentDay).columns) == \
        reports.columns_of(reports.AgentDay)
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if the extra were not installed
    with pytest.raises(SetupError, match=r"queuepulse\[pandas\]"):
        to_dataframe(rows)


def test_ours_vs_pbx_puts_3cx_periods_of_the_days_beside_our_figures(
        conn: sqlalchemy.Connection, pg_conn: psycopg.Connection[Any]) -> None:
    berlin = ZoneInfo(SITE_TZ)
    inside = (datetime(2026, 3, 29, 8, 0, tzinfo=berlin), datetime(2026, 3, 29, 12, 0,
                                                                     tzinfo=berlin))
    outside = (datetime(2026, 4, 5, 8, 0, tzinfo=berlin), datetime(2026, 4, 5, 12, 0,
                                                                    tzinfo=berlin))
    for period_from, period_to in (inside, outside):
        pg_conn.execute(
            "INSERT INTO pbx_queue_reports (pbx_id, report, queue_dn, period_from, period_to, "
            "fetched_at, received_count, answered_count, abandoned_count, bad_sla_count, "
            "sla_pct) VALUES (%s, 'StatisticSla', '800', %s, %s, now(), 40, 30, 10, 5, 87.5)",
            (PBX, period_from, period_to))
    pg_conn.commit()
    rows = reports.ours_vs_pbx(conn, PBX, None, *SPRING)
    assert [(r.queue_dn, r.period_from) for r in rows] == [("800", inside[0])]
    row = rows[0]
    k = tables.queue_kpi_1m
    ours = conn.execute(
        select(*(sqlalchemy.func.coalesce(sqlalchemy.func.sum(k.c[name]), 0)
                 for name in ("offered", "answered", "abandoned", "short_abandoned",
                              "answered_in_sla")))
        .where(k.c.pbx_id == PBX, k.c.queue_dn == "800", k.c.bucket >= inside[0],
               k.c.bucket < inside[1])).one()
    assert ours[0] > 0
    assert (row.our_offered, row.our_answered, row.our_abandoned, row.our_short_abandoned,
            row.our_answered_in_sla) == tuple(ours)
    assert (row.pbx_received, row.pbx_answered, row.pbx_abandoned, row.pbx_sla_pct) == (
        40, 30, 10, 87.5)
    assert row.offered_diff == ours[0] - 40
    assert row.answered_diff == ours[1] - 30
    assert _same(row.sla_pct_diff,
                 None if row.our_sla_pct is None else row.our_sla_pct - 87.5)
    assert row.time_zone == SITE_TZ
    assert row.local_from == datetime(2026, 3, 29, 8, 0)
