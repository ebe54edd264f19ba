"""Reconciliation's database side (psycopg 3, sync): read stored visits, apply a period's
corrections in one transaction, record runs, and know which periods are done.

Corrected visits and recomputed KPI buckets are written with the table specs and upserts of
:mod:`queuepulse.store.writers` (:func:`~queuepulse.store.writers.write_in`, inside the
period's transaction), the same the live flow uses.

Tables: ``queue_calls``, ``queue_kpi_1m`` (corrected), ``reconciliation_runs`` (one row per run;
a run with ``status='ok'`` marks its period done: that is the backfill's resume state),
``reconciliation_diffs``, ``cdr_dead_letters`` and ``pbx_queue_reports`` (schema 002), and
``entry_queue_kpi_1m`` (schema 003: end-to-end KPIs by entry queue, recomputed for every call a
correction touches).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from queuepulse.domain.kpi import KpiKey, QueueKpi
from queuepulse.domain.rules import Rules
from queuepulse.domain.visits import QueueVisit
from queuepulse.reconcile.kpis import (
    affected_buckets,
    affected_entry_buckets,
    bucket_range,
    recompute_buckets,
    recompute_entry_buckets,
)
from queuepulse.reconcile.matcher import Diff, Plan
from queuepulse.reconcile.periods import Period
from queuepulse.reconcile.segments import DeadLetter
from queuepulse.store.tables import QUEUE_CALLS
from queuepulse.store.writers import delete_keys, write_in

__all__ = [
    "ApplyResult",
    "RunRecord",
    "apply_period",
    "done_periods",
    "finish_run",
    "load_visits",
    "mark_interrupted",
    "start_run",
    "try_lock",
    "unlock",
]

_NS = uuid.UUID("0b7a4a52-6d0e-4c39-b1c4-7a2f8f0f5d11")
_VISIT_FIELDS = frozenset(f.name for f in fields(QueueVisit))
#: The ``queue_calls`` columns a :class:`QueueVisit` carries (read back into one).
_VISIT_COLUMNS = tuple(c for c in QUEUE_CALLS.columns if c in _VISIT_FIELDS)
_SELECT_VISITS = f"SELECT {', '.join(_VISIT_COLUMNS)} FROM queue_calls "
_REPORT_COLUMNS = (
    "pbx_id", "report", "queue_dn", "period_from", "period_to", "fetched_at", "received_count",
    "answered_count", "abandoned_count", "bad_sla_count", "sla_pct", "figures",
)
Conn = psycopg.Connection[Any]


def _visit(row: Sequence[Any]) -> QueueVisit:
    d = dict(zip(_VISIT_COLUMNS, row, strict=True))
    return QueueVisit(**d)


def load_visits(conn: Conn, pbx_id: str, lo: datetime, hi: datetime) -> list[QueueVisit]:
    """Stored visits of ``pbx_id`` entered in ``[lo, hi)``."""
    rows = conn.execute(
        _SELECT_VISITS + "WHERE pbx_id = %s AND entered_at >= %s AND entered_at < %s "
        "ORDER BY entered_at, queue_dn, call_key", (pbx_id, lo, hi)).fetchall()
    return [_visit(r) for r in rows]


def _bucket_visits(conn: Conn, pbx_id: str, queues: Sequence[str], lo: datetime,
                   hi: datetime, span_s: float) -> list[QueueVisit]:
    """Visits of these queues with a fact (entry, answer or end) in ``[lo, hi)``."""
    rows = conn.execute(
        _SELECT_VISITS + "WHERE pbx_id = %s AND queue_dn = ANY(%s) "
        "AND entered_at >= %s AND entered_at < %s "
        "AND (entered_at >= %s OR answered_at >= %s OR ended_at >= %s)",
        (pbx_id, list(queues), lo - timedelta(seconds=span_s), hi, lo, lo, lo)).fetchall()
    return [_visit(r) for r in rows]


def try_lock(conn: Conn, pbx_id: str) -> bool:
    """Take the session advisory lock of ``pbx_id``'s reconciliation (one runner per PBX)."""
    row = conn.execute("SELECT pg_try_advisory_lock(hashtext('queuepulse-reconcile:' || %s))",
                       (pbx_id,)).fetchone()
    return bool(row and row[0])


def unlock(conn: Conn, pbx_id: str) -> None:
    """Release the lock :func:`try_lock` took."""
    conn.execute("SELECT pg_advisory_unlock(hashtext('queuepulse-reconcile:' || %s))",
                 (pbx_id,))


def mark_interrupted(conn: Conn, pbx_id: str, at: datetime) -> int:
    """Close runs left ``running`` by an interrupted runner (call with the lock held)."""
    cur = conn.execute(
        "UPDATE reconciliation_runs SET status = 'failed', finished_at = %s, "
        "error = 'interrupted before it finished; the period will be redone' "
        "WHERE pbx_id = %s AND status = 'running'", (at, pbx_id))
    return cur.rowcount


