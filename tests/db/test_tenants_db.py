"""Tenants kept apart by the database: ``db login-role NAME --member-of reader --pbx A,B``
gives a log-in that, in EVERY relation of the public schema (listed from the catalogue, so a
relation added later is checked too), sees only the rows of its PBXs — through views as well
— and cannot write anywhere. Readers and the writer are not restricted."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql

from queuepulse.cli import main
from queuepulse.store.db import dsn_with
from queuepulse.store.migrations import load_migrations, upgrade
from queuepulse.store.writers import BatchWriter

pytestmark = pytest.mark.db

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PBXS = ("acme-hq", "acme-branch", "globex")



def _rows(pbx: str) -> dict[str, list[dict[str, Any]]]:
    """One or two rows of ``pbx`` in each table the pipeline writes."""
    return {
        "call_events": [{"event_id": f"00000000-0000-0000-0000-{abs(hash(pbx)) % 10**12:012d}",
                         "pbx_id": pbx, "call_key": "1@x", "call_id": 1,
                         "event_type": "call_started", "occurred_at": T0, "observed_at": T0}],
        "queue_live": [{"pbx_id": pbx, "queue_dn": "800", "ts": T0, "waiting": 2}],
        "queue_kpi_1m": [{"pbx_id": pbx, "queue_dn": "800", "bucket": T0, "offered": 3}],
        "queues": [{"pbx_id": pbx, "queue_dn": "800", "name": f"Sales {pbx}",
                    "valid_from": T0 - timedelta(days=1)}],
        "agents": [{"pbx_id": pbx, "agent_dn": "101", "name": "Ann",
                    "valid_from": T0 - timedelta(days=1)}],
        "queue_agents": [{"pbx_id": pbx, "queue_dn": "800", "agent_dn": "101",
                          "valid_from": T0 - timedelta(days=1)}],
        "pipeline_health": [{"pbx_id": pbx, "component": "poller", "ts": T0}],
    }


def _fill(pg_writer_dsn: str, pg_conn: psycopg.Connection[Any]) -> None:
    """Rows of every PBX in every public table with a pbx_id (the writer writes through RLS;
    the tables no writer row reaches are filled as the owner)."""
    writer = BatchWriter.from_dsn(pg_writer_dsn)
    try:
        for pbx in PBXS:
            writer.write(_rows(pbx))  # type: ignore[arg-type]
    finally:
        writer.close()
    for table in _tables_with_pbx_id(pg_conn):
        count = pg_conn.execute(
            sql.SQL("SELECT count(DISTINCT pbx_id) FROM {}").format(sql.Identifier(table))
        ).fetchone()
        if count and count[0] < len(PBXS):
            _fill_as_owner(pg_conn, table)


def _tables_with_pbx_id(conn: psycopg.Connection[Any]) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'pbx_id' "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1").fetchall()]


def _fill_as_owner(conn: psycopg.Connection[Any], table: str) -> None:
    """One row per PBX: required columns get a value of their type."""
    columns = conn.execute(
        "SELECT column_name, data_type, is_nullable, column_default IS NOT NULL "
        "FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s "
        "ORDER BY ordinal_position", (table,)).fetchall()
    samples = {"text": "x", "integer": 1, "bigint": 1, "smallint": 1, "boolean": False,
               "double precision": 1.0, "real": 1.0, "numeric": 1,
               "timestamp with time zone": T0, "date": T0.date(), "uuid": None,
               "jsonb": "{}", "interval": timedelta(seconds=1), "ARRAY": "{}"}
    allowed: dict[str, str] = {}  # a value each CHECK (col IN (...)) accepts
    for (definition,) in conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'c' "
            "AND conrelid = %s::regclass", (f"public.{table}",)).fetchall():
        for col, value in re.findall(r"\(?(\w+) = ANY \(ARRAY\['([^']*)'", definition):
            allowed.setdefault(col, value)
        if simple := re.fullmatch(r"CHECK \(\((\w+) = '([^']*)'::text\)\)", definition):
            allowed.setdefault(simple.group(1), simple.group(2))
    for index, pbx in enumerate(PBXS):
        names, values = [], []
        for name, dtype, nullable, has_default in columns:
            if name == "pbx_id":
                names.append(name)
                values.append(pbx)
            elif nullable == "NO" and not has_default:
                value: Any = allowed.get(name, samples.get(dtype, "x"))
                if dtype == "uuid":
                    value = f"00000000-0000-0000-0000-{index + 1:012d}"
                elif dtype == "text" and name not in allowed:  # keys may be text: one per PBX
                    value = f"x{index + 1}"
                elif dtype in ("integer", "bigint", "smallint"):
                    value = index + 1
                names.append(name)
                values.append(value)
        conn.execute(sql.SQL("INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, names)),
            sql.SQL(", ").join(sql.Placeholder() * len(names))), values)


def _relations(conn: psycopg.Connection[Any]) -> dict[str, tuple[str, bool]]:
    """Every table, view and materialized view of the public schema: (kind, has pbx_id)."""
    return {r[0]: (r[1], r[2]) for r in conn.execute(
        "SELECT c.relname, c.relkind::text, EXISTS (SELECT 1 FROM pg_attribute a WHERE "
        "a.attrelid = c.oid AND a.attname = 'pbx_id' AND NOT a.attisdropped) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY 1")}


def _login(pg_dsn: str, name: str, pbx: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["db", "login-role", name, "--member-of", "reader", "--pbx", pbx,
                 "--dsn", pg_dsn]) == 0
    assert f"reads only the rows of PBX {pbx.replace(',', ', ')}" in capsys.readouterr().out
    return dsn_with(pg_dsn, user=name)


def _visible(dsn: str, relation: str) -> set[str] | None:
    """The pbx_ids ``dsn``'s role reads from ``relation`` (by its unqualified name, as a
    tenant's SQL would say it), or None when it may not read it at all."""
    with psycopg.connect(dsn) as conn:
        try:
            rows = conn.execute(
                sql.SQL("SELECT DISTINCT pbx_id FROM {}").format(sql.Identifier(relation))
            ).fetchall()
        except psycopg.errors.InsufficientPrivilege:
            return None
    return {r[0] for r in rows}


