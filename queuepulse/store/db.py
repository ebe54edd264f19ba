"""Connecting to PostgreSQL/TimescaleDB with clear errors and no leaked passwords.

Every module that opens a connection goes through :func:`connect`, so an unreachable database
always produces the same message: where we tried (host, port, database, user — never the
password), why it failed, and what to do.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import conninfo, sql
from pydantic import SecretStr

from queuepulse.errors import ConfigError, SetupError

__all__ = [
    "DatabaseUnavailableError",
    "apply_retention",
    "connect",
    "dsn_with",
    "ensure_login_role",
    "redact_dsn",
    "scram_verifier",
    "secret_value",
]

_SECRET_KEYS = frozenset({"password", "sslpassword", "passfile"})


class DatabaseUnavailableError(SetupError):
    """The database cannot be reached, refused the login or dropped the connection.

    Raised by :func:`connect` and by the writers; the message names the target or the table
    being written (never a password). Retrying later may succeed: the write buffer does.
    """


def secret_value(dsn: str | SecretStr) -> str:
    """The plain connection string of ``dsn`` (a :class:`SecretStr` or a ``str``)."""
    return dsn.get_secret_value() if isinstance(dsn, SecretStr) else dsn


def _parse(dsn: str) -> dict[str, Any]:
    try:
        return conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        # libpq's parse errors quote the offending fragment, which may be a password: say less.
        raise ConfigError(
            "the database connection string is not valid libpq syntax "
            "(expected 'postgresql://user@host:port/dbname' or 'host=... dbname=...'); "
            "check QUEUEPULSE_DB__DSN or --dsn"
        ) from exc


def redact_dsn(dsn: str | SecretStr) -> str:
    """``dsn`` as ``key=value`` pairs without the password, safe for logs and errors."""
    try:
        params = _parse(secret_value(dsn))
    except ConfigError:
        return "<unparseable connection string>"
    shown = {k: v for k, v in params.items() if k not in _SECRET_KEYS}
    return conninfo.make_conninfo(**shown) or "<libpq defaults>"


def dsn_with(dsn: str | SecretStr, **changes: str | int | None) -> str:
    """``dsn`` with some parameters replaced (``None`` removes one), e.g. another ``dbname``."""
    params = _parse(secret_value(dsn))
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return conninfo.make_conninfo(**params)


def _scrub(message: str, dsn: str) -> str:
    """Remove the password from a driver message, in case libpq ever echoes it."""
    try:
        password = _parse(dsn).get("password")
    except ConfigError:
        return message
    if password:
        message = message.replace(str(password), "***")
    return message


def connect(
    dsn: str | SecretStr,
    *,
    autocommit: bool = False,
    connect_timeout_s: int = 5,
    application_name: str = "queuepulse",
) -> psycopg.Connection[Any]:
    """Open a psycopg connection; raise :class:`DatabaseUnavailableError` with a clear message.

    The message names the target (without password), the driver's reason, and the remedy.
    """
    plain = secret_value(dsn)
    _parse(plain)
    try:
        return psycopg.connect(
            plain,
            autocommit=autocommit,
            connect_timeout=connect_timeout_s,
            application_name=application_name,
        )
    except psycopg.OperationalError as exc:
        reason = _scrub(str(exc).strip(), plain).replace("\n", " ")
        raise DatabaseUnavailableError(
            f"cannot connect to PostgreSQL ({redact_dsn(plain)}): {reason}. "
            "Check that the server is running and that QUEUEPULSE_DB__DSN or --dsn points at it "
            "(containers: 'docker compose up timescaledb' publishes it on 127.0.0.1:55432; "
            "'queuepulse demo' runs its own cluster only while it runs, and prints its DSN)"
        ) from None


GROUP_ROLES = {
    "reader": "queuepulse_reader",
    "writer": "queuepulse_writer",
    "retention": "queuepulse_retention",
    "tenant": "queuepulse_tenant",
}


def scram_verifier(conn: psycopg.Connection[Any], role: str, password: SecretStr) -> str:
    """The SCRAM-SHA-256 verifier of ``password``, computed here (libpq's
    ``PQencryptPasswordConn``), so the plain password never travels to the server nor lands in
    its log (``log_statement = ddl`` logs ``CREATE/ALTER ROLE ... PASSWORD``)."""
    verifier = conn.pgconn.encrypt_password(
        password.get_secret_value().encode("utf-8"), role.encode("utf-8"), b"scram-sha-256"
    )
    return verifier.decode("ascii")


def ensure_login_role(
    conn: psycopg.Connection[Any],
    name: str,
    *,
    member_of: str,
    password: SecretStr | None,
) -> bool:
    """Create (or update) LOGIN role ``name`` as a member of a queuepulse group role.

    ``member_of`` is ``"reader"`` or ``"writer"``; the group roles come from ``db upgrade``.
    Sets the password when one is given, sent as its SCRAM-SHA-256 verifier
    (:func:`scram_verifier`), never in clear. Returns whether the role was created.
    """
    group = GROUP_ROLES.get(member_of)
    if group is None:
        raise ConfigError(f"member_of must be one of {sorted(GROUP_ROLES)}, not {member_of!r}")
    if name in GROUP_ROLES.values():
        raise ConfigError(
            f"{name} is a NOLOGIN group role; choose another name for a log-in role "
            "(e.g. 'grafana') and make it a member of the group"
        )
    has_group = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (group,)).fetchone()
    if not has_group:
        raise ConfigError(f"role {group} does not exist yet; run 'queuepulse db upgrade' first")
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
    verb = sql.SQL("ALTER ROLE") if exists else sql.SQL("CREATE ROLE")
    statement = sql.SQL("{} {} LOGIN").format(verb, sql.Identifier(name))
    if password is not None:
        statement = sql.SQL("{} PASSWORD {}").format(
            statement, sql.Literal(scram_verifier(conn, name, password))
        )
    conn.execute(statement)
    conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), sql.Identifier(name)))
    return not exists



# Keep intervals of queuepulse_apply_retention() (schema/idempotent/010-retention.sql), which
# holds the defaults: live and health 30 days, events 365 days, other facts 730 days.
_RETENTION_PARAMS = {
    "live": "p_keep_live",
    "health": "p_keep_health",
    "events": "p_keep_events",
    "facts": "p_keep_facts",
}


def apply_retention(
    conn: psycopg.Connection[Any],
    *,
    live_days: int | None = None,
    health_days: int | None = None,
    events_days: int | None = None,
    facts_days: int | None = None,
) -> list[tuple[str, int]]:
    """Drop whole chunks older than the keep intervals; return (hypertable, chunks dropped).

    Calls ``queuepulse_apply_retention()``, which only the owner and members of
    ``queuepulse_retention`` may execute (never the writer); an interval left at ``None`` takes
    the function's default. On the Apache build this is the retention (the licensed build also
    has background policies).
    """
    given = {"live": live_days, "health": health_days, "events": events_days, "facts": facts_days}
    arguments: list[sql.Composable] = []
    values: list[int] = []
    for name, days in given.items():
        if days is None:
            continue
        if days < 1:
            raise ConfigError(f"retention for {name} must be at least 1 day, got {days}")
        arguments.append(
            sql.SQL("{} => make_interval(days => %s)").format(
                sql.Identifier(_RETENTION_PARAMS[name])
            )
        )
        values.append(days)
    query = sql.SQL(
        "SELECT hypertable, dropped_chunks FROM queuepulse_apply_retention({})"
    ).format(sql.SQL(", ").join(arguments))
    try:
        rows = conn.execute(query, values).fetchall()
    except psycopg.errors.InsufficientPrivilege:
        raise ConfigError(
            "this role may not apply retention: connect as the database owner or a member of "
            "queuepulse_retention (create one with 'queuepulse db login-role NAME --member-of "
            "retention'), e.g. through QUEUEPULSE_DB__RETENTION_DSN"
        ) from None
    return [(str(r[0]), int(r[1])) for r in rows]
