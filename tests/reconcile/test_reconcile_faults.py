"""Reconciliation when things go wrong: malformed CDR rows (dead letters), a malformed page
(fault injection: the period fails, a later run redoes it), and an interrupted backfill
(resumes from the periods the database marks done)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from typing import Any

import psycopg
import pytest
from reconcile_helpers import (
    PBX,
    START,
    WARMUP_S,
    db_kpis,
    db_visits,
    minutes,
    pbx_settings,
    reconciler,
    simulator,
    truth_kpis,
    truth_visits,
)

from queuepulse.reconcile import fetch
from queuepulse.reconcile.progress import Progress
from queuepulse.simulator.faults import parse_fault_spec
from queuepulse.xapi.client import XapiClient
from queuepulse.xapi.odata import ODataQuery

pytestmark = pytest.mark.e2e

LO = START - minutes(WARMUP_S / 60)
HI = START
BAD_AT = (LO + minutes(2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
BAD_END = (LO + minutes(1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")

BAD_HISTORY: list[dict[str, Any]] = [
    {"SegmentId": "not-a-number", "SegmentStartTime": BAD_AT, "SegmentEndTime": BAD_AT},
    {"SegmentId": 900001, "SegmentStartTime": BAD_AT, "SegmentEndTime": BAD_END,
     "SegmentType": 1, "DstDn": "800", "DstDnType": 2},
    {"SegmentId": 900002, "SegmentStartTime": BAD_AT, "SegmentEndTime": BAD_AT,
     "SegmentType": 1, "SegmentActionId": 42, "DstDn": "800", "DstDnType": 2,
     "SrcCallerNumber": "+4930111"},
    {"SegmentId": 900003, "SegmentStartTime": BAD_AT, "SegmentEndTime": BAD_AT,
     "SegmentType": 1, "SegmentActionId": 2, "DstDn": "800", "DstDnType": 2},
]
BAD_LOG: list[dict[str, Any]] = [
    {"CdrId": "x1", "SegmentId": 900002, "CallId": 4242, "MainCallHistoryId": "4242@" + BAD_AT,
     "StartTime": BAD_AT},
    {"CdrId": "x2", "SegmentId": 900004, "StartTime": BAD_AT},
    {"CdrId": "x3", "SegmentId": "abc", "StartTime": BAD_AT},
]
EXPECTED_REASONS = {
    "does not match the XAPI schema",  # SegmentId "not-a-number" and "abc"
    "SegmentEndTime is before SegmentStartTime",
    "no CDR rule maps",  # action 42
    "has no GetCallLogData row",  # 900003
    "no MainCallHistoryId, CallHistoryId or CallId",  # x2
}


class TamperingClient(XapiClient):
    """Adds malformed rows to the CDR the simulator serves."""

    async def get_report(self, spec: Any, params: Mapping[str, object],
                         query: ODataQuery | None = None, *,
                         page_size: int | None = None) -> list[Any]:
        rows = await super().get_report(spec, params, query, page_size=page_size)
        if spec is fetch.CALL_HISTORY:
            rows += [fetch.RawRow(**r) for r in BAD_HISTORY]
        elif spec is fetch.CALL_LOG:
            rows += [fetch.RawRow(**r) for r in BAD_LOG]
        return rows


async def test_malformed_rows_become_dead_letters(pg_dsn: str) -> None:
    with simulator() as sim:
        sim.advance(600)
        async with TamperingClient(pbx_settings(sim), jitter=False) as client:
            rec = reconciler(sim, client, pg_dsn)
            first = await rec.backfill(LO, HI)
            second = await rec.backfill(LO, HI, force=True)
        truth = truth_visits(sim, LO, HI)
    with psycopg.connect(pg_dsn) as conn:
        letters = conn.execute(
            "SELECT endpoint, reason, body, received_at FROM cdr_dead_letters "
            "WHERE pbx_id = %s", (PBX,)).fetchall()
        stored = db_visits(conn, LO, HI)
        counted = conn.execute(
            "SELECT period_from, dead_letters FROM reconciliation_runs WHERE status = 'ok' "
            "ORDER BY started_at").fetchall()
    print(f"\ndead letters: {len(letters)} stored; per run {[c[1] for c in counted]}")
    for endpoint, reason, _body, _at in letters:
        print(f"  {endpoint}: {reason}")
    assert all(r.ok for r in first.results + second.results)
    # the period holding the bad rows counts them (both runs); the others count none
    assert [r.dead_letters for r in first.results] == [6, 0]
    assert [r.dead_letters for r in second.results] == [6, 0]
    assert len(letters) == 6  # the second run stored no duplicates
    reasons = " | ".join(reason for _e, reason, _b, _a in letters)
    for expected in EXPECTED_REASONS:
        assert expected in reasons, expected
    bodies = [body for _e, _r, body, _a in letters]
    assert {"SegmentId": "not-a-number", "SegmentStartTime": BAD_AT,
            "SegmentEndTime": BAD_AT} in bodies  # kept verbatim
    # every good row still made it
    assert stored == truth


async def test_a_malformed_page_fails_its_period_and_a_later_run_redoes_it(
    pg_dsn: str,
) -> None:
    faults = parse_fault_spec("CallHistoryView:malformed@n1")
    with simulator(faults=faults) as sim:
        sim.advance(600)
        async with XapiClient(pbx_settings(sim), jitter=False) as client:
            rec = reconciler(sim, client, pg_dsn)
            first = await rec.backfill(LO, HI)
            second = await rec.backfill(LO, HI)
        truth = truth_visits(sim, LO, HI)
    with psycopg.connect(pg_dsn) as conn:
        stored = db_visits(conn, LO, HI)
        runs = conn.execute(
            "SELECT status, error FROM reconciliation_runs ORDER BY started_at").fetchall()
    print(f"\nfirst: {[(r.status, r.error) for r in first.results]}")
    assert [r.status for r in first.results] == ["failed", "ok"]
    assert "PayloadError" in (first.results[0].error or "")
    assert runs[0][0] == "failed"
    assert "not valid JSON" in runs[0][1]
    assert second.skipped == 1
    assert [r.status for r in second.results] == ["ok"]
    assert stored == truth


class StopAfter(Progress):
    """Sets ``stop`` once ``n`` periods finished (an operator's Ctrl-C)."""

    def __init__(self, stop: asyncio.Event, n: int) -> None:
        self.stop, self.n, self.seen = stop, n, 0

    def advance(self, label: str, cdr_rows: int, corrected: int, inserted: int,
                ok: bool) -> None:
        self.seen += 1
        if self.seen >= self.n:
            self.stop.set()


async def test_an_interrupted_backfill_resumes_where_it_stopped(pg_dsn: str) -> None:
    lo, hi = START - minutes(10), START + minutes(20)
    with simulator() as sim:
        sim.advance(2400)
        async with XapiClient(pbx_settings(sim), jitter=False) as client:
            rec = reconciler(sim, client, pg_dsn)
            stop = asyncio.Event()
            first = await rec.backfill(lo, hi, progress=StopAfter(stop, 2), stop=stop)
            # a runner killed mid-period leaves a 'running' row behind
            with psycopg.connect(pg_dsn, autocommit=True) as conn:
                crashed = (START + minutes(5), START + minutes(10))
                conn.execute(
                    "INSERT INTO reconciliation_runs (run_id, pbx_id, started_at, period_from, "
                    "period_to) VALUES (%s, %s, now(), %s, %s)",
                    (uuid.uuid4(), PBX, *crashed))
            second = await rec.backfill(lo, hi)
            third = await rec.backfill(lo, hi)
        truth = truth_visits(sim, lo, hi)
        truth_k = truth_kpis(sim, lo + minutes(5), hi)
    with psycopg.connect(pg_dsn) as conn:
        stored = db_visits(conn, lo, hi)
        kpis = db_kpis(conn, lo + minutes(5), hi)
        statuses = conn.execute(
            "SELECT status, error FROM reconciliation_runs WHERE period_from = %s",
            (crashed[0],)).fetchall()
    print(f"\nfirst: {len(first.results)} of {first.total} (stopped={first.stopped}); "
          f"second: skipped {second.skipped}, ran {len(second.results)}; "
          f"third: skipped {third.skipped}, ran {len(third.results)}")
    assert first.stopped
    assert len(first.results) == 2
    assert first.total == 6
    assert second.skipped == 2
    assert len(second.results) == 4
    assert all(r.ok for r in second.results)
    assert sorted(status for status, _error in statuses) == ["failed", "ok"]
    assert any(status == "failed" and "interrupted" in (error or "")
               for status, error in statuses)
    assert third.skipped == 6
    assert not third.results
    assert stored == truth
    # buckets from 5 minutes in: earlier ones also hold facts of visits before the range
    assert kpis.keys() == truth_k.keys()
    for key, values in truth_k.items():
        assert kpis[key] == pytest.approx(values, abs=1e-3), key
