"""The public tables of docs/schema.md exist as hypertables, with the roles' privileges right."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

pytestmark = pytest.mark.db

FACT_TABLES = {
    "call_events": "occurred_at",
    "queue_calls": "entered_at",
    "queue_kpi_1m": "bucket",
    "entry_queue_kpi_1m": "bucket",
    "queue_live": "ts",
    "agent_states": "ts",
    "pipeline_health": "ts",
}
DIMENSIONS = {"queues": "valid_from", "agents": "valid_from", "queue_agents": "valid_from"}
RECONCILIATION = {
    "reconciliation_runs": "started_at",
    "reconciliation_diffs": "detected_at",
    "cdr_dead_letters": "received_at",
    "pbx_queue_reports": "period_from",
}
# The audit of queue configuration changes (migration 005).
AUDIT = {"queue_config_changes": "changed_at"}
# Looking ahead (migration 006): forecasts, staffing per interval, expected waits.
STAFFING = {
    "arrival_forecasts": "interval_start",
    "staffing_intervals": "interval_start",
    "expected_waits": "predicted_at",
}
FAULTS = {"write_dead_letters": "dead_at"}
WALLBOARD = {"queue_kpi_hourly": "bucket"}
# The 15-minute rollup the report views read (migration 009).
REPORTS = {"queue_kpi_15m": "bucket"}
# Tables that are not hypertables, and why.
NOT_HYPERTABLES = {
    "queuepulse_migrations": "the migration ledger",
    "call_event_ids": "the one-copy ledger of event ids (its key is the id alone)",
    "agent_now": "one row per agent, updated in place (history: agent_states)",
    "queue_live_now": "one row per queue, updated in place (history: queue_live)",
    "queue_targets": "configuration, one row per queue, edited in place",
    "pbx_sites": "configuration, one row per PBX (its site time zone), updated in place",
}
# The key columns the analyst contract names (docs/schema.md).
CONTRACT_COLUMNS = {
    "call_events": {
        "event_id", "pbx_id", "call_key", "call_id", "event_type", "occurred_at",
        "observed_at", "queue_dn", "agent_dn", "status", "details",
    },
    "queue_calls": {
        "pbx_id", "call_key", "queue_dn", "entered_at", "answered_at", "ended_at", "outcome",
        "wait_s", "talk_s", "agent_dn", "caller", "source", "reconciled_at",
    },
    "queue_kpi_1m": {
        "pbx_id", "queue_dn", "bucket", "offered", "answered", "abandoned", "short_abandoned",
        "answered_in_sla", "sla_pct", "asa_s", "max_wait_s", "aht_s",
    },
    # End-to-end KPIs by entry queue, the same columns (migration 003).
    "entry_queue_kpi_1m": {
        "pbx_id", "queue_dn", "bucket", "offered", "answered", "abandoned", "short_abandoned",
        "answered_in_sla", "sla_pct", "asa_s", "max_wait_s", "aht_s",
    },
    "queue_live": {
        "pbx_id", "queue_dn", "ts", "waiting", "longest_wait_s", "talking",
        "agents_logged_in", "agents_talking", "agents_free",
    },
    "agent_states": {
        "pbx_id", "agent_dn", "ts", "queue_status", "profile", "registered", "on_call",
    },
    "pipeline_health": {
        "pbx_id", "ts", "poll_latency_ms", "polls", "errors", "error_kind", "stale_polls",
        "gaps", "lag_s", "rows_written", "breaker_state", "skew_s",
    },
    "queues": {"pbx_id", "queue_dn", "valid_from", "valid_to"},
    "agents": {"pbx_id", "agent_dn", "valid_from", "valid_to"},
    "queue_agents": {"pbx_id", "queue_dn", "agent_dn", "valid_from", "valid_to"},
}


def _columns(conn: psycopg.Connection[Any], table: str) -> dict[str, str]:
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = %s",
        (table,),
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def test_every_public_table_is_a_hypertable_on_its_time_column(
    pg_conn: psycopg.Connection[Any],
) -> None:
    expected = {
        **FACT_TABLES, **DIMENSIONS, **RECONCILIATION, **AUDIT, **STAFFING, **FAULTS, **WALLBOARD,
        **REPORTS,
    }
    hypertables = dict(
        pg_conn.execute(
            "SELECT hypertable_name, column_name FROM timescaledb_information.dimensions "
            "WHERE hypertable_schema = 'public'"
        ).fetchall()
    )
    tables = {
        r[0]
        for r in pg_conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    }
    assert hypertables == expected
    # Every table but those that say why not is a hypertable.
    assert tables - set(hypertables) == set(NOT_HYPERTABLES)


@pytest.mark.parametrize("table", sorted(CONTRACT_COLUMNS))
def test_contract_columns_exist(pg_conn: psycopg.Connection[Any], table: str) -> None:
    columns = _columns(pg_conn, table)
    missing = CONTRACT_COLUMNS[table] - set(columns)
    assert not missing, f"{table} lacks {sorted(missing)}"
    timestamps = {c for c in CONTRACT_COLUMNS[table] if c.endswith(("_at", "ts", "bucket"))}
    timestamps |= {"valid_from", "valid_to"} & set(columns)
    for column in timestamps:
        assert columns[column] == "timestamp with time zone", (table, column)


def test_natural_keys_make_upserts_idempotent(pg_conn: psycopg.Connection[Any]) -> None:
    insert = (
        "INSERT INTO queue_calls (pbx_id, call_key, queue_dn, entered_at, outcome) "
        "VALUES ('p1', '7@2025-01-01T10:00:00Z', '800', '2025-01-01T10:00:05Z', %s) "
        "ON CONFLICT (pbx_id, call_key, queue_dn, entered_at) "
        "DO UPDATE SET outcome = EXCLUDED.outcome"
    )
    pg_conn.execute(insert, ("waiting",))
    pg_conn.execute(insert, ("answered",))
    rows = pg_conn.execute("SELECT outcome, source FROM queue_calls").fetchall()
    assert rows == [("answered", "live")]
    for statement in (
        "INSERT INTO call_events (event_id, pbx_id, call_key, event_type, occurred_at, "
        "observed_at) VALUES ('7b0e3c54-3f4c-5a8e-9d2a-0c1e2f3a4b5c', 'p1', 'k', "
        "'call_started', '2025-01-01T10:00:00Z', '2025-01-01T10:00:01Z') "
        "ON CONFLICT (event_id, occurred_at) DO NOTHING",
        "INSERT INTO queue_kpi_1m (pbx_id, queue_dn, bucket, offered) VALUES "
        "('p1', '800', '2025-01-01T10:00:00Z', 3) "
        "ON CONFLICT (pbx_id, queue_dn, bucket) DO UPDATE SET offered = EXCLUDED.offered",
        "INSERT INTO entry_queue_kpi_1m (pbx_id, queue_dn, bucket, offered) VALUES "
        "('p1', '800', '2025-01-01T10:00:00Z', 3) "
        "ON CONFLICT (pbx_id, queue_dn, bucket) DO UPDATE SET offered = EXCLUDED.offered",
        "INSERT INTO queue_live (pbx_id, queue_dn, ts, waiting) VALUES "
        "('p1', '800', '2025-01-01T10:00:00Z', 2) "
        "ON CONFLICT (pbx_id, queue_dn, ts) DO UPDATE SET waiting = EXCLUDED.waiting",
        "INSERT INTO agent_states (pbx_id, agent_dn, ts, queue_status) VALUES "
        "('p1', '101', '2025-01-01T10:00:00Z', 'LoggedIn') "
        "ON CONFLICT (pbx_id, agent_dn, ts) DO NOTHING",
        "INSERT INTO pipeline_health (pbx_id, component, ts, polls) VALUES "
        "('p1', 'live', '2025-01-01T10:00:00Z', 60) "
        "ON CONFLICT (pbx_id, component, ts) DO UPDATE SET polls = EXCLUDED.polls",
    ):
        pg_conn.execute(statement)
        pg_conn.execute(statement)
    for table in ("call_events", "queue_kpi_1m", "entry_queue_kpi_1m", "queue_live",
                  "agent_states", "pipeline_health"):
        count = pg_conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        assert count == (1,), table


def test_outcome_and_source_are_checked(pg_conn: psycopg.Connection[Any]) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        pg_conn.execute(
            "INSERT INTO queue_calls (pbx_id, call_key, queue_dn, entered_at, outcome) "
            "VALUES ('p1', 'k', '800', now(), 'lost')"
        )
    with pytest.raises(psycopg.errors.CheckViolation):
        pg_conn.execute(
            "INSERT INTO queue_calls (pbx_id, call_key, queue_dn, entered_at, source) "
            "VALUES ('p1', 'k', '800', now(), 'guess')"
        )


def test_reader_can_select_and_cannot_write(
    pg_conn: psycopg.Connection[Any], pg_reader_dsn: str
) -> None:
    pg_conn.execute(
        "INSERT INTO queue_live (pbx_id, queue_dn, ts, waiting) VALUES ('p1', '800', now(), 1)"
    )
    with psycopg.connect(pg_reader_dsn, autocommit=True) as reader:
        for table in (*FACT_TABLES, *DIMENSIONS, *RECONCILIATION, *AUDIT, "queues_current"):
            reader.execute(f"SELECT * FROM {table} LIMIT 1").fetchall()
        assert reader.execute("SELECT waiting FROM queue_live").fetchall() == [(1,)]
        for statement in (
            "INSERT INTO queue_live (pbx_id, queue_dn, ts) VALUES ('p1', '801', now())",
            "UPDATE queue_live SET waiting = 5",
            "DELETE FROM queue_live",
            "TRUNCATE queue_live",
            "CREATE TABLE sneaky (x int)",
            "SELECT queuepulse_apply_retention()",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                reader.execute(statement)
    assert pg_conn.execute("SELECT waiting FROM queue_live").fetchall() == [(1,)]


def test_writer_writes_and_the_retention_role_applies_retention(
    pg_conn: psycopg.Connection[Any], pg_writer_dsn: str, pg_retention_dsn: str
) -> None:
    with psycopg.connect(pg_writer_dsn, autocommit=True) as writer:
        writer.execute(
            "INSERT INTO queue_live (pbx_id, queue_dn, ts, waiting) VALUES "
            "('p1', '800', now() - INTERVAL '90 days', 1), ('p1', '800', now(), 2)"
        )
        writer.execute("UPDATE queue_live SET waiting = waiting + 10")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            writer.execute("DELETE FROM queuepulse_migrations")
    with psycopg.connect(pg_retention_dsn, autocommit=True) as retention:
        dropped = {
            r[0]: r[2]
            for r in retention.execute("SELECT * FROM queuepulse_apply_retention()").fetchall()
        }
        assert dropped["queue_live"] == 1
        # Every fact table has a retention (dimension history is kept forever).
        assert set(dropped) == (
            set(FACT_TABLES) | set(RECONCILIATION) | set(FAULTS) | set(WALLBOARD)
            | set(REPORTS))
        with pytest.raises(psycopg.errors.RaiseException):
            retention.execute("SELECT queuepulse_drop_old_chunks('queues', INTERVAL '1 day')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # nothing else
            retention.execute("SELECT count(*) FROM queue_live")
    assert pg_conn.execute("SELECT waiting FROM queue_live").fetchall() == [(12,)]


def test_dimension_views_show_open_rows(pg_conn: psycopg.Connection[Any]) -> None:
    pg_conn.execute(
        "INSERT INTO queues (pbx_id, queue_dn, valid_from, valid_to, sla_time_s) VALUES "
        "('p1', '800', '2025-01-01', '2025-02-01', 20), ('p1', '800', '2025-02-01', NULL, 30)"
    )
    rows = pg_conn.execute("SELECT queue_dn, sla_time_s FROM queues_current").fetchall()
    assert rows == [("800", 30)]
