"""Reconciliation in ``hash`` mode with a misbehaving PBX: no caller number in any table or log.

The CDR endpoints answer some pages with malformed or truncated bodies (whose excerpts reach
``reconciliation_runs.error`` and the log) and carry rows that cannot be parsed (which become
``cdr_dead_letters``); afterwards every row of every table and every log line are searched for
every external caller number the simulator handed out.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any, ClassVar

import psycopg
import pytest
from reconcile_helpers import START, WARMUP_S, minutes, pbx_settings, reconciler, simulator

from queuepulse.domain.privacy import CallerPolicy
from queuepulse.domain.rules import Rules
from queuepulse.logs import JsonFormatter
from queuepulse.reconcile import fetch
from queuepulse.simulator.faults import parse_fault_spec
from queuepulse.xapi.client import XapiClient
from queuepulse.xapi.odata import ODataQuery

pytestmark = pytest.mark.e2e

LO = START - minutes(WARMUP_S / 60)
HI = START
FAULTS = "CallHistoryView:malformed@n1; CallLogData:truncated@n1"


class BadRowsClient(XapiClient):
    """Adds CDR rows that cannot be parsed but carry real caller numbers (dead letters)."""

    numbers: ClassVar[list[str]] = []

    async def get_report(self, spec: Any, params: Mapping[str, object],
                         query: ODataQuery | None = None, *,
                         page_size: int | None = None) -> list[Any]:
        rows = await super().get_report(spec, params, query, page_size=page_size)
        if spec is fetch.CALL_HISTORY and rows:
            at = (LO + minutes(2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            rows += [fetch.RawRow(
                SegmentId="not-a-number", SegmentStartTime=at, SegmentEndTime=at,
                SrcCallerNumber=number, SrcDisplayName="Jo Caller", Note=f"call {number}")
                for number in self.numbers[:3]]
        return rows


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def test_no_raw_caller_number_reaches_tables_or_logs(pg_dsn: str) -> None:
    handler = _Lines()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        with simulator(faults=parse_fault_spec(FAULTS)) as sim:
            sim.advance(600)
            numbers = sorted({c["caller"].split()[0] for c in sim.truth.calls()
                              if c["caller"].startswith("+")})
            BadRowsClient.numbers = numbers
            rules = Rules(caller_policy=CallerPolicy(mode="hash", salt="s3cret"))
            async with BadRowsClient(pbx_settings(sim), jitter=False) as client:
                rec = reconciler(sim, client, pg_dsn, rules=rules)
                first = await rec.backfill(LO, HI)
                await rec.backfill(LO, HI)  # redoes the period the faults failed
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    assert len(numbers) >= 10
    assert any(r.status == "failed" for r in first.results), "the faults did not bite"
    texts: dict[str, list[str]] = {}
    with psycopg.connect(pg_dsn) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]
        for table in tables:
            texts[table] = [r[0] for r in conn.execute(f'SELECT t::text FROM "{table}" t')]
        letters = conn.execute("SELECT count(*) FROM cdr_dead_letters").fetchone()
        errors = conn.execute(
            "SELECT count(*) FROM reconciliation_runs WHERE error IS NOT NULL").fetchone()
    assert letters is not None
    assert letters[0] >= 3
    assert errors is not None
    assert errors[0] >= 1
    assert any("sha256:" in t for t in texts["queue_calls"])
    pattern = re.compile(r"(?<![0-9A-Fa-f])(?:" + "|".join(n.lstrip("+") for n in numbers)
                         + r")(?![0-9A-Fa-f])")
    def leak(text: str) -> str | None:
        match = pattern.search(text)
        return None if match is None else text[max(0, match.start() - 80) : match.end() + 20]

    found = [f"{table}: …{hit}…" for table, rows in texts.items() for t in rows
             if (hit := leak(t))]
    found += [f"log: …{hit}…" for line in handler.lines if (hit := leak(line))]
    found += [f"{table}: display name" for table, rows in texts.items() for t in rows
              if "Jo Caller" in t]
    assert not found, f"{len(found)} leaks, e.g.:\n" + "\n".join(found[:10])
