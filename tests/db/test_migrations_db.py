"""The migration runner against a real TimescaleDB: apply, re-apply, golden dump, refusals.

Regenerate the golden schema dump after an intended schema change with:

    QUEUEPULSE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/db/test_migrations_db.py -k golden
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest

from queuepulse.cli import main
from queuepulse.store.db import connect
from queuepulse.store.localdb import LocalCluster
from queuepulse.store.migrations import (
    ChangedMigrationError,
    MigrationError,
    default_schema_dir,
    load_migrations,
    migration_status,
    split_statements,
    upgrade,
)

pytestmark = pytest.mark.db

GOLDEN = Path(__file__).parent / "golden" / "schema.sql"
# The continuous aggregates of 040-licensed-caggs.sql and the 1-minute table each rolls up.
CAGGS = {
    "queue_kpi_1h": "queue_kpi_1m",
    "queue_kpi_1d": "queue_kpi_1m",
    "entry_queue_kpi_1h": "entry_queue_kpi_1m",
    "entry_queue_kpi_1d": "entry_queue_kpi_1m",
}
_CAGG = re.compile(
    r"CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+)\s+WITH \(timescaledb\.continuous[^)]*\) AS\s+"
    r"(SELECT\s.*?)\s+WITH NO DATA",
    re.DOTALL,
)


def schema_dump(cluster: LocalCluster, dsn: str) -> str:
    """pg_dump of the public schema plus the hypertable and job settings, stable across runs."""
    out = subprocess.run(
        [
            str(cluster.pg_bin / "pg_dump"),
            "--schema-only",
            "--schema=public",
            "--no-owner",
            "--no-comments",
            "-d",
            dsn,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = [
        line
        for line in out.splitlines()
        if not line.startswith(("-- Dumped", "\\restrict", "\\unrestrict"))
    ]
    with connect(dsn, autocommit=True) as conn:
        dims = conn.execute(
            "SELECT hypertable_name, column_name, time_interval::text "
            "FROM timescaledb_information.dimensions WHERE hypertable_schema = 'public' "
            "ORDER BY 1, 2"
        ).fetchall()
        jobs = conn.execute(
            "SELECT proc_name, coalesce(hypertable_name, ''), schedule_interval::text "
            "FROM timescaledb_information.jobs WHERE proc_schema <> '_timescaledb_functions' "
            "OR hypertable_name IS NOT NULL ORDER BY 1, 2"
        ).fetchall()
    lines.append("-- hypertables (table, time column, chunk interval)")
    lines += [f"-- {t} {c} {i}" for t, c, i in dims]
    lines.append("-- jobs (procedure, table, schedule)")
    lines += [f"-- {p} {t} {s}" for p, t, s in jobs]
    return "\n".join(lines).strip() + "\n"


def _upgrade(dsn: str, schema_dir: Path | None = None) -> Any:
    incremental, idempotent = load_migrations(schema_dir)
    with connect(dsn, autocommit=True) as conn:
        return upgrade(conn, incremental, idempotent)


def test_migrations_apply_to_an_empty_database(pg_empty_dsn: str) -> None:
    result = _upgrade(pg_empty_dsn)
    incremental, idempotent = load_migrations()
    assert result.applied == [m.name for m in incremental]
    assert set(result.reapplied) | {name for name, _ in result.skipped} == {
        m.name for m in idempotent
    }
    with connect(pg_empty_dsn, autocommit=True) as conn:
        hypertables = conn.execute(
            "SELECT count(*) FROM timescaledb_information.hypertables"
        ).fetchone()
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone()
        status = migration_status(conn, incremental, idempotent)
    assert hypertables is not None
    assert tables is not None
    assert hypertables[0] >= 13
    # all but the ledgers (migrations, event ids), the current-state tables of schema 004
    # (agent_now, queue_live_now, queue_targets) and the sites of schema 009 (pbx_sites)
    assert hypertables[0] == tables[0] - 6
    assert status.up_to_date


def test_licensed_extras_are_skipped_on_the_apache_build(pg_empty_dsn: str) -> None:
    result = _upgrade(pg_empty_dsn)
    with connect(pg_empty_dsn, autocommit=True) as conn:
        row = conn.execute("SELECT current_setting('timescaledb.license')").fetchone()
        caggs = conn.execute(
            "SELECT count(*) FROM timescaledb_information.continuous_aggregates"
        ).fetchone()
    if row == ("apache",):
        assert {name for name, _ in result.skipped} == {
            "030-licensed-policies.sql",
            "040-licensed-caggs.sql",
        }
        assert caggs == (0,)
    else:  # a Timescale-licensed server: the extras are there
        assert result.skipped == []
        assert caggs == (len(CAGGS),)


def test_reapplying_changes_nothing(pg_cluster: LocalCluster, pg_empty_dsn: str) -> None:
    _upgrade(pg_empty_dsn)
    before = schema_dump(pg_cluster, pg_empty_dsn)
    second = _upgrade(pg_empty_dsn)
    after = schema_dump(pg_cluster, pg_empty_dsn)
    assert second.applied == []
    assert after == before


def test_schema_matches_the_golden_dump(pg_cluster: LocalCluster, pg_dsn: str) -> None:
    dump = schema_dump(pg_cluster, pg_dsn)
    if os.environ.get("QUEUEPULSE_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(dump)
    assert GOLDEN.exists(), "no golden file: run with QUEUEPULSE_UPDATE_GOLDEN=1 once"
    assert dump == GOLDEN.read_text(), (
        "the schema differs from tests/db/golden/schema.sql; if the change is intended, "
        "regenerate it with QUEUEPULSE_UPDATE_GOLDEN=1 (see this module's docstring)"
    )


def _copy_schema(tmp_path: Path) -> Path:
    target = tmp_path / "schema"
    shutil.copytree(default_schema_dir(), target)
    return target


def test_runner_refuses_a_changed_released_file(tmp_path: Path, pg_empty_dsn: str) -> None:
    schema = _copy_schema(tmp_path)
    _upgrade(pg_empty_dsn, schema)
    released = schema / "incremental" / "001-core-tables.sql"
    released.write_text(released.read_text() + "\n-- an innocent-looking edit\n")
    (schema / "incremental" / "999-new.sql").write_text("CREATE TABLE should_not_exist (x int);\n")
    with pytest.raises(ChangedMigrationError, match=r"001-core-tables\.sql.*new numbered file"):
        _upgrade(pg_empty_dsn, schema)
    incremental, idempotent = load_migrations(schema)
    with connect(pg_empty_dsn, autocommit=True) as conn:
        status = migration_status(conn, incremental, idempotent)
        exists = conn.execute("SELECT to_regclass('should_not_exist')").fetchone()
    assert exists == (None,)
    assert [m.name for m, _ in status.changed] == ["001-core-tables.sql"]
    assert [m.name for m in status.pending] == ["999-new.sql"]
    assert any(line.startswith("CHANGED    001-core-tables.sql") for line in status.lines())


def test_a_database_that_applied_a_comment_only_earlier_version_is_current(
    tmp_path: Path, pg_empty_dsn: str
) -> None:
    """schema/amended.sha256: a ledger holding an earlier, comment-only version's hash is up to
    date, and the upgrade re-stamps it with today's hash; any other hash is still refused."""
    schema = _copy_schema(tmp_path)
    _upgrade(pg_empty_dsn, schema)
    incremental, idempotent = load_migrations(schema)
    first = next(m for m in incremental if m.name == "001-core-tables.sql")
    (earlier,) = first.earlier_sha256
    with connect(pg_empty_dsn, autocommit=True) as conn:
        conn.execute("UPDATE queuepulse_migrations SET sha256 = %s WHERE name = %s",
                     (earlier, first.name))
        assert migration_status(conn, incremental, idempotent).changed == ()
    _upgrade(pg_empty_dsn, schema)
    with connect(pg_empty_dsn, autocommit=True) as conn:
        (stamped,) = conn.execute(
            "SELECT sha256 FROM queuepulse_migrations WHERE name = %s", (first.name,)
        ).fetchone() or (None,)
        assert stamped == first.sha256
        conn.execute("UPDATE queuepulse_migrations SET sha256 = %s WHERE name = %s",
                     ("0" * 64, first.name))
    with pytest.raises(ChangedMigrationError, match=r"001-core-tables\.sql"):
        _upgrade(pg_empty_dsn, schema)