def done_periods(conn: Conn, pbx_id: str, lo: datetime, hi: datetime) -> set[Period]:
    """Periods inside ``[lo, hi]`` with a successful run (the backfill's resume state)."""
    rows = conn.execute(
        "SELECT DISTINCT period_from, period_to FROM reconciliation_runs "
        "WHERE pbx_id = %s AND status = 'ok' AND period_from >= %s AND period_to <= %s",
        (pbx_id, lo, hi)).fetchall()
    return {(r[0], r[1]) for r in rows}


class RunRecord:
    """Identity of one run: id, PBX, start time (``detected_at`` of its diffs) and period."""

    __slots__ = ("pbx_id", "period", "run_id", "started_at")

    def __init__(self, run_id: uuid.UUID, pbx_id: str, started_at: datetime,
                 period: Period) -> None:
        self.run_id = run_id
        self.pbx_id = pbx_id
        self.started_at = started_at
        self.period = period


def start_run(conn: Conn, pbx_id: str, period: Period, at: datetime) -> RunRecord:
    """Insert a ``running`` run row (committed at once, so an interruption leaves a trace)."""
    run = RunRecord(uuid.uuid4(), pbx_id, at, period)
    with conn.transaction():
        conn.execute(
            "INSERT INTO reconciliation_runs (run_id, pbx_id, started_at, period_from, "
            "period_to, status) VALUES (%s, %s, %s, %s, %s, 'running')",
            (run.run_id, pbx_id, at, period[0], period[1]))
    return run


def finish_run(conn: Conn, run: RunRecord, at: datetime, status: str,
               counts: dict[str, int], details: dict[str, Any],
               error: str | None = None) -> None:
    """Close a run row with its counts (``ok`` marks the period done) or its error."""
    with conn.transaction():
        conn.execute(
            "UPDATE reconciliation_runs SET finished_at = %s, status = %s, cdr_rows = %s, "
            "matched = %s, corrected = %s, inserted = %s, diffs = %s, dead_letters = %s, "
            "error = %s, details = %s WHERE run_id = %s AND started_at = %s",
            (at, status, counts.get("cdr_rows", 0), counts.get("matched", 0),
             counts.get("corrected", 0), counts.get("inserted", 0), counts.get("diffs", 0),
             counts.get("dead_letters", 0), error, Jsonb(details), run.run_id,
             run.started_at))


class ApplyResult:
    """What one period's transaction wrote."""

    __slots__ = ("buckets_deleted", "buckets_written", "dead_letters_new",
                 "entry_buckets_written", "visits_deleted", "visits_written")

    def __init__(self) -> None:
        self.visits_written = self.visits_deleted = 0
        self.buckets_written = self.buckets_deleted = self.entry_buckets_written = 0
        self.dead_letters_new = 0


def _upsert_visits(conn: Conn, visits: Iterable[QueueVisit], reconciled_at: datetime) -> int:
    """Write the corrected visits as ``source='cdr'`` rows: the ``queue_calls`` upsert lets a
    reconciled row replace any stored one, every column it carries included."""
    rows = [
        {**{c: getattr(v, c) for c in _VISIT_COLUMNS}, "source": "cdr",
         "reconciled_at": reconciled_at}
        for v in visits
    ]
    return write_in(conn, {"queue_calls": rows}) if rows else 0


def _delete_visits(conn: Conn, visits: Iterable[QueueVisit]) -> int:
    """Delete stored live visits proven extra (a reconciled row is never deleted)."""
    return delete_keys(conn, "queue_calls",
                       ((v.pbx_id, v.call_key, v.queue_dn, v.entered_at) for v in visits),
                       where="source <> 'cdr'")


def _upsert_kpis(conn: Conn, table: str, full: Sequence[QueueKpi],
                 empty: Sequence[KpiKey]) -> tuple[int, int]:
    """Replace whole buckets of ``table`` and delete those left without facts."""
    written = write_in(conn, {table: full}) if full else 0
    deleted = delete_keys(conn, table, ((k[0], k[1], k[3]) for k in empty))
    return written, deleted


def _write_kpis(conn: Conn, pbx_id: str, keys: set[KpiKey], sla_by_queue: dict[str, float],
                rules: Rules, span_s: float) -> tuple[int, int]:
    span = bucket_range(keys)
    if span is None:
        return 0, 0
    queues = sorted({k[1] for k in keys})
    visits = _bucket_visits(conn, pbx_id, queues, span[0], span[1], span_s)
    full, empty = recompute_buckets(keys, visits, sla_by_queue, rules)
    return _upsert_kpis(conn, "queue_kpi_1m", full, empty)


def _call_visits(conn: Conn, pbx_id: str, call_keys: Iterable[str],
                 since: datetime) -> list[QueueVisit]:
    """Every visit of these calls entered since ``since``."""
    keys = sorted(set(call_keys))
    if not keys:
        return []
    rows = conn.execute(
        _SELECT_VISITS + "WHERE pbx_id = %s AND call_key = ANY(%s) AND entered_at >= %s",
        (pbx_id, keys, since)).fetchall()
    return [_visit(r) for r in rows]


