"""The report views against the same figures computed in Python, on data the real flows wrote.

A manual-clock simulator (two queues) is polled over real HTTP across a local midnight — in
Europe/Berlin on the nights DST starts (2026-03-29: a 23-hour day) and ends (2026-10-25: a
25-hour day), and in Asia/Kolkata (+05:30) — and the recording is replayed through the live
flow (lifecycle, KPI windows, the store sink) with the site's zone as the PBX's setting. Then
every report view's figures equal those computed here from ``queue_calls`` and
``agent_states`` with :mod:`zoneinfo` local days: the 15-minute intervals, the local days (of
23, 24 and 25 hours), the agents' answered, talk, handle and logged-in time, the abandon and
service-level curves, and ours beside a 3CX report figure for a period that is not whole
quarter-hours.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg.rows import dict_row
from simrecord import record_simulation, write_records

from queuepulse.domain.rules import Rules
from queuepulse.live.config import LiveFlowConfig
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import run_simulator

pytestmark = pytest.mark.e2e

POLL_S = 10.0
RULES = Rules()  # the flow's rules: short abandons <= 5 s, SLA 20 s by default
SUMS = ("offered", "answered", "abandoned", "short_abandoned", "transferred",
        "answered_in_sla", "talk_count")
FLOATS = ("wait_answered_s_sum", "wait_abandoned_s_sum", "talk_s_sum", "handle_s_sum",
          "max_wait_s", "sla_pct", "asa_s", "avg_wait_s", "avg_talk_s", "avg_handle_s")


@dataclass(frozen=True)
class Scenario:
    """A simulated stretch of time around the local midnight that starts ``day``."""

    pbx_id: str
    zone: str
    start: datetime
    seconds: float
    day: date
    hours: int


SCENARIOS = (
    # 23:50 CET on the 28th to 03:40 CEST on the 29th: the clocks jump 02:00 -> 03:00
    Scenario("berlin-spring", "Europe/Berlin", datetime(2026, 3, 28, 22, 50, tzinfo=UTC),
             2 * 3600 + 50 * 60, date(2026, 3, 29), 23),
    # 23:50 CEST on the 24th to 02:40 CET on the 25th: 02:00-03:00 runs twice
    Scenario("berlin-autumn", "Europe/Berlin", datetime(2026, 10, 24, 21, 50, tzinfo=UTC),
             3 * 3600 + 50 * 60, date(2026, 10, 25), 25),
    # 23:40 IST to 01:30 IST: local quarter-hours are UTC quarter-hours, local hours are not
    Scenario("kolkata", "Asia/Kolkata", datetime(2026, 3, 29, 18, 10, tzinfo=UTC),
             110 * 60, date(2026, 3, 30), 24),
)


def _fill(scenario: Scenario, dsn: str, tmp_path: Path) -> None:
    """Record the simulator over HTTP, then replay the recording through the live flow."""
    from bytewax.testing import run_main

    from flows.live import build_flow

    model = ModelConfig(seed=29, queues=2, agents=6, calls_per_min_per_queue=1.2,
                        patience_s=60.0, overflow_fraction=0.5, master_timeout_s=90,
                        logout_every_s=3600.0, logout_mean_s=900.0,
                        answered_callee="agent")  # ActiveCalls shows who answered
    config = SimulatorConfig(model=model, start=scenario.start, manual_clock=True,
                             pbx_id=scenario.pbx_id, warmup_s=300)
    with run_simulator(config) as sim:
        recording = record_simulation(sim, scenario.seconds, pbx_id=scenario.pbx_id,
                                      poll_s=POLL_S, sync_every_s=1800.0)
    assert recording.failed_polls == 0
    path = write_records(recording.records, tmp_path / f"{scenario.pbx_id}.jsonl")
    flow = LiveFlowConfig(replay=path, dsn=dsn, rules=RULES,
                          site_zone=(scenario.zone, "setting"))
    run_main(build_flow(flow), epoch_interval=None)


# --- the same figures in Python ------------------------------------------------------------


def _secs(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds()


def _facts(conn: psycopg.Connection[Any], pbx: str) -> list[tuple[str, str, datetime, Any]]:
    """(queue, kind, at, value) of every visit transition, as domain/kpi.py counts them."""
    sla = {q: s or RULES.default_sla_s for q, s in conn.execute(
        "SELECT queue_dn, sla_time_s FROM queues WHERE pbx_id = %s AND valid_to IS NULL",
        (pbx,)).fetchall()}
    out: list[tuple[str, str, datetime, Any]] = []
    for v in conn.execute("SELECT * FROM queue_calls WHERE pbx_id = %s", (pbx,)).fetchall():
        q = v["queue_dn"]
        out.append((q, "offered", v["entered_at"], None))
        if v["answered_at"] is not None:
            wait = _secs(v["entered_at"], v["answered_at"])
            out.append((q, "answered", v["answered_at"], (wait, wait <= sla.get(q, 20))))
        if v["ended_at"] is not None:
            if v["outcome"] == "abandoned":
                wait = _secs(v["entered_at"], v["ended_at"])
                out.append((q, "abandoned", v["ended_at"], (wait, RULES.is_short_abandon(wait))))
            elif v["outcome"] == "transferred":
                out.append((q, "transferred", v["ended_at"], None))
            elif v["outcome"] == "answered":
                start = v["answered_at"] or v["entered_at"]
                out.append((q, "talk", v["ended_at"], _secs(start, v["ended_at"])))
    return out


def _fold(facts: list[tuple[str, str, datetime, Any]], key: Callable[[datetime], Hashable],
          wrap_up: dict[str, int | None]) -> dict[tuple[str, Hashable], dict[str, Any]]:
    """Per (queue, key(at)): the counts, sums and ratios of the report views."""
    acc: dict[tuple[str, Hashable], dict[str, Any]] = defaultdict(lambda: dict.fromkeys(
        (*SUMS, "wait_answered_s_sum", "wait_abandoned_s_sum", "talk_s_sum"), 0) | {
            "max_wait_s": None})
    for q, kind, at, value in facts:
        a = acc[(q, key(at))]
        if kind == "offered":
            a["offered"] += 1
        elif kind == "answered":
            a["answered"] += 1
            a["answered_in_sla"] += value[1]
            a["wait_answered_s_sum"] += value[0]
            a["max_wait_s"] = max(a["max_wait_s"] or 0.0, value[0])
        elif kind == "abandoned":
            a["abandoned"] += 1
            a["short_abandoned"] += value[1]
            a["wait_abandoned_s_sum"] += value[0]
            a["max_wait_s"] = max(a["max_wait_s"] or 0.0, value[0])
        elif kind == "transferred":
            a["transferred"] += 1
        else:
            a["talk_count"] += 1
            a["talk_s_sum"] += value
    for (q, _), a in acc.items():
        handled = a["answered"] + a["abandoned"] - a["short_abandoned"]
        a["handle_s_sum"] = a["talk_s_sum"] + a["talk_count"] * (wrap_up.get(q) or 0)
        a["sla_pct"] = 100 * a["answered_in_sla"] / handled if handled else None
        a["asa_s"] = a["wait_answered_s_sum"] / a["answered"] if a["answered"] else None
        waited = a["answered"] + a["abandoned"]
        a["avg_wait_s"] = ((a["wait_answered_s_sum"] + a["wait_abandoned_s_sum"]) / waited
                           if waited else None)
        a["avg_talk_s"] = a["talk_s_sum"] / a["talk_count"] if a["talk_count"] else None
        a["avg_handle_s"] = a["handle_s_sum"] / a["talk_count"] if a["talk_count"] else None
    return dict(acc)


def _same(view: dict[str, Any], mine: dict[str, Any], what: object) -> None:
    for column in SUMS:
        assert view[column] == mine[column], (what, column)
    for column in FLOATS:
        if mine[column] is None:
            assert view[column] is None, (what, column)
        else:
            assert view[column] == pytest.approx(mine[column], rel=1e-9, abs=1e-6), (what, column)


def _day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def _logged_in(conn: psycopg.Connection[Any], pbx: str, zone: ZoneInfo
               ) -> dict[tuple[str, date], float]:
    """Seconds logged in per (agent, local day): each state row until the next, the newest
    until the PBX's newest pipeline_health row."""
    row = conn.execute("SELECT max(ts) AS ts FROM pipeline_health WHERE pbx_id = %s",
                       (pbx,)).fetchone()
    assert row is not None
    until: datetime = row["ts"]
    rows = conn.execute("SELECT agent_dn, ts, queue_status FROM agent_states WHERE pbx_id = %s "
                        "ORDER BY agent_dn, ts", (pbx,)).fetchall()
    out: dict[tuple[str, date], float] = defaultdict(float)
    for i, r in enumerate(rows):
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        end = nxt["ts"] if nxt is not None and nxt["agent_dn"] == r["agent_dn"] else until
        if r["queue_status"] != "LoggedIn" or end <= r["ts"]:
            continue
        day = r["ts"].astimezone(zone).date()
        while day <= end.astimezone(zone).date():
            lo, hi = _day_bounds(day, zone)
            overlap = _secs(max(r["ts"], lo), min(end, hi))
            if overlap > 0:
                out[(r["agent_dn"], day)] += overlap
            day += timedelta(days=1)
    return dict(out)


