"""The batch writer against a real, migrated TimescaleDB: idempotence and upsert policies."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from queuepulse.store.tables import TABLES
from queuepulse.store.writers import BatchWriter, StoreWriteError, delete_keys, write_in

pytestmark = pytest.mark.db

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def pbx() -> str:
    """A PBX id of its own per test, so tests never see each other's rows."""
    return f"pbx-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def writer(pg_writer_dsn: str) -> Any:
    """A writer logged in as the pipeline's writer role (proves its grants suffice)."""
    w = BatchWriter.from_dsn(pg_writer_dsn)
    yield w
    w.close()


def rows_of(dsn: str, table: str, pbx: str, order: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        cols = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                "AND table_name = %s AND column_name <> 'updated_at' ORDER BY ordinal_position",
                (table,)
            )
        ]
        query = f"SELECT {', '.join(cols)} FROM {table} WHERE pbx_id = %s ORDER BY {order}"
        return conn.execute(query, (pbx,)).fetchall()


def full_batch(pbx: str) -> dict[str, list[dict[str, Any]]]:
    """A batch touching every table the live flow and the sync write."""
    ev = [
        {"event_id": uuid.uuid5(uuid.NAMESPACE_URL, f"{pbx}/{i}"), "pbx_id": pbx,
         "call_key": f"{i}@{T0.isoformat()}", "call_id": i, "event_type": "queue_entered",
         "occurred_at": T0 + timedelta(seconds=i), "observed_at": T0 + timedelta(seconds=i + 1),
         "queue_dn": "800", "status": "Ringing", "details": {"seq": i}}
        for i in range(50)
    ]
    visits = [
        {"pbx_id": pbx, "call_key": f"{i}@{T0.isoformat()}", "queue_dn": "800",
         "entered_at": T0 + timedelta(seconds=i), "outcome": "waiting", "caller_number": "+4930"}
        for i in range(50)
    ]
    return {
        "call_events": ev,
        "queue_calls": visits,
        "queue_kpi_1m": [{"pbx_id": pbx, "queue_dn": "800", "bucket": T0, "offered": 50}],
        "queue_live": [{"pbx_id": pbx, "queue_dn": "800", "ts": T0, "waiting": 50,
                        "longest_wait_s": 49.0, "talking": 0}],
        "agent_states": [{"pbx_id": pbx, "agent_dn": "101", "ts": T0, "queue_status": "LoggedIn",
                          "profile": "Available", "registered": True, "on_call": False}],
        "pipeline_health": [{"pbx_id": pbx, "ts": T0, "polls": 1, "poll_latency_ms": 12.5}],
        "queues": [{"pbx_id": pbx, "queue_dn": "800", "valid_from": T0, "name": "Sales",
                    "sla_time_s": 20}],
        "agents": [{"pbx_id": pbx, "agent_dn": "101", "valid_from": T0, "first_name": "Ann"}],
        "queue_agents": [{"pbx_id": pbx, "queue_dn": "800", "agent_dn": "101",
                          "valid_from": T0}],
    }


ORDER = {
    "call_events": "occurred_at, event_id", "queue_calls": "entered_at, call_key",
    "queue_kpi_1m": "bucket, queue_dn", "queue_live": "ts, queue_dn",
    "agent_states": "ts, agent_dn", "pipeline_health": "ts, component",
    "queues": "queue_dn, valid_from", "agents": "agent_dn, valid_from",
    "queue_agents": "queue_dn, agent_dn, valid_from",
}


def snapshot(dsn: str, pbx: str) -> dict[str, list[tuple[Any, ...]]]:
    return {t: rows_of(dsn, t, pbx, o) for t, o in ORDER.items()}


def test_same_batch_twice_leaves_the_same_tables(writer: BatchWriter, pg_dsn: str,
                                                 pbx: str) -> None:
    batch = full_batch(pbx)
    n = writer.write(batch)
    first = snapshot(pg_dsn, pbx)
    assert n == sum(len(v) for v in batch.values())
    assert {t: len(r) for t, r in first.items()} == {t: len(v) for t, v in batch.items()}
    writer.write(batch)
    writer.write(full_batch(pbx))  # equal rows from fresh objects
    assert snapshot(pg_dsn, pbx) == first
    assert writer.stats.batches == 3
    assert writer.stats.rows_by_table["call_events"] == 150
    assert writer.stats.rows_per_s > 0
    print(f"\nwriter: {writer.stats.rows_written} rows in {writer.stats.busy_s:.3f} s "
          f"= {writer.stats.rows_per_s:,.0f} rows/s")