def test_a_failing_migration_leaves_nothing_behind(tmp_path: Path, pg_empty_dsn: str) -> None:
    schema = _copy_schema(tmp_path)
    (schema / "incremental" / "900-broken.sql").write_text(
        "CREATE TABLE half_done (x int);\nSELECT * FROM no_such_table;\n"
    )
    with pytest.raises(MigrationError, match=r"900-broken\.sql.*no_such_table"):
        _upgrade(pg_empty_dsn, schema)
    with connect(pg_empty_dsn, autocommit=True) as conn:
        half = conn.execute("SELECT to_regclass('half_done')").fetchone()
        names = [
            r[0] for r in conn.execute("SELECT name FROM queuepulse_migrations").fetchall()
        ]
    assert half == (None,)
    assert "900-broken.sql" not in names
    assert "001-core-tables.sql" in names


def test_db_status_and_upgrade_commands(
    pg_empty_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "status", "--dsn", pg_empty_dsn]) == 1
    out = capsys.readouterr().out
    assert "pending    001-core-tables.sql" in out
    assert "status: 0 pending" not in out

    assert main(["db", "upgrade", "--dsn", pg_empty_dsn]) == 0
    out = capsys.readouterr().out
    assert "applied    001-core-tables.sql" in out
    assert "status: up to date" in out

    assert main(["db", "status", "--dsn", pg_empty_dsn]) == 0
    out = capsys.readouterr().out
    assert "applied    002-reconciliation.sql" in out
    assert "idempotent 090-grants.sql  current" in out
    assert out.rstrip().endswith("status: up to date")