# --- the test --------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.pbx_id for s in SCENARIOS])
def test_report_views_equal_figures_from_queue_calls(
    scenario: Scenario, pg_dsn: str, pg_reader_dsn: str, tmp_path: Path
) -> None:
    _fill(scenario, pg_dsn, tmp_path)
    pbx, zone = scenario.pbx_id, ZoneInfo(scenario.zone)

    def local_date(at: datetime) -> date:
        return at.astimezone(zone).date()

    def quarter(at: datetime) -> datetime:
        return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)

    with psycopg.connect(pg_dsn, autocommit=True, row_factory=dict_row) as conn:
        # the flow registered the site's zone from the PBX setting
        site = conn.execute("SELECT time_zone, time_zone_source FROM pbx_sites "
                            "WHERE pbx_id = %s", (pbx,)).fetchone()
        assert site == {"time_zone": scenario.zone, "time_zone_source": "setting"}
        facts = _facts(conn, pbx)
        wrap_up = {r["queue_dn"]: r["wrap_up_time_s"] for r in conn.execute(
            "SELECT queue_dn, wrap_up_time_s FROM queues WHERE pbx_id = %s", (pbx,)).fetchall()}
        logged_in = _logged_in(conn, pbx, zone)
        answers = [(v["agent_dn"], v) for v in conn.execute(
            "SELECT * FROM queue_calls WHERE pbx_id = %s AND answered_at IS NOT NULL "
            "AND agent_dn IS NOT NULL", (pbx,)).fetchall()]
    assert {kind for _, kind, _, _ in facts} >= {"offered", "answered", "abandoned", "talk"}
    assert all(w for w in wrap_up.values()), "the simulator configures a wrap-up time"
    # the night's calls fall on both local days, and some in the first local hour of the day
    assert {local_date(at) for _, _, at, _ in facts} == {
        scenario.day - timedelta(days=1), scenario.day}
    first_hour = [at for _, kind, at, _ in facts if kind == "offered"
                  and local_date(at) == scenario.day and at.astimezone(zone).hour == 0]
    assert first_hour, "no call in the first local hour of the day"

    with psycopg.connect(pg_reader_dsn, autocommit=True, row_factory=dict_row) as reader:
        def view(sql: str) -> list[dict[str, Any]]:
            return reader.execute(sql, {"pbx": pbx}).fetchall()

        # --- 15-minute intervals: every one, and its local date and wall-clock start
        intervals = view("SELECT * FROM report_queue_interval WHERE pbx_id = %(pbx)s")
        mine = _fold(facts, quarter, wrap_up)
        assert {(r["queue_dn"], r["interval_start"]) for r in intervals} == set(mine)
        for r in intervals:
            start = r["interval_start"]
            _same(r, mine[(r["queue_dn"], start)], start)
            assert r["time_zone"] == scenario.zone
            assert r["interval_end"] - start == timedelta(minutes=15)
            assert r["local_date"] == local_date(start)
            assert r["local_start"] == start.astimezone(zone).replace(tzinfo=None)
            assert r["local_start"].minute % 15 == 0
            assert r["wrap_up_s"] == wrap_up[r["queue_dn"]]
        # a call at 00:xx local is on the new local day (the UTC date is the day before in
        # Berlin, the same day after 18:30 UTC in Kolkata)
        for at in first_hour:
            assert local_date(at) == scenario.day
            assert {r["local_date"] for r in intervals
                    if r["interval_start"] == quarter(at)} == {scenario.day}
        # local hours from the 15-minute rows (a UTC-hour rollup cannot give +05:30 hours)
        hourly = view("SELECT queue_dn, date_bin('1 hour', local_start, '2000-01-01') AS h, "
                      "sum(offered) AS offered, sum(answered) AS answered "
                      "FROM report_queue_interval WHERE pbx_id = %(pbx)s GROUP BY 1, 2")
        by_hour = _fold(facts, lambda at: at.astimezone(zone).replace(
            tzinfo=None, minute=0, second=0, microsecond=0), wrap_up)
        if scenario.zone == "Asia/Kolkata":
            assert {(r["queue_dn"], r["h"]) for r in hourly} == set(by_hour)
            for r in hourly:
                assert r["offered"] == by_hour[(r["queue_dn"], r["h"])]["offered"]
                assert r["answered"] == by_hour[(r["queue_dn"], r["h"])]["answered"]

        # --- local days: 23, 24 or 25 hours, sums of their intervals
        daily = view("SELECT * FROM report_queue_daily WHERE pbx_id = %(pbx)s")
        mine_daily = _fold(facts, local_date, wrap_up)
        assert {(r["queue_dn"], r["local_date"]) for r in daily} == set(mine_daily)
        for r in daily:
            _same(r, mine_daily[(r["queue_dn"], r["local_date"])], r["local_date"])
            lo, hi = _day_bounds(r["local_date"], zone)
            assert (r["day_start"], r["day_end"]) == (lo, hi)
            assert r["hours"] == (scenario.hours if r["local_date"] == scenario.day else 24)
            assert r["wrap_up_known"] is True
        assert any(r["local_date"] == scenario.day for r in daily)

        # --- agents: answered, talk, handle, logged in, occupancy, calls per hour
        agents = view("SELECT * FROM report_agent_daily WHERE pbx_id = %(pbx)s")
        want: dict[tuple[str, date], dict[str, float]] = defaultdict(
            lambda: {"answered": 0, "talk_s_sum": 0.0, "talk_count": 0, "handle_s_sum": 0.0})
        for agent, v in answers:
            want[(agent, local_date(v["answered_at"]))]["answered"] += 1
            if v["outcome"] == "answered" and v["ended_at"] is not None:
                talk = _secs(v["answered_at"], v["ended_at"])
                w = want[(agent, local_date(v["ended_at"]))]
                w["talk_s_sum"] += talk
                w["talk_count"] += 1
                w["handle_s_sum"] += talk + (wrap_up[v["queue_dn"]] or 0)
        for key, seconds in logged_in.items():
            want[key]["logged_in_s"] = seconds
        assert {(r["agent_dn"], r["local_date"]) for r in agents} == set(want)
        assert any(r["logged_in_s"] > 0 and r["answered"] > 0 for r in agents)
        for r in agents:
            w = want[(r["agent_dn"], r["local_date"])]
            assert r["answered"] == w["answered"]
            assert r["talk_count"] == w["talk_count"]
            assert r["talk_s_sum"] == pytest.approx(w["talk_s_sum"])
            assert r["handle_s_sum"] == pytest.approx(w["handle_s_sum"])
            assert r["logged_in_s"] == pytest.approx(w.get("logged_in_s", 0.0))
            assert r["agent_name"]
            if w.get("logged_in_s"):
                assert r["occupancy_pct"] == pytest.approx(
                    100 * w["handle_s_sum"] / w["logged_in_s"])
                assert r["calls_per_hour"] == pytest.approx(
                    w["answered"] * 3600 / w["logged_in_s"])
            else:
                assert r["occupancy_pct"] is None
                assert r["calls_per_hour"] is None
        # a whole local day logged in is the day's length, not 24 h
        if scenario.zone == "Europe/Berlin":
            assert max(r["logged_in_s"] for r in agents) <= scenario.hours * 3600

        # --- abandon curve: 10-second bands, the last open, cumulative per cent
        curve = view("SELECT * FROM report_abandon_curve WHERE pbx_id = %(pbx)s "
                     "ORDER BY queue_dn, local_date, wait_from_s")
        bands: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0] * 13)
        for q, kind, at, value in facts:
            if kind == "abandoned":
                bands[(q, local_date(at))][min(math.floor(max(value[0], 0) / 10), 12)] += 1
        assert {(r["queue_dn"], r["local_date"]) for r in curve} == set(bands)
        for r in curve:
            counts = bands[(r["queue_dn"], r["local_date"])]
            i = r["wait_from_s"] // 10
            assert r["wait_to_s"] == (None if i == 12 else 10 * i + 10)
            assert r["abandoned"] == counts[i]
            assert r["cumulative_abandoned"] == sum(counts[:i + 1])
            assert r["cumulative_pct"] == pytest.approx(100 * sum(counts[:i + 1]) / sum(counts))

        # --- service-level curve: answered within 10..120 s over the SLA's denominator
        sl = view("SELECT * FROM report_service_level_curve WHERE pbx_id = %(pbx)s")
        waits: dict[tuple[str, date], list[float]] = defaultdict(list)
        for q, kind, at, value in facts:
            if kind == "answered":
                waits[(q, local_date(at))].append(value[0])
        assert {(r["queue_dn"], r["local_date"], r["threshold_s"]) for r in sl} == {
            (q, d, t) for q, d in mine_daily for t in range(10, 121, 10)}
        for r in sl:
            d = mine_daily[(r["queue_dn"], r["local_date"])]
            within = sum(1 for w in waits[(r["queue_dn"], r["local_date"])]
                         if w <= r["threshold_s"])
            counted = d["answered"] + d["abandoned"] - d["short_abandoned"]
            assert (r["answered_within"], r["calls_counted"]) == (within, counted)
            assert r["service_level_pct"] == (
                pytest.approx(100 * within / counted) if counted else None)

    # --- ours beside a 3CX figure, for a period of whole minutes but not quarter-hours
    lo = datetime.combine(scenario.day, time(0, 7), tzinfo=zone).astimezone(UTC)
    hi = lo + timedelta(hours=1, minutes=46)
    queue = sorted(wrap_up)[0]
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO pbx_queue_reports (pbx_id, report, queue_dn, period_from, period_to, "
            "fetched_at, received_count, answered_count, abandoned_count, sla_pct) VALUES "
            "(%s, 'QueuePerformanceTotals', %s, %s, %s, %s, 40, 30, 9, 75.0)",
            (pbx, queue, lo, hi, hi))
    period = _fold([f for f in facts if f[0] == queue and lo <= f[2] < hi],
                   lambda _: "period", wrap_up)[(queue, "period")]
    with psycopg.connect(pg_reader_dsn, autocommit=True, row_factory=dict_row) as reader:
        ours = reader.execute("SELECT * FROM report_ours_vs_pbx WHERE pbx_id = %s",
                              (pbx,)).fetchall()
    assert len(ours) == 1
    r = ours[0]
    assert (r["our_offered"], r["our_answered"], r["our_abandoned"]) == (
        period["offered"], period["answered"], period["abandoned"])
    assert (r["offered_diff"], r["answered_diff"], r["abandoned_diff"]) == (
        period["offered"] - 40, period["answered"] - 30, period["abandoned"] - 9)
    assert r["local_from"] == datetime.combine(scenario.day, time(0, 7))
    if period["sla_pct"] is not None:
        assert r["sla_pct_diff"] == pytest.approx(period["sla_pct"] - 75.0)
