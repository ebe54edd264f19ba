"""Run catalog queries the way Grafana would: expand macros and variables, execute as reader."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from queuepulse.grafana.catalog import (
    PanelQuery,
    VariableDef,
    auto_interval,
    bind,
    resolve_time,
)
from queuepulse.grafana.macros import Variable, expand

NUMERIC = frozenset({"int2", "int4", "int8", "float4", "float8", "numeric"})
TIME = frozenset({"timestamptz", "timestamp"})
TEXT = frozenset({"text", "varchar", "name", "bpchar"})


@dataclass
class Result:
    """Column names, their PostgreSQL type names, and the rows."""

    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]

    def type_of(self, column: str) -> str:
        """Type name of a column."""
        return self.types[self.columns.index(column)]


def run(conn: psycopg.Connection[Any], sql: str) -> Result:
    """Execute one expanded query and describe its result."""
    with conn.cursor() as cur:
        cur.execute(sql.encode())  # bytes: no client-side placeholder parsing of '%'
        assert cur.description is not None
        names = [d.name for d in cur.description]
        types = []
        for d in cur.description:
            info = conn.adapters.types.get(d.type_code)
            types.append(info.name if info else str(d.type_code))
        return Result(names, types, list(cur.fetchall()))


def resolve_variables(
    conn: psycopg.Connection[Any],
    definitions: list[VariableDef],
    now: datetime,
    overrides: dict[str, str | list[str]] | None = None,
) -> dict[str, Variable]:
    """Resolve every variable like Grafana on dashboard load (query variables run in order)."""
    overrides = overrides or {}
    resolved: dict[str, Variable] = {}
    for d in definitions:
        if d.kind == "query":
            sql = expand(d.query, start=now, end=now, variables=resolved).sql
            result = run(conn, sql)
            values = tuple(str(row[result.columns.index("__value")]) for row in result.rows)
            resolved[d.name] = bind(d, values, overrides.get(d.name))
        elif d.kind == "custom":
            resolved[d.name] = bind(d, d.options, overrides.get(d.name))
        else:
            resolved[d.name] = bind(d, (), overrides.get(d.name))
    return resolved


def expand_panel(query: PanelQuery, variables: dict[str, Variable], now: datetime) -> str:
    """The SQL Grafana sends for this panel target with the dashboard's default time range."""
    start = resolve_time(query.dashboard_time_from, now)
    interval = auto_interval(start, now, query.min_interval)
    return expand(query.sql, start=start, end=now, interval=interval, variables=variables).sql
