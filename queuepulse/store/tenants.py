"""Tenants: log-in roles that see only their own PBXs' rows (schema/idempotent/095-tenants.sql).

A tenant is a LOGIN role in the group ``queuepulse_tenant`` (read-only; not a member of
``queuepulse_reader``, whose rights cover every row) with its PBXs listed in
``queuepulse_tenant.tenant_pbx``; the database's row-level security policies and the filtered
stand-in views of ``queuepulse_tenant`` do the rest. Its ``search_path`` puts
``queuepulse_tenant`` first, so the same SQL (``SELECT ... FROM queue_calls``) works for it
and for a reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg import sql
from pydantic import SecretStr

from queuepulse.errors import ConfigError
from queuepulse.store.db import GROUP_ROLES, ensure_login_role

__all__ = ["clear_tenant", "ensure_tenant_login", "parse_pbx_list", "tenant_pbx_ids"]

TENANT_GROUP = GROUP_ROLES["tenant"]
_PBX_ID = re.compile(r"^[^\s,]+$")


def parse_pbx_list(text: str) -> tuple[str, ...]:
    """``"A,B"`` → ``("A", "B")`` (blanks around names dropped, duplicates once, order kept);
    :class:`ConfigError` for an empty list or a name with spaces."""
    names: list[str] = []
    for part in text.split(","):
        name = part.strip()
        if not name:
            continue
        if not _PBX_ID.match(name):
            raise ConfigError(f"--pbx: {name!r} is not a pbx_id (no spaces)")
        if name not in names:
            names.append(name)
    if not names:
        raise ConfigError("--pbx needs at least one pbx_id, e.g. --pbx hq,branch")
    return tuple(names)


def ensure_tenant_login(
    conn: psycopg.Connection[Any],
    name: str,
    pbx_ids: Sequence[str],
    *,
    password: SecretStr | None,
) -> bool:
    """Create (or update) LOGIN role ``name`` as a tenant of ``pbx_ids`` (replacing the PBXs
    it had): member of ``queuepulse_tenant`` only, ``search_path`` with the tenant schema
    first. Returns whether the role was created."""
    created = ensure_login_role(conn, name, member_of="tenant", password=password)
    role = sql.Identifier(name)
    with conn.transaction():
        for group in (GROUP_ROLES["reader"], GROUP_ROLES["writer"]):
            if _is_member(conn, name, group):  # a reader's rights would cover every row
                conn.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group), role))
        conn.execute("DELETE FROM queuepulse_tenant.tenant_pbx WHERE role_name = %s", (name,))
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO queuepulse_tenant.tenant_pbx (role_name, pbx_id) VALUES (%s, %s)",
                [(name, pbx) for pbx in pbx_ids])
        conn.execute(sql.SQL("ALTER ROLE {} SET search_path = queuepulse_tenant, public")
                     .format(role))
    return created


def clear_tenant(conn: psycopg.Connection[Any], name: str) -> None:
    """Make ``name`` no tenant (before it becomes a reader or writer): out of the tenant group,
    its PBX list and search path removed. Nothing to do on a schema without tenants."""
    has_schema = conn.execute("SELECT to_regclass('queuepulse_tenant.tenant_pbx')").fetchone()
    if not has_schema or has_schema[0] is None:
        return
    role = sql.Identifier(name)
    with conn.transaction():
        if _is_member(conn, name, TENANT_GROUP):
            conn.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(TENANT_GROUP), role))
            conn.execute(sql.SQL("ALTER ROLE {} RESET search_path").format(role))
        conn.execute("DELETE FROM queuepulse_tenant.tenant_pbx WHERE role_name = %s", (name,))


def tenant_pbx_ids(conn: psycopg.Connection[Any], name: str) -> tuple[str, ...]:
    """The PBXs tenant ``name`` sees (empty when it is none)."""
    rows: Iterable[tuple[str]] = conn.execute(
        "SELECT pbx_id FROM queuepulse_tenant.tenant_pbx WHERE role_name = %s ORDER BY pbx_id",
        (name,)).fetchall()
    return tuple(r[0] for r in rows)


def _is_member(conn: psycopg.Connection[Any], name: str, group: str) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles r ON r.oid = m.member WHERE g.rolname = %s AND r.rolname = %s)",
        (group, name)).fetchone()
    return bool(row and row[0])