def _readable(dsn: str, relation: str) -> bool:
    with psycopg.connect(dsn) as conn:
        try:
            conn.execute(sql.SQL("SELECT 1 FROM {} LIMIT 1").format(sql.Identifier(relation)))
        except psycopg.errors.InsufficientPrivilege:
            return False
    return True


def test_a_tenant_sees_only_its_pbxs_in_every_relation(
    pg_dsn: str, pg_conn: psycopg.Connection[Any], pg_reader_dsn: str, pg_writer_dsn: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A materialized view cannot carry row-level security (as a continuous aggregate cannot on
    # the Timescale-licensed build): a filtered stand-in must cover it after the upgrade.
    pg_conn.execute("CREATE MATERIALIZED VIEW live_snapshot AS "
                    "SELECT pbx_id, queue_dn, max(waiting) AS waiting FROM queue_live "
                    "GROUP BY pbx_id, queue_dn WITH NO DATA")
    upgrade(pg_conn, *load_migrations())
    _fill(pg_writer_dsn, pg_conn)
    pg_conn.execute("REFRESH MATERIALIZED VIEW live_snapshot")
    acme = _login(pg_dsn, "acme", "acme-hq,acme-branch", capsys)
    globex = _login(pg_dsn, "globex", "globex", capsys)
    relations = _relations(pg_conn)
    assert {"queue_calls", "queues_current", "live_snapshot", "queuepulse_migrations"} <= (
        relations.keys())
    for relation, (kind, has_pbx) in relations.items():
        if not has_pbx:  # the migration ledger: no PBX's data, not granted to tenants
            assert not _readable(acme, relation), relation
            continue
        everything = _visible(pg_reader_dsn, relation)
        assert everything is not None, relation
        for dsn, own in ((acme, {"acme-hq", "acme-branch"}), (globex, {"globex"})):
            seen = _visible(dsn, relation)
            assert seen is not None, f"{relation}: a tenant cannot read it at all"
            assert seen <= own, f"{relation} ({kind}): tenant sees {seen - own}"
            assert seen == everything & own, (relation, seen, everything)
        assert everything >= set(PBXS) or not everything, (relation, everything)
    # the fact tables really held every PBX's rows (the test would prove nothing otherwise)
    assert _visible(pg_reader_dsn, "queue_live") == set(PBXS)
    assert _visible(acme, "queue_live") == {"acme-hq", "acme-branch"}
    assert _visible(globex, "queues_current") == {"globex"}  # a view does not bypass it
    assert _visible(globex, "live_snapshot") == {"globex"}  # nor a materialized view
    with psycopg.connect(globex, autocommit=True) as conn:
        for relation in relations:  # naming the public relations: no rights on them at all
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql.SQL("SELECT 1 FROM {} LIMIT 1").format(
                    sql.Identifier("public", relation)))
        pbx_list = conn.execute("SELECT * FROM queuepulse_tenant.tenant_pbx").fetchall()
        # nor the hypertables' chunks, read directly
        for (chunk,) in pg_conn.execute(
                "SELECT format('%I.%I', chunk_schema, chunk_name) FROM "
                "timescaledb_information.chunks WHERE hypertable_schema = 'public'"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT DISTINCT pbx_id FROM {chunk}")
    assert pbx_list == [("globex", "globex")]  # its own PBX list only


def test_a_tenant_cannot_write_anywhere(
    pg_dsn: str, pg_conn: psycopg.Connection[Any], capsys: pytest.CaptureFixture[str],
) -> None:
    tenant = _login(pg_dsn, "writer_wannabe", "acme-hq", capsys)
    relations = _relations(pg_conn)
    tables = [name for name, (kind, _) in relations.items() if kind in ("r", "p")]
    assert len(tables) >= 10
    with psycopg.connect(tenant, autocommit=True) as conn:
        for table in tables:
            for statement in (
                sql.SQL("INSERT INTO {} (pbx_id) VALUES ('acme-hq')"),
                sql.SQL("UPDATE {} SET pbx_id = 'acme-hq'"),
                sql.SQL("DELETE FROM {}"),
                sql.SQL("TRUNCATE {}"),
            ):
                if "pbx_id" in statement.as_string(conn) and not relations[table][1]:
                    statement = sql.SQL("DELETE FROM {}")
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement.format(sql.Identifier("public", table)))
        for statement in (
            "CREATE TABLE public.mine (pbx_id text)",
            "INSERT INTO queuepulse_tenant.tenant_pbx VALUES ('writer_wannabe', 'globex')",
            "SELECT queuepulse_apply_retention()",
            "CREATE SCHEMA mine",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


def test_readers_and_the_writer_are_not_restricted(
    pg_conn: psycopg.Connection[Any], pg_reader_dsn: str, pg_writer_dsn: str,
) -> None:
    _fill(pg_writer_dsn, pg_conn)  # the writer wrote every PBX through the policies
    assert _visible(pg_reader_dsn, "queue_kpi_1m") == set(PBXS)
    assert _visible(pg_writer_dsn, "queues_current") == set(PBXS)
    with psycopg.connect(pg_writer_dsn, autocommit=True) as conn:
        conn.execute("UPDATE queue_live SET waiting = waiting + 1")
        conn.execute("DELETE FROM queue_kpi_1m WHERE pbx_id = 'globex'")  # buckets it rewrites
    rls = pg_conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT c.relrowsecurity "
        "AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid "
        "AND a.attname = 'pbx_id')").fetchall()
    assert rls == []  # every table with a pbx_id has row-level security on


def test_login_role_moves_between_tenant_and_reader(
    pg_dsn: str, pg_conn: psycopg.Connection[Any], pg_writer_dsn: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _fill(pg_writer_dsn, pg_conn)
    dsn = _login(pg_dsn, "moving", "globex", capsys)
    assert _visible(dsn, "queue_live") == {"globex"}
    dsn = _login(pg_dsn, "moving", "acme-hq", capsys)  # its PBXs replaced, not added
    assert _visible(dsn, "queue_live") == {"acme-hq"}
    assert main(["db", "login-role", "moving", "--member-of", "reader", "--dsn", pg_dsn]) == 0
    assert _visible(dsn, "queue_live") == set(PBXS)  # a plain reader again
    dsn = _login(pg_dsn, "moving", "globex", capsys)  # and a tenant again: reader revoked
    assert _visible(dsn, "queue_live") == {"globex"}


@pytest.mark.parametrize(("argv", "expected"), [
    (["--member-of", "writer", "--pbx", "a"], "--pbx restricts a reader"),
    (["--member-of", "reader", "--pbx", " , "], "--pbx needs at least one pbx_id"),
    (["--member-of", "reader", "--pbx", "a b"], "is not a pbx_id"),
])
def test_login_role_pbx_mistakes(argv: list[str], expected: str,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["db", "login-role", "x", *argv, "--dsn",
                 "postgresql://nobody@127.0.0.1:1/none"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1, err
    assert expected in err[0], err


def test_a_leaky_function_in_a_tenants_query_sees_no_other_rows(
    pg_dsn: str, pg_conn: psycopg.Connection[Any], pg_writer_dsn: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A tenant may create a function in its temporary schema that reports every value it is
    given, and make it cheap so the planner runs it early: the rows of other PBXs must never
    reach it (row-level security filters first; a view over what cannot carry it is a
    security barrier)."""
    pg_conn.execute("CREATE MATERIALIZED VIEW live_snapshot AS "
                    "SELECT pbx_id, max(waiting) AS waiting FROM queue_live GROUP BY pbx_id "
                    "WITH NO DATA")
    upgrade(pg_conn, *load_migrations())
    _fill(pg_writer_dsn, pg_conn)
    pg_conn.execute("REFRESH MATERIALIZED VIEW live_snapshot")
    tenant = _login(pg_dsn, "leaky", "globex", capsys)
    seen: list[str] = []
    with psycopg.connect(tenant, autocommit=True) as conn:
        conn.add_notice_handler(lambda notice: seen.append(str(notice.message_primary)))
        conn.execute("CREATE FUNCTION pg_temp.leak(text) RETURNS boolean LANGUAGE plpgsql "
                     "COST 0.0000001 AS $$ BEGIN RAISE NOTICE 'saw %', $1; RETURN true; END $$")
        for relation in ("queue_live", "queues_current", "call_events", "live_snapshot"):
            rows = conn.execute(
                sql.SQL("SELECT pbx_id FROM {} WHERE pg_temp.leak(pbx_id)").format(
                    sql.Identifier(relation))).fetchall()
            assert {r[0] for r in rows} == {"globex"}, relation
    assert seen
    assert set(seen) == {"saw globex"}, seen
