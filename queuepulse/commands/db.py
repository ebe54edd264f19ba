"""``queuepulse db upgrade`` and ``queuepulse db status``: the schema migrations."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``db`` command group."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "db",
        help="database schema: apply migrations, report their state",
        description="Manage the TimescaleDB schema (schema/incremental and schema/idempotent).",
    )
    sub = parser.add_subparsers(dest="db_command", metavar="SUBCOMMAND", required=True)

    upgrade = sub.add_parser(
        "upgrade",
        help="apply pending migrations and re-apply the idempotent files",
        description=(
            "Apply pending incremental migrations in order, then every idempotent file "
            "(roles, functions, views, grants; licensed extras when timescaledb.license is "
            "'timescale'). Safe to run again. Refuses when a released migration file changed. "
            "Needs a role that may create extensions and roles (e.g. the database owner)."
        ),
    )
    status = sub.add_parser(
        "status",
        help="list applied and pending migrations (exit 1 when not up to date)",
        description="Report applied, pending and changed migrations. Exit code 0 = up to date.",
    )
    for p in (upgrade, status):
        p.add_argument(
            "--dsn",
            default=None,
            help="libpq connection string (default: QUEUEPULSE_DB__DSN from the settings)",
        )
        p.add_argument(
            "--schema-dir",
            type=Path,
            default=None,
            help="folder with incremental/ and idempotent/ (default: QUEUEPULSE_SCHEMA_DIR or "
            "the project's schema/)",
        )
    upgrade.set_defaults(handler=run_upgrade)
    status.set_defaults(handler=run_status)


def _dsn(args: argparse.Namespace) -> str:
    if args.dsn:
        return str(args.dsn)
    from queuepulse.settings import load_settings

    return load_settings().db.dsn.get_secret_value()


def run_upgrade(args: argparse.Namespace) -> int:
    """Handler of ``db upgrade``."""
    from queuepulse.store.db import connect, redact_dsn
    from queuepulse.store.migrations import load_migrations, migration_status, upgrade

    dsn = _dsn(args)
    incremental, idempotent = load_migrations(args.schema_dir)
    with connect(dsn, autocommit=True, application_name="queuepulse-db-upgrade") as conn:
        result = upgrade(conn, incremental, idempotent)
        status = migration_status(conn, incremental, idempotent)
    print(f"database: {redact_dsn(dsn)}")
    print(f"timescaledb {status.timescaledb_version} (license: {status.license})")
    for name in result.applied:
        print(f"applied    {name}")
    if not result.applied:
        print("no pending incremental migrations")
    for name in result.reapplied:
        print(f"re-applied {name}")
    for name, reason in result.skipped:
        print(f"skipped    {name}: {reason}")
    print("status: up to date" if status.up_to_date else "status: NOT up to date")
    return 0 if status.up_to_date else 1


def run_status(args: argparse.Namespace) -> int:
    """Handler of ``db status``."""
    from queuepulse.store.db import connect, redact_dsn
    from queuepulse.store.migrations import load_migrations, migration_status

    dsn = _dsn(args)
    incremental, idempotent = load_migrations(args.schema_dir)
    with connect(dsn, autocommit=True, application_name="queuepulse-db-status") as conn:
        status = migration_status(conn, incremental, idempotent)
    print(f"database: {redact_dsn(dsn)}")
    for line in status.lines():
        print(line)
    return 0 if status.up_to_date else 1