def _visit(pbx: str, **kw: Any) -> dict[str, Any]:
    row = {"pbx_id": pbx, "call_key": "7@x", "queue_dn": "800", "entered_at": T0,
           "outcome": "waiting", "wait_s": 1.0}
    row.update(kw)
    return row


def _visit_row(dsn: str, pbx: str) -> dict[str, Any]:
    with psycopg.connect(dsn) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        rows = cur.execute("SELECT * FROM queue_calls WHERE pbx_id = %s", (pbx,)).fetchall()
    assert len(rows) == 1
    return rows[0]


def test_progressing_visit_updates_and_never_regresses(writer: BatchWriter, pg_dsn: str,
                                                       pbx: str) -> None:
    writer.write({"queue_calls": [_visit(pbx)]})
    writer.write({"queue_calls": [_visit(pbx, wait_s=9.0)]})
    assert _visit_row(pg_dsn, pbx)["wait_s"] == 9.0
    answered_at = T0 + timedelta(seconds=12)
    writer.write({"queue_calls": [_visit(pbx, outcome="answered", answered_at=answered_at,
                                         wait_s=12.0, agent_dn="101")]})
    row = _visit_row(pg_dsn, pbx)
    assert (row["outcome"], row["answered_at"], row["agent_dn"]) == ("answered", answered_at,
                                                                     "101")
    # The end arrives without the agent: the known agent stays.
    ended_at = answered_at + timedelta(seconds=60)
    writer.write({"queue_calls": [_visit(pbx, outcome="answered", ended_at=ended_at,
                                         talk_s=60.0, wait_s=12.0)]})
    # A stale 'waiting' (a replayed poll) must not take the finished visit back.
    writer.write({"queue_calls": [_visit(pbx, wait_s=3.0)]})
    row = _visit_row(pg_dsn, pbx)
    assert row["outcome"] == "answered"
    assert row["agent_dn"] == "101"
    assert row["answered_at"] == answered_at
    assert row["ended_at"] == ended_at
    assert (row["wait_s"], row["talk_s"]) == (12.0, 60.0)
    assert row["source"] == "live"


def test_progress_inside_one_batch_folds(writer: BatchWriter, pg_dsn: str, pbx: str) -> None:
    writer.write({"queue_calls": [
        _visit(pbx), _visit(pbx, outcome="abandoned", ended_at=T0 + timedelta(seconds=4),
                            wait_s=4.0), _visit(pbx, wait_s=2.0)]})
    row = _visit_row(pg_dsn, pbx)
    assert (row["outcome"], row["wait_s"]) == ("abandoned", 4.0)


def test_reconciled_cdr_row_is_not_overwritten_by_live(writer: BatchWriter, pg_dsn: str,
                                                        pbx: str) -> None:
    writer.write({"queue_calls": [_visit(pbx, outcome="answered", wait_s=5.0, agent_dn="101")]})
    reconciled = T0 + timedelta(hours=1)
    writer.write({"queue_calls": [_visit(pbx, outcome="answered", wait_s=4.2, agent_dn="102",
                                         source="cdr", reconciled_at=reconciled)]})
    writer.write({"queue_calls": [_visit(pbx, outcome="answered", wait_s=5.0, agent_dn="101",
                                         talk_s=30.0)]})
    row = _visit_row(pg_dsn, pbx)
    assert (row["source"], row["wait_s"], row["agent_dn"]) == ("cdr", 4.2, "102")
    assert row["talk_s"] is None  # CDR truth is taken whole; live data does not fill it in
    assert row["reconciled_at"] == reconciled
    # A second reconciliation may correct its own row.
    writer.write({"queue_calls": [_visit(pbx, outcome="answered", wait_s=4.0, agent_dn="102",
                                         source="cdr", reconciled_at=reconciled)]})
    assert _visit_row(pg_dsn, pbx)["wait_s"] == 4.0


