"""Migration 008 (honest names): the caller split in SQL equals the Python rule, existing rows
are carried over, and the old names stay readable to a reader through queuepulse_compat."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from queuepulse.domain.caller import split_caller
from queuepulse.store.db import connect
from queuepulse.store.migrations import load_migrations, upgrade

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "domain"))
from caller_examples import EXAMPLES

pytestmark = pytest.mark.db

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

#: More strings, built from parts, so the two rules meet shapes the table does not list.
_NUMBERS = ("", "100", "+4930123", "+49 30 123", "030/12-3", "+*****123", "1 2 3")
_NAMES = ("", "Jane", "Jane Doe", "2nd", "(x)", "a (1)", " <b> ")
_SHAPES = ("{n} {m}", "{m} ({n})", "{m}<{n}>", "{n}\t{m}", " {m} {n} ", "({n}){m}")
GENERATED = sorted({s.format(n=n, m=m) for s in _SHAPES for n in _NUMBERS for m in _NAMES})


def test_sql_split_equals_the_python_rule(pg_conn: psycopg.Connection[Any]) -> None:
    raws = [raw for raw, _, _ in EXAMPLES] + GENERATED
    rows = pg_conn.execute(
        "SELECT r.raw, s.caller_number, s.caller_name "
        "FROM unnest(%s::text[]) WITH ORDINALITY AS r(raw, i), "
        "LATERAL queuepulse_split_caller(r.raw) s ORDER BY r.i", (raws,)).fetchall()
    assert len(rows) == len(raws)
    disagree = [(raw, (number, name), tuple(split_caller(raw)))
                for raw, number, name in rows if (number, name) != tuple(split_caller(raw))]
    assert disagree == []


def test_migration_splits_stored_callers_and_renames_talk_time(pg_empty_dsn: str) -> None:
    incremental, idempotent = load_migrations()
    before = [m for m in incremental if m.name < "008"]
    callers = [raw for raw, _, _ in EXAMPLES]
    with connect(pg_empty_dsn, autocommit=True) as conn:
        upgrade(conn, before, [])
        for i, raw in enumerate(callers):
            conn.execute(
                "INSERT INTO queue_calls (pbx_id, call_key, queue_dn, entered_at, caller) "
                "VALUES ('p', %s, '800', %s, %s)", (f"{i}@x", T0 + timedelta(seconds=i), raw))
        for table in ("queue_kpi_1m", "entry_queue_kpi_1m"):
            conn.execute(
                f"INSERT INTO {table} (pbx_id, queue_dn, bucket, talk_s_sum, talk_count, aht_s) "
                "VALUES ('p', '800', %s, 300, 2, 150)", (T0,))
        upgrade(conn, incremental, idempotent)
        stored = conn.execute(
            "SELECT caller_number, caller_name FROM queue_calls ORDER BY entered_at").fetchall()
        columns = {r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = 'queue_calls'")}
        talk = [conn.execute(f"SELECT avg_talk_s FROM {t}").fetchone()
                for t in ("queue_kpi_1m", "entry_queue_kpi_1m")]
    assert stored == [(number, name) for _, number, name in EXAMPLES]
    assert "caller" not in columns
    assert {"caller_number", "caller_name"} <= columns
    assert talk == [(150.0,), (150.0,)]


def test_a_reader_reads_the_old_names_through_the_compat_schema(
    pg_conn: psycopg.Connection[Any], pg_reader_dsn: str,
) -> None:
    rows = [("1@x", "+4930123", "Jane Doe"), ("2@x", "+4930124", None), ("3@x", None, "Bob"),
            ("4@x", None, None)]
    for i, (key, number, name) in enumerate(rows):
        pg_conn.execute(
            "INSERT INTO queue_calls (pbx_id, call_key, queue_dn, entered_at, caller_number, "
            "caller_name) VALUES ('p', %s, '800', %s, %s, %s)",
            (key, T0 + timedelta(seconds=i), number, name))
    for table in ("queue_kpi_1m", "entry_queue_kpi_1m"):
        pg_conn.execute(
            f"INSERT INTO {table} (pbx_id, queue_dn, bucket, talk_s_sum, talk_count, avg_talk_s) "
            "VALUES ('p', '800', %s, 300, 2, 150), ('p', '801', %s, 0, 0, NULL)", (T0, T0))
    with psycopg.connect(pg_reader_dsn) as reader:
        reader.execute("SET search_path = queuepulse_compat, public")
        callers = reader.execute(
            "SELECT call_key, caller, caller_number, caller_name FROM queue_calls "
            "ORDER BY call_key").fetchall()
        talk = {t: reader.execute(
            f"SELECT queue_dn, aht_s, avg_talk_s FROM {t} ORDER BY queue_dn").fetchall()
            for t in ("queue_kpi_1m", "entry_queue_kpi_1m")}
        # every column of each renamed table is in its compat view, beside the old name
        missing = reader.execute(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "WHERE c.table_schema = 'public' "
            "AND c.table_name IN ('queue_calls', 'queue_kpi_1m', 'entry_queue_kpi_1m') "
            "AND NOT EXISTS (SELECT 1 FROM information_schema.columns v "
            "WHERE v.table_schema = 'queuepulse_compat' AND v.table_name = c.table_name "
            "AND v.column_name = c.column_name)").fetchall()
        invoker = reader.execute(
            "SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = 'queuepulse_compat'").fetchall()
    assert callers == [("1@x", "+4930123 Jane Doe", "+4930123", "Jane Doe"),
                       ("2@x", "+4930124", "+4930124", None), ("3@x", "Bob", None, "Bob"),
                       ("4@x", None, None, None)]
    for table, got in talk.items():
        assert got == [("800", 150.0, 150.0), ("801", None, None)], table
    assert missing == []
    assert {name for name, _ in invoker} >= {"queue_calls", "queue_kpi_1m", "entry_queue_kpi_1m"}
    assert all(opts and "security_invoker=true" in opts for _, opts in invoker)