def test_db_command_reports_an_unreachable_database_without_password(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from queuepulse.store.localdb import free_port

    dsn = f"postgresql://qp:sup3r-s3cret@127.0.0.1:{free_port()}/queuepulse"
    monkeypatch.setenv("QUEUEPULSE_DB__DSN", dsn)  # --dsn refuses a password
    assert main(["db", "status"]) == 2
    err = capsys.readouterr().err
    assert "cannot connect to PostgreSQL" in err
    assert "127.0.0.1" in err
    assert "sup3r-s3cret" not in err


def test_migrate_as_superuser_then_write_as_writer(pg_dsn: str, pg_writer_dsn: str) -> None:
    """Tables created later by the migrator are covered by the default privileges."""
    with connect(pg_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE later_table (x int)")
    with psycopg.connect(pg_writer_dsn, autocommit=True) as writer:
        writer.execute("INSERT INTO later_table VALUES (1)")
        assert writer.execute("SELECT x FROM later_table").fetchall() == [(1,)]


def test_login_role_command_creates_a_reader_login(
    pg_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from queuepulse.store.db import dsn_with

    secret = tmp_path / "grafana_db_password"
    secret.write_text("graf-pass-42\n")
    args = ["db", "login-role", "grafana_t", "--member-of", "reader", "--dsn", pg_dsn]
    assert main([*args, "--password-file", str(secret)]) == 0
    assert main([*args, "--password-file", str(secret)]) == 0
    out = capsys.readouterr().out
    assert "created log-in role grafana_t" in out
    assert "updated log-in role grafana_t" in out
    assert "graf-pass-42" not in out
    with psycopg.connect(dsn_with(pg_dsn, user="grafana_t"), autocommit=True) as grafana:
        assert grafana.execute("SELECT count(*) FROM queue_kpi_1m").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            grafana.execute("DELETE FROM queue_kpi_1m")
    assert main(["db", "login-role", "queuepulse_reader", "--member-of", "reader",
                 "--dsn", pg_dsn]) == 2
    assert "NOLOGIN group role" in capsys.readouterr().err


def test_upgrade_on_a_server_without_timescaledb_preloaded_says_so(
    pg_cluster: LocalCluster,
) -> None:
    del pg_cluster  # the shared fixture reports a missing TimescaleDB first
    with LocalCluster.throwaway(settings={"shared_preload_libraries": "''"}) as plain:
        with pytest.raises(MigrationError, match=r"not preloaded.*shared_preload_libraries"):
            _upgrade(plain.dsn())
        with connect(plain.dsn(), autocommit=True) as conn:
            ledger = conn.execute("SELECT to_regclass('queuepulse_migrations')").fetchone()
        assert ledger == (None,)


def test_licensed_files_fail_on_apache_only_for_the_licence(
    pg_conn: psycopg.Connection[Any],
) -> None:
    """On the Apache build the licensed statements must parse and stop at the licence check.

    (The Timescale-licensed path itself needs the official image; this at least keeps the
    files free of syntax errors.)
    """
    row = pg_conn.execute("SELECT current_setting('timescaledb.license')").fetchone()
    if row != ("apache",):
        pytest.skip("a Timescale-licensed server applies these files for real in db upgrade")
    _, idempotent = load_migrations()
    licensed = [m for m in idempotent if m.requires_license == "timescale"]
    assert licensed
    caggs = set(CAGGS)
    for mig in licensed:
        for statement in split_statements(mig.sql):
            with pytest.raises(psycopg.Error) as info:
                pg_conn.execute(statement.encode())
            error = info.value
            if error.sqlstate == "42P01":  # a policy on a cagg the licence kept from existing
                assert any(name in str(error) for name in caggs), (mig.name, str(error))
            else:
                assert error.sqlstate == "0A000", (mig.name, statement[:80], str(error))
                assert "license" in str(error)


def _cagg_bodies() -> dict[str, str]:
    _, idempotent = load_migrations()
    text = "\n".join(m.sql for m in idempotent if m.requires_license == "timescale")
    found: list[tuple[str, str]] = _CAGG.findall(text)
    names = [name for name, _ in found]
    assert len(names) == len(set(names)), f"a continuous aggregate is defined twice: {names}"
    return dict(found)


def test_continuous_aggregates_cover_both_kpi_tables_alike(
    pg_conn: psycopg.Connection[Any],
) -> None:
    """Every cagg's query runs as a plain query on this build, and the entry-queue views are
    the queue views over entry_queue_kpi_1m: same columns, same body but for the names.

    (The licence keeps the views themselves from being created on the Apache build.)
    """
    bodies = _cagg_bodies()
    assert set(bodies) == set(CAGGS)
    columns: dict[str, list[str]] = {}
    for name, body in bodies.items():
        assert f"FROM {CAGGS[name]}\n" in body, name
        cursor = pg_conn.execute(f"{body} LIMIT 0".encode())
        assert cursor.description is not None
        columns[name] = [c.name for c in cursor.description]
    assert columns["queue_kpi_1h"][:3] == ["pbx_id", "queue_dn", "bucket"]
    assert len(set(map(tuple, columns.values()))) == 1, columns
    for grain in ("1h", "1d"):
        entry = bodies[f"entry_queue_kpi_{grain}"].replace("entry_queue_kpi_1m", "queue_kpi_1m")
        assert entry == bodies[f"queue_kpi_{grain}"]
    _, idempotent = load_migrations()
    policies = "\n".join(m.sql for m in idempotent if m.requires_license == "timescale")
    for name in CAGGS:
        assert f"add_continuous_aggregate_policy('{name}'," in policies, name
    for table in set(CAGGS.values()):
        assert f"('{table}', " in policies, f"no compression/retention policy for {table}"


def test_db_retention_command_drops_old_chunks_as_the_retention_role(
    pg_conn: psycopg.Connection[Any], pg_retention_dsn: str, pg_writer_dsn: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pg_conn.execute(
        "INSERT INTO queue_live (pbx_id, queue_dn, ts, waiting) VALUES "
        "('p1', '800', now() - INTERVAL '20 days', 1), ('p1', '800', now(), 2)"
    )
    pg_conn.execute(
        "INSERT INTO entry_queue_kpi_1m (pbx_id, queue_dn, bucket, offered) VALUES "
        "('p1', '800', now() - INTERVAL '20 days', 1), ('p1', '800', now(), 2)"
    )
    assert main(["db", "retention", "--dsn", pg_writer_dsn, "--keep-live-days", "10"]) == 2
    assert "may not apply retention" in capsys.readouterr().err  # never the writer
    args = ["db", "retention", "--dsn", pg_retention_dsn]
    assert main([*args, "--keep-live-days", "30"]) == 0  # nothing is that old yet
    assert "total: 0 chunk(s) dropped" in capsys.readouterr().out
    assert main([*args, "--keep-live-days", "10"]) == 0
    out = capsys.readouterr().out
    assert "queue_live             dropped 1 chunk(s)" in out
    assert "total: 1 chunk(s) dropped" in out
    assert pg_conn.execute("SELECT waiting FROM queue_live").fetchall() == [(2,)]
    assert pg_conn.execute("SELECT count(*) FROM entry_queue_kpi_1m").fetchone() == (2,)
    assert main([*args, "--keep-facts-days", "0"]) == 2
    assert "at least 1 day" in capsys.readouterr().err


def test_db_retention_help_shows_the_functions_defaults(
    pg_conn: psycopg.Connection[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    row = pg_conn.execute(
        "SELECT pg_get_function_arguments('queuepulse_apply_retention'::regproc)"
    ).fetchone()
    assert row is not None
    defaults = dict(re.findall(r"p_keep_(\w+) interval DEFAULT '(\d+) days'", row[0]))
    assert set(defaults) == {"live", "health", "events", "facts"}
    with pytest.raises(SystemExit):
        main(["db", "retention", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name, days in defaults.items():
        pattern = rf"--keep-{name}-days DAYS keep this many days of [^()]*\(default {days}\)"
        assert re.search(pattern, text), name


def test_a_database_that_goes_away_mid_upgrade_names_the_file(
    tmp_path: Path, pg_empty_dsn: str
) -> None:
    schema = _copy_schema(tmp_path)
    killer = schema / "incremental" / "900-connection-lost.sql"
    killer.write_text("SELECT pg_terminate_backend(pg_backend_pid());\n")
    with pytest.raises(MigrationError, match=r"900-connection-lost\.sql.*terminat"):
        _upgrade(pg_empty_dsn, schema)
    killer.unlink()
    # Everything before the lost file was recorded; the lock died with the session.
    result = _upgrade(pg_empty_dsn, schema)
    assert result.applied == []
    with connect(pg_empty_dsn, autocommit=True) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM queuepulse_migrations").fetchall()}
    assert "900-connection-lost.sql" not in names
    assert "003-entry-queue-kpi.sql" in names
