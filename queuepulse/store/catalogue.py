"""Read the public tables, views and their comments from a database's catalogue.

What :mod:`queuepulse.store.schema_docs` renders and the comment test checks: every relation
of schema ``public`` that queuepulse's migrations made — tables (hypertables marked with their
time column and chunk interval), views and materialized views — with its columns' types,
nullability and comments. Left out: objects of extensions (TimescaleDB's own) and the
continuous aggregates of the Timescale-licensed build, which exist on that build only (so the
reference reads the same on every install; they are described in docs/schema.md by hand).
"""

from __future__ import annotations

from typing import Any

import psycopg

from queuepulse.store.schema_docs import Column, Relation, RelationKind

__all__ = ["read_relations"]

_RELATIONS = """
SELECT c.oid, c.relname, c.relkind, obj_description(c.oid, 'pg_class') AS comment,
       d.column_name, d.time_interval::text
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (
    SELECT dim.column_name, dim.time_interval
    FROM timescaledb_information.dimensions dim
    WHERE dim.hypertable_schema = n.nspname AND dim.hypertable_name = c.relname
    ORDER BY dim.dimension_number
    LIMIT 1
) d ON true
WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p', 'v', 'm')
  AND NOT EXISTS (SELECT 1 FROM pg_depend dep
                  WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid
                    AND dep.deptype = 'e')
  AND NOT EXISTS (SELECT 1 FROM timescaledb_information.continuous_aggregates a
                  WHERE a.view_schema = n.nspname AND a.view_name = c.relname)
ORDER BY c.relname
"""

_COLUMNS = """
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       col_description(a.attrelid, a.attnum)
FROM pg_attribute a
WHERE a.attrelid = ANY(%(oids)s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""

_KINDS: dict[str, RelationKind] = {
    "r": "table", "p": "table", "v": "view", "m": "materialized view",
}


def read_relations(conn: psycopg.Connection[Any], schema: str = "public") -> list[Relation]:
    """The relations of ``schema`` (see the module doc), by name, with their columns in order."""
    rels = conn.execute(_RELATIONS, {"schema": schema}).fetchall()
    kinds: dict[int, RelationKind] = {r[0]: _KINDS[r[2]] for r in rels}
    columns: dict[int, list[Column]] = {oid: [] for oid in kinds}
    for relid, name, type_, notnull, comment in conn.execute(
        _COLUMNS, {"oids": list(kinds)}
    ).fetchall():
        view = kinds[relid] != "table"
        columns[relid].append(Column(
            name=name, type=type_, nullable=None if view else not notnull, comment=comment))
    out: list[Relation] = []
    for oid, name, _relkind, comment, time_column, interval in rels:
        kind = kinds[oid]
        if kind == "table" and time_column is not None:
            kind = "hypertable"
        out.append(Relation(
            name=name, kind=kind, comment=comment, columns=tuple(columns[oid]),
            time_column=time_column, chunk_interval=interval,
        ))
    return out
