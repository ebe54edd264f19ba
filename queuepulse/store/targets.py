"""Reading and writing ``queue_targets`` (per-queue targets and alert thresholds)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from queuepulse.domain.targets import DEFAULTS_KEY, FIELDS, TargetError, validate_targets

__all__ = [
    "EffectiveTargets", "clear_targets", "default_targets", "effective_targets", "set_targets",
]

_COLUMNS = tuple(f.column for f in FIELDS)


@dataclass(frozen=True, slots=True)
class EffectiveTargets:
    """One queue's targets after defaults (a row of ``queue_targets_effective``)."""

    pbx_id: str
    queue_dn: str
    values: Mapping[str, float | None]
    overridden: bool


def _require_queue(conn: psycopg.Connection[Any], pbx_id: str, queue_dn: str) -> None:
    if pbx_id == DEFAULTS_KEY and queue_dn == DEFAULTS_KEY:
        return
    row = conn.execute(
        "SELECT 1 FROM queues WHERE pbx_id = %s AND queue_dn = %s AND valid_to IS NULL",
        (pbx_id, queue_dn)).fetchone()
    if row is None:
        known = [r[0] for r in conn.execute(
            "SELECT queue_dn FROM queues WHERE pbx_id = %s AND valid_to IS NULL "
            "ORDER BY queue_dn LIMIT 20", (pbx_id,))]
        hint = f"queues of PBX {pbx_id!r}: {', '.join(known)}" if known else (
            f"PBX {pbx_id!r} has no queues yet (run the sync first, or check --pbx)")
        raise TargetError(f"unknown queue {queue_dn!r} on PBX {pbx_id!r} ({hint}); "
                          "nothing was written")


def set_targets(
    conn: psycopg.Connection[Any], pbx_id: str, queue_dn: str, values: Mapping[str, float | None]
) -> None:
    """Upsert the given columns of one queue's row (or the defaults row ``'*'``/``'*'``), in one
    transaction; columns not given keep their stored value. Refuses bad values and unknown
    queues (:class:`TargetError`) before writing anything."""
    checked = validate_targets(values)
    if not checked:
        raise TargetError("no target given: name at least one, e.g. --sla-target-pct 85")
    if pbx_id == DEFAULTS_KEY and any(v is None for v in checked.values()):
        raise TargetError("the defaults cannot be cleared, only changed")
    columns = list(checked)
    with conn.transaction():
        _require_queue(conn, pbx_id, queue_dn)
        query = sql.SQL(
            "INSERT INTO queue_targets (pbx_id, queue_dn, {cols}) VALUES (%s, %s, {vals}) "
            "ON CONFLICT (pbx_id, queue_dn) DO UPDATE SET {sets}, updated_at = now()"
        ).format(
            cols=sql.SQL(", ").join(sql.Identifier(c) for c in columns),
            vals=sql.SQL(", ").join(sql.Placeholder() for _ in columns),
            sets=sql.SQL(", ").join(
                sql.SQL("{c} = EXCLUDED.{c}").format(c=sql.Identifier(c)) for c in columns),
        )
        conn.execute(query, (pbx_id, queue_dn, *checked.values()))


def clear_targets(conn: psycopg.Connection[Any], pbx_id: str, queue_dn: str) -> bool:
    """Delete one queue's row (it follows the defaults again); True when there was one."""
    if pbx_id == DEFAULTS_KEY:
        raise TargetError("the defaults row cannot be removed; change it with --default")
    with conn.transaction():
        cur = conn.execute("DELETE FROM queue_targets WHERE pbx_id = %s AND queue_dn = %s",
                           (pbx_id, queue_dn))
        return cur.rowcount > 0


def effective_targets(conn: psycopg.Connection[Any], pbx_id: str | None = None
                      ) -> list[EffectiveTargets]:
    """The targets of every current queue (of one PBX), as dashboards and alerts see them."""
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in _COLUMNS)
    query = sql.SQL(
        "SELECT pbx_id, queue_dn, {cols}, overridden FROM queue_targets_effective "
        "WHERE %s::text IS NULL OR pbx_id = %s ORDER BY pbx_id, queue_dn").format(cols=cols)
    out = []
    for row in conn.execute(query, (pbx_id, pbx_id)):
        out.append(EffectiveTargets(row[0], row[1], dict(zip(_COLUMNS, row[2:-1], strict=True)),
                                    bool(row[-1])))
    return out


def default_targets(conn: psycopg.Connection[Any]) -> dict[str, float | None]:
    """The defaults row."""
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in _COLUMNS)
    row = conn.execute(sql.SQL(
        "SELECT {cols} FROM queue_targets WHERE pbx_id = %s AND queue_dn = %s").format(cols=cols),
        (DEFAULTS_KEY, DEFAULTS_KEY)).fetchone()
    return dict(zip(_COLUMNS, row, strict=True)) if row else {}