def test_kpi_bucket_is_replaced_whole(writer: BatchWriter, pg_dsn: str, pbx: str) -> None:
    base = {"pbx_id": pbx, "queue_dn": "800", "bucket": T0}
    writer.write({"queue_kpi_1m": [dict(base, offered=3, answered=2, answered_in_sla=2,
                                        sla_pct=100.0, asa_s=4.0)]})
    writer.write({"queue_kpi_1m": [dict(base, offered=4, answered=3, answered_in_sla=2,
                                        sla_pct=66.7, asa_s=9.0)]})
    rows = rows_of(pg_dsn, "queue_kpi_1m", pbx, "bucket")
    assert len(rows) == 1
    with psycopg.connect(pg_dsn) as conn:
        got = conn.execute("SELECT offered, answered, answered_in_sla, sla_pct, asa_s "
                           "FROM queue_kpi_1m WHERE pbx_id = %s", (pbx,)).fetchone()
    assert got == (4, 3, 2, 66.7, 9.0)


def test_bad_row_rolls_back_the_whole_batch(writer: BatchWriter, pg_dsn: str, pbx: str) -> None:
    batch = {
        "queue_live": [{"pbx_id": pbx, "queue_dn": "800", "ts": T0, "waiting": 1}],
        "queue_calls": [_visit(pbx, outcome="bogus")],
    }
    with pytest.raises(StoreWriteError, match=r"writing queue_calls failed.*queue_calls_outcome"):
        writer.write(batch)
    assert rows_of(pg_dsn, "queue_live", pbx, "ts") == []
    # The writer is still usable afterwards.
    writer.write({"queue_live": batch["queue_live"]})
    assert len(rows_of(pg_dsn, "queue_live", pbx, "ts")) == 1


def test_unknown_table_is_a_clear_error(writer: BatchWriter) -> None:
    with pytest.raises(StoreWriteError, match="no writer for table 'nope'"):
        writer.write({"nope": [{"a": 1}]})


def test_every_spec_column_exists_in_its_table(pg_dsn: str) -> None:
    with psycopg.connect(pg_dsn) as conn:
        for spec in TABLES.values():
            columns = {r[0] for r in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = %s", (spec.name,))}
            assert set(spec.columns) <= columns, (spec.name, set(spec.columns) - columns)


def test_write_in_commits_with_the_callers_transaction(pg_dsn: str, pbx: str) -> None:
    visit = _visit(pbx, outcome="answered", wait_s=5.0, agent_dn="101", source="cdr",
                   reconciled_at=T0)
    written: list[int] = []

    def write_then_fail(conn: psycopg.Connection[Any]) -> None:
        with conn.transaction():
            written.append(write_in(conn, {"queue_calls": [visit]}))
            raise RuntimeError("the caller fails after writing")

    with psycopg.connect(pg_dsn) as conn:
        with pytest.raises(RuntimeError, match="fails after writing"):
            write_then_fail(conn)
        assert written == [1]
        assert rows_of(pg_dsn, "queue_calls", pbx, "entered_at") == []  # rolled back with it
        with conn.transaction():
            # twice in one transaction (the stage is emptied in between), then a delete
            write_in(conn, {"queue_calls": [visit]})
            write_in(conn, {"queue_calls": [dict(visit, wait_s=4.0)],
                            "queue_live": [{"pbx_id": pbx, "queue_dn": "800", "ts": T0}]})
            key = (pbx, visit["call_key"], "800", visit["entered_at"])
            assert delete_keys(conn, "queue_calls", [key], where="source <> 'cdr'") == 1
    row = _visit_row(pg_dsn, pbx)  # the reconciled row was protected from the delete
    assert (row["source"], row["wait_s"]) == ("cdr", 4.0)
    with psycopg.connect(pg_dsn) as conn, conn.transaction():
        delete_keys(conn, "queue_calls", [key])
    assert rows_of(pg_dsn, "queue_calls", pbx, "entered_at") == []
    with pytest.raises(StoreWriteError, match="needs 4 values"):
        delete_keys(conn, "queue_calls", [(pbx, "k")])
