"""``queuepulse db``: the schema migrations (``upgrade``, ``status``), retention, log-in roles
and the schema reference generated from the database's comments (``docs``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from queuepulse.commands.options import add_dsn_option

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``db`` command group."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "db",
        help="database: apply and report migrations, drop old chunks, create log-in roles",
        description=(
            "Manage the TimescaleDB database: the schema migrations (schema/incremental and "
            "schema/idempotent), retention, and log-in roles of the reader/writer groups."
        ),
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
    retention = sub.add_parser(
        "retention",
        help="drop chunks older than the keep intervals (the Apache build's retention)",
        description=(
            "Drop whole chunks of the fact hypertables older than the keep intervals, through "
            "queuepulse_apply_retention() (dimension history is kept). Only the database owner "
            "and members of queuepulse_retention may run it, never the writer: connect with "
            "--dsn, else QUEUEPULSE_DB__RETENTION_DSN, else QUEUEPULSE_DB__DSN. Run it daily, "
            "e.g. from cron, on the Apache build; the Timescale-licensed build also has "
            "background retention policies. Defaults are the function's."
        ),
    )
    for name, what, default in (
        ("live", "queue_live", 30),
        ("health", "pipeline_health", 30),
        ("events", "call_events, cdr_dead_letters, reconciliation_diffs", 365),
        ("facts", "queue_calls, the KPI tables, agent_states, reconciliation runs, 3CX reports",
         730),
    ):
        retention.add_argument(
            f"--keep-{name}-days", type=int, default=None, metavar="DAYS",
            help=f"keep this many days of {what} (default {default})",
        )
    login = sub.add_parser(
        "login-role",
        help="create or update a log-in role in the reader or writer group",
        description=(
            "Create (or update) a LOGIN role that is a member of queuepulse_reader or "
            "queuepulse_writer, e.g. the user Grafana's datasource logs in as. The password is "
            "read from a file (a Docker secret) or an environment variable, never an option, "
            "and sent to the server as its SCRAM-SHA-256 verifier (computed here), so it never "
            "appears in the server's log, even with log_statement = ddl."
        ),
    )
    login.add_argument("name", help="role name, e.g. grafana")
    login.add_argument("--member-of", choices=["reader", "writer", "retention"], required=True,
                       help="reader: queuepulse_reader (SELECT only: Grafana, analysts); "
                            "writer: queuepulse_writer (the pipeline); retention: "
                            "queuepulse_retention (may only run the retention functions)")
    login.add_argument("--pbx", metavar="A,B", default=None,
                       help="with --member-of reader: a tenant log-in that sees only these "
                            "PBXs' rows (pbx_id, comma-separated) in every table and view, "
                            "enforced by the database (row-level security); run again to "
                            "change its PBXs, or without --pbx to make it a plain reader")
    source = login.add_mutually_exclusive_group()
    source.add_argument("--password-file", type=Path,
                        help="file holding the password (e.g. /run/secrets/NAME)")
    source.add_argument("--password-env", metavar="VAR",
                        help="environment variable holding the password (default: neither; an "
                             "existing role then keeps its password, a new one gets none)")
    docs = sub.add_parser(
        "docs",
        help="write docs/schema.md's reference section from the database's comments",
        description=(
            "Render the schema reference (every public table and view: its kind, comment and "
            "columns with type, nullability and comment) from the catalogue of a migrated "
            "database, as Markdown. Without -o it is printed; with -o FILE it replaces the "
            "text between FILE's marker lines '<!-- BEGIN GENERATED: schema reference ...' and "
            "'<!-- END GENERATED: schema reference -->', leaving the rest as written. With "
            "--check nothing is written: exit 1 when FILE's section differs. The database must "
            "be up to date (queuepulse db upgrade). Any role that may read the catalogue will "
            "do, e.g. a reader."
        ),
    )
    docs.add_argument("-o", "--output", type=Path, default=None, metavar="FILE",
                      help="the Markdown file whose generated section to replace, e.g. "
                           "docs/schema.md (default: print the reference)")
    docs.add_argument("--check", action="store_true",
                      help="with -o FILE: write nothing, exit 1 when FILE's generated section "
                           "differs from the database's (0 when equal)")
    for p in (upgrade, status, login, docs):
        add_dsn_option(p)
    add_dsn_option(retention, "QUEUEPULSE_DB__RETENTION_DSN, else QUEUEPULSE_DB__DSN")
    for p in (upgrade, status, docs):
        p.add_argument(
            "--schema-dir",
            type=Path,
            default=None,
            help="folder with incremental/ and idempotent/ (default: QUEUEPULSE_SCHEMA_DIR or "
            "the project's schema/)",
        )
    retention.set_defaults(handler=run_retention)
    login.set_defaults(handler=run_login_role)
    upgrade.set_defaults(handler=run_upgrade)
    status.set_defaults(handler=run_status)
    docs.set_defaults(handler=run_docs)


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


def run_retention(args: argparse.Namespace) -> int:
    """Handler of ``db retention``."""
    from queuepulse.store.db import apply_retention, connect, redact_dsn

    dsn = _dsn(args)
    if not args.dsn:
        from queuepulse.settings import load_settings

        retention_dsn = load_settings().db.retention_dsn
        dsn = retention_dsn.get_secret_value() if retention_dsn is not None else dsn
    with connect(dsn, autocommit=True, application_name="queuepulse-db-retention") as conn:
        dropped = apply_retention(
            conn, live_days=args.keep_live_days, health_days=args.keep_health_days,
            events_days=args.keep_events_days, facts_days=args.keep_facts_days,
        )
    print(f"database: {redact_dsn(dsn)}")
    for table, chunks in dropped:
        print(f"{table:<22} dropped {chunks} chunk(s)")
    print(f"total: {sum(chunks for _, chunks in dropped)} chunk(s) dropped")
    return 0


def _password(args: argparse.Namespace) -> SecretStr | None:
    import os

    from queuepulse.errors import ConfigError

    if args.password_file is not None:
        try:
            text = Path(args.password_file).read_text().strip()
        except OSError as exc:
            raise ConfigError(
                f"cannot read the password file {args.password_file}: {exc.strerror}"
            ) from None
        if not text:
            raise ConfigError(f"the password file {args.password_file} is empty")
        return SecretStr(text)
    if args.password_env is not None:
        value = os.environ.get(args.password_env)
        if not value:
            raise ConfigError(f"environment variable {args.password_env} is not set or empty")
        return SecretStr(value)
    return None


def run_login_role(args: argparse.Namespace) -> int:
    """Handler of ``db login-role``."""
    from queuepulse.errors import ConfigError
    from queuepulse.store.db import connect, ensure_login_role
    from queuepulse.store.tenants import clear_tenant, ensure_tenant_login, parse_pbx_list

    pbx_ids = parse_pbx_list(args.pbx) if args.pbx is not None else None
    if pbx_ids is not None and args.member_of != "reader":
        raise ConfigError("--pbx restricts a reader: use it with --member-of reader (a writer "
                          "writes every PBX's rows)")
    password = _password(args)
    with connect(_dsn(args), autocommit=True, application_name="queuepulse-db-login-role") as conn:
        if pbx_ids is not None:
            created = ensure_tenant_login(conn, args.name, pbx_ids, password=password)
        else:
            clear_tenant(conn, args.name)
            created = ensure_login_role(
                conn, args.name, member_of=args.member_of, password=password
            )
    action = "created" if created else "updated"
    if pbx_ids is not None:
        print(f"{action} log-in role {args.name} (member of queuepulse_tenant: reads only the "
              f"rows of PBX {', '.join(pbx_ids)})")
        return 0
    print(f"{action} log-in role {args.name} (member of queuepulse_{args.member_of})")
    return 0


def run_docs(args: argparse.Namespace) -> int:
    """Handler of ``db docs``."""
    from queuepulse.errors import ConfigError
    from queuepulse.store.catalogue import read_relations
    from queuepulse.store.db import connect
    from queuepulse.store.migrations import load_migrations, migration_status
    from queuepulse.store.schema_docs import generated_part, render_reference, splice

    if args.check and args.output is None:
        raise ConfigError("--check compares a file's generated section: give it with -o FILE")
    document = None
    if args.output is not None:
        try:
            document = Path(args.output).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read {args.output}: {exc.strerror}") from None
        generated_part(document)  # the markers are there, before connecting
    incremental, idempotent = load_migrations(args.schema_dir)
    with connect(_dsn(args), autocommit=True, application_name="queuepulse-db-docs") as conn:
        status = migration_status(conn, incremental, idempotent)
        if not status.up_to_date:
            raise ConfigError(
                f"the database is not up to date ({len(status.pending)} pending, "
                f"{len(status.changed)} changed migration(s)): run queuepulse db upgrade first, "
                "so the reference describes the current schema"
            )
        reference = render_reference(read_relations(conn))
    if document is None:
        print(reference, end="")
        return 0
    if args.check:
        if generated_part(document) == reference:
            print(f"{args.output}: the schema reference is current")
            return 0
        print(f"{args.output}: the schema reference differs from the database's comments; "
              f"regenerate it: queuepulse db docs -o {args.output}")
        return 1
    updated = splice(document, reference)
    if updated == document:
        print(f"{args.output}: the schema reference is current (unchanged)")
        return 0
    Path(args.output).write_text(updated, encoding="utf-8")
    relations = sum(line.startswith("#### ") for line in reference.splitlines())
    print(f"{args.output}: schema reference written ({relations} relations)")
    return 0
