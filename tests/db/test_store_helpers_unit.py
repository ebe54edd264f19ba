"""Pure helpers of the store foundation: SQL splitting, DSN redaction, migration file loading."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from queuepulse.errors import ConfigError
from queuepulse.store.db import DatabaseUnavailableError, connect, dsn_with, redact_dsn
from queuepulse.store.localdb import free_port
from queuepulse.store.migrations import (
    MigrationError,
    MigrationFile,
    load_migrations,
    split_statements,
)

pytestmark = pytest.mark.unit


def test_split_plain_statements() -> None:
    assert split_statements("SELECT 1;\nSELECT 2;\n\n-- trailing comment\n") == [
        "SELECT 1",
        "SELECT 2",
    ]


def test_split_keeps_semicolons_inside_quotes_and_dollar_bodies() -> None:
    script = """
    CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$
    BEGIN RETURN 1; END
    $$;
    DO $body$ BEGIN PERFORM 'a;b'; END $body$;
    SELECT 'it''s; fine', "odd;name" FROM t; /* a ; comment */ SELECT 3;
    -- a ; comment
    SELECT $1, 4
    """
    parts = split_statements(script)
    assert len(parts) == 5
    assert parts[0].startswith("CREATE FUNCTION")
    assert parts[0].endswith("$$")
    assert parts[1].startswith("DO $body$")
    assert "'a;b'" in parts[1]
    assert parts[2] == """SELECT 'it''s; fine', "odd;name" FROM t"""
    assert parts[3].endswith("SELECT 3")
    assert parts[4].endswith("SELECT $1, 4")


def test_split_drops_comment_only_fragments() -> None:
    assert split_statements("-- only a comment;\n/* and ; another */;") == []


def test_every_schema_file_splits_into_statements() -> None:
    incremental, idempotent = load_migrations()
    for mig in (*incremental, *idempotent):
        statements = split_statements(mig.sql)
        assert statements, mig.name
        assert all(not s.endswith(";") for s in statements), mig.name


def test_redact_removes_the_password_from_urls_and_keyword_strings() -> None:
    for dsn in (
        "postgresql://alice:pa55w0rd@db.example:5433/qp",
        "host=db.example port=5433 dbname=qp user=alice password=pa55w0rd",
        SecretStr("postgresql://alice:pa55w0rd@db.example:5433/qp"),
    ):
        shown = redact_dsn(dsn)
        assert "pa55w0rd" not in shown
        assert "db.example" in shown
        assert "alice" in shown


def test_redact_of_garbage_reveals_nothing() -> None:
    assert redact_dsn("postgresql://a:secret@[bad") == "<unparseable connection string>"


def test_dsn_with_replaces_and_removes_parameters() -> None:
    dsn = dsn_with("postgresql://u:p@h:5432/one", dbname="two", password=None)
    assert "dbname=two" in dsn
    assert "password" not in dsn


def test_an_invalid_dsn_is_a_config_error_without_the_secret() -> None:
    with pytest.raises(ConfigError) as info:
        dsn_with("host=h password='unterminated-s3cret")
    assert "s3cret" not in str(info.value)


def test_unreachable_database_error_names_target_not_password() -> None:
    port = free_port()
    dsn = f"postgresql://bob:t0p-s3cret@127.0.0.1:{port}/qp"
    with pytest.raises(DatabaseUnavailableError) as info:
        connect(dsn, connect_timeout_s=2)
    message = str(info.value)
    assert f"port={port}" in message
    assert "t0p-s3cret" not in message
    assert "QUEUEPULSE_DB__DSN" in message
    assert info.value.__cause__ is None


def test_migration_directives_are_read(tmp_path: Path) -> None:
    path = tmp_path / "040-x.sql"
    path.write_text(
        "-- queuepulse:requires-license=timescale\n-- queuepulse:transaction=off\nSELECT 1;\n"
    )
    mig = MigrationFile.from_path("idempotent", path)
    assert mig.requires_license == "timescale"
    assert mig.transaction is False
    path.write_text("-- queuepulse:colour=blue\nSELECT 1;\n")
    with pytest.raises(MigrationError, match="unknown directive"):
        MigrationFile.from_path("idempotent", path)


@pytest.mark.parametrize("bad", ["1-short.sql", "004_Upper.sql", "abc-x.sql"])
def test_badly_named_incremental_files_are_refused(tmp_path: Path, bad: str) -> None:
    (tmp_path / "incremental").mkdir()
    (tmp_path / "incremental" / bad).write_text("SELECT 1;")
    with pytest.raises(MigrationError, match=r"NNN-name\.sql"):
        load_migrations(tmp_path)


def test_duplicate_numbers_are_refused(tmp_path: Path) -> None:
    (tmp_path / "incremental").mkdir()
    (tmp_path / "incremental" / "001-a.sql").write_text("SELECT 1;")
    (tmp_path / "incremental" / "001-b.sql").write_text("SELECT 2;")
    with pytest.raises(MigrationError, match="already used"):
        load_migrations(tmp_path)


def test_missing_schema_dir_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="QUEUEPULSE_SCHEMA_DIR"):
        load_migrations(tmp_path / "nowhere")


def test_released_files_are_ordered_and_hash_stable() -> None:
    incremental, idempotent = load_migrations()
    names = [m.name for m in incremental]
    assert names == sorted(names)
    assert names[:2] == ["001-core-tables.sql", "002-reconciliation.sql"]
    again, _ = load_migrations()
    assert [m.sha256 for m in again] == [m.sha256 for m in incremental]
    # the grants cover every relation made before them; the tenants' file then narrows them;
    # the comments come last (they create nothing) and copy onto the tenants' views
    assert [m.name for m in idempotent][-3:] == [
        "090-grants.sql", "095-tenants.sql", "099-comments.sql"]