def _write_entry_kpis(conn: Conn, pbx_id: str, keys: set[KpiKey],
                      sla_by_queue: dict[str, float], rules: Rules,
                      span_s: float) -> tuple[int, int]:
    span = bucket_range(keys)
    if span is None:
        return 0, 0
    lo, hi = span
    rows = conn.execute(
        "SELECT DISTINCT call_key FROM queue_calls WHERE pbx_id = %s "
        "AND entered_at >= %s AND entered_at < %s "
        "AND (entered_at >= %s OR answered_at >= %s OR ended_at >= %s)",
        (pbx_id, lo - timedelta(seconds=span_s), hi, lo, lo, lo)).fetchall()
    visits = _call_visits(conn, pbx_id, (r[0] for r in rows),
                          lo - timedelta(seconds=2 * span_s))
    full, empty = recompute_entry_buckets(keys, visits, sla_by_queue, rules)
    return _upsert_kpis(conn, "entry_queue_kpi_1m", full, empty)


def _diff_id(run: RunRecord, d: Diff) -> uuid.UUID:
    at = d.entered_at.isoformat() if d.entered_at else ""
    return uuid.uuid5(_NS, f"{run.run_id}|{d.call_key}|{d.queue_dn}|{at}|{d.field}")


def _write_diffs(conn: Conn, run: RunRecord, diffs: Iterable[Diff]) -> None:
    params = [
        (_diff_id(run, d), run.run_id, run.pbx_id, run.started_at, d.call_key, d.queue_dn,
         d.entered_at, d.field, d.live_value, d.cdr_value, d.action)
        for d in diffs
    ]
    if params:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO reconciliation_diffs (diff_id, run_id, pbx_id, detected_at, "
                "call_key, queue_dn, entered_at, field, live_value, cdr_value, action) VALUES "
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING", params)


def _write_dead_letters(conn: Conn, run: RunRecord, letters: Iterable[DeadLetter]) -> int:
    new = 0
    with conn.cursor() as cur:
        for letter in letters:
            letter_id = letter.letter_id(run.pbx_id)
            cur.execute(
                "INSERT INTO cdr_dead_letters (letter_id, pbx_id, received_at, run_id, endpoint, "
                "reason, body) SELECT %s, %s, %s, %s, %s, %s, %s WHERE NOT EXISTS "
                "(SELECT 1 FROM cdr_dead_letters WHERE letter_id = %s AND pbx_id = %s)",
                (letter_id, run.pbx_id, run.period[0], run.run_id, letter.endpoint,
                 letter.reason, Jsonb(dict(letter.body)), letter_id, run.pbx_id))
            new += cur.rowcount
    return new


def _write_reports(conn: Conn, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    changing = ("received_count", "answered_count", "abandoned_count", "bad_sla_count",
                "sla_pct", "figures")
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in ("fetched_at", *changing))
    differs = " OR ".join(f"t.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in changing)
    sql = (f"INSERT INTO pbx_queue_reports AS t ({', '.join(_REPORT_COLUMNS)}) VALUES "
           f"({', '.join(['%s'] * len(_REPORT_COLUMNS))}) "
           "ON CONFLICT (pbx_id, report, queue_dn, period_from, period_to) DO UPDATE SET "
           f"{sets} WHERE {differs}")
    with conn.cursor() as cur:
        cur.executemany(sql, [
            tuple(Jsonb(r[c]) if c == "figures" else r[c] for c in _REPORT_COLUMNS)
            for r in rows
        ])


def apply_period(
    conn: Conn,
    run: RunRecord,
    plan: Plan,
    dead_letters: Sequence[DeadLetter],
    report_rows: Sequence[dict[str, Any]],
    sla_by_queue: dict[str, float],
    rules: Rules,
    reconciled_at: datetime,
    max_visit_span_s: float,
) -> ApplyResult:
    """Write one period's corrections, recomputed KPI buckets (per queue and by entry queue),
    diffs, dead letters and 3CX figures in one transaction (all or nothing)."""
    result = ApplyResult()
    changed = [*plan.old, *plan.upserts]
    keys = affected_buckets(changed, sla_by_queue, rules)
    calls = {v.call_key for v in changed}
    since = min((v.entered_at for v in changed), default=run.period[0]) - timedelta(
        seconds=2 * max_visit_span_s)
    with conn.transaction():
        entry_keys = affected_entry_buckets(
            _call_visits(conn, run.pbx_id, calls, since), sla_by_queue, rules)
        result.visits_deleted = _delete_visits(conn, plan.deletes)
        result.visits_written = _upsert_visits(conn, plan.upserts, reconciled_at)
        entry_keys |= affected_entry_buckets(
            _call_visits(conn, run.pbx_id, calls, since), sla_by_queue, rules)
        result.buckets_written, result.buckets_deleted = _write_kpis(
            conn, run.pbx_id, keys, sla_by_queue, rules, max_visit_span_s)
        result.entry_buckets_written, _ = _write_entry_kpis(
            conn, run.pbx_id, entry_keys, sla_by_queue, rules, max_visit_span_s)
        _write_diffs(conn, run, plan.diffs)
        result.dead_letters_new = _write_dead_letters(conn, run, dead_letters)
        _write_reports(conn, report_rows)
    return result
