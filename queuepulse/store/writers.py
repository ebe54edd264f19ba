"""Idempotent, batched upserts into the public tables (psycopg 3).

One batch = one transaction. For each table in the batch the rows are de-duplicated on the
table's natural key (folded with the table's merge rule), streamed with ``COPY`` into a
session-local staging table and moved with ``INSERT ... SELECT ... ON CONFLICT``. Writing the same
batch twice leaves the tables as writing it once: Bytewax delivers at least once, the database
makes it exactly once in effect.

Rows are mappings or dataclasses whose field names are column names; fields that are not
columns of the table are ignored. A batch writes the columns its rows carry: a column no row
has keeps the table's default on insert and its stored value on update; within a batch, a row
without a column another row has writes NULL there (or the spec's default).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb
from pydantic import SecretStr

from queuepulse.errors import QueuepulseError
from queuepulse.store.db import DatabaseUnavailableError
from queuepulse.store.db import connect as db_connect
from queuepulse.store.tables import TABLES, Row, TableSpec

STAGE_PREFIX = "qp_stage_"


class StoreWriteError(QueuepulseError):
    """A batch could not be written, for a reason retrying will not fix (bad row, schema)."""


class DatabaseUnavailable(StoreWriteError):
    """The database cannot be reached or dropped the connection; retrying may succeed."""


def as_row(obj: object) -> Row:
    """Turn a mapping or a dataclass instance into a plain ``{column: value}`` dict."""
    if isinstance(obj, Mapping):
        return dict(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    raise TypeError(
        f"a row must be a mapping or a dataclass instance, got {type(obj).__name__}"
    )


def _key_of(spec: TableSpec, row: Row) -> tuple[Any, ...]:
    return tuple(row.get(k) for k in spec.key)


def prepare_rows(spec: TableSpec, rows: Iterable[object]) -> list[Row]:
    """Normalise rows for ``spec``: defaults filled, one row per key (merged in arrival order).

    Each returned row holds the key columns, the defaulted columns and the columns its source
    object carries (see :func:`batch_columns`). Raises :class:`StoreWriteError` when a row lacks
    a key column.
    """
    by_key: dict[tuple[Any, ...], Row] = {}
    for obj in rows:
        raw = as_row(obj)
        if spec.check is not None:
            reason = spec.check(raw)
            if reason is not None:
                raise StoreWriteError(f"refusing a {spec.name} row: {reason}")
        for field_name, column in spec.aliases.items():
            if field_name in raw and column not in raw:
                raw[column] = raw[field_name]
        row = {col: raw[col] for col in spec.columns if col in raw}
        for col in spec.key:
            row.setdefault(col, None)
        for col, default in spec.defaults.items():
            if row.get(col) is None:
                row[col] = default
        key = _key_of(spec, row)
        if any(part is None for part in key):
            missing = [k for k, v in zip(spec.key, key, strict=True) if v is None]
            raise StoreWriteError(
                f"a {spec.name} row has no value for key column(s) {missing}; "
                "every row needs its natural key"
            )
        old = by_key.get(key)
        if old is None:
            by_key[key] = row
        elif spec.merge is not None:
            by_key[key] = spec.merge(old, row)
        else:
            by_key[key] = row
    return list(by_key.values())


def batch_columns(spec: TableSpec, rows: Sequence[Row]) -> tuple[str, ...]:
    """The columns a batch writes: those any of its rows carries, in table order.

    Columns no row carries keep the table default on insert and their value on update.
    """
    present: set[str] = set()
    for row in rows:
        present.update(row)
    return tuple(c for c in spec.columns if c in present)


def _adapt(value: Any) -> Any:
    if isinstance(value, dict | list):
        return Jsonb(value)
    return value


def upsert_statement(spec: TableSpec, columns: Sequence[str] | None = None) -> sql.Composed:
    """``INSERT INTO <table> ... SELECT ... FROM <stage> ON CONFLICT ...`` for ``columns``
    (default: all of the spec's columns)."""
    used = tuple(columns) if columns is not None else spec.columns
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in used)
    key = sql.SQL(", ").join(sql.Identifier(c) for c in spec.key)
    head = sql.SQL("INSERT INTO {table} AS t ({cols}) SELECT {cols} FROM {stage} ").format(
        table=sql.Identifier(spec.name), cols=cols, stage=sql.Identifier(STAGE_PREFIX + spec.name)
    )
    updates = [c for c in spec.update_columns if c in used]
    if spec.on_conflict == "nothing" or not (updates or spec.on_update):
        return head + sql.SQL("ON CONFLICT ({key}) DO NOTHING").format(key=key)
    parts = [
        sql.SQL("{col} = {expr}").format(
            col=sql.Identifier(c),
            expr=_set_expr(spec, c),
        )
        for c in updates
    ]
    parts += [
        sql.SQL("{col} = {expr}").format(col=sql.Identifier(c), expr=sql.SQL(expr))
        for c, expr in spec.on_update.items()
    ]
    stmt = head + sql.SQL("ON CONFLICT ({key}) DO UPDATE SET {sets}").format(
        key=key, sets=sql.SQL(", ").join(parts)
    )
    if spec.where_sql:
        stmt += sql.SQL(" WHERE ") + sql.SQL(spec.where_sql)
    return stmt


def _set_expr(spec: TableSpec, col: str) -> sql.Composable:
    if col in spec.set_sql:
        return sql.SQL(spec.set_sql[col])
    return sql.SQL("EXCLUDED.{}").format(sql.Identifier(col))


@dataclass
class WriterStats:
    """Counters of one writer (exported by the metrics endpoint)."""

    batches: int = 0
    rows_written: int = 0
    rows_by_table: dict[str, int] = field(default_factory=dict)
    busy_s: float = 0.0

    @property
    def rows_per_s(self) -> float:
        """Rows written per second of write time (0 before the first batch)."""
        return self.rows_written / self.busy_s if self.busy_s > 0 else 0.0


class BatchWriter:
    """Writes batches of rows for several tables, one transaction per batch.

    ``connect`` opens a psycopg connection (the writer calls it lazily and again after the
    connection was lost). Connection-level failures raise :class:`DatabaseUnavailable` and drop
    the connection; any other database error raises :class:`StoreWriteError`. Either way the batch
    was rolled back, so retrying it is safe.
    """

    def __init__(
        self,
        connect: Callable[[], psycopg.Connection[Any]],
        tables: Mapping[str, TableSpec] = TABLES,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._connect = connect
        self._tables = dict(tables)
        self._clock = clock
        self._conn: psycopg.Connection[Any] | None = None
        self._staged: set[str] = set()
        self._statements: dict[tuple[str, tuple[str, ...]], sql.Composed] = {}
        self.stats = WriterStats()

    @classmethod
    def from_dsn(
        cls, dsn: str | SecretStr, connect_timeout_s: int = 5, **kwargs: Any
    ) -> BatchWriter:
        """A writer that connects with ``dsn`` (autocommit; transactions are explicit).

        Connection failures name the target without its password
        (:func:`queuepulse.store.db.connect`).
        """

        def connect() -> psycopg.Connection[Any]:
            return db_connect(
                dsn, autocommit=True, connect_timeout_s=connect_timeout_s,
                application_name="queuepulse-writer",
            )

        return cls(connect, **kwargs)

    def spec(self, table: str) -> TableSpec:
        """The spec of ``table``; :class:`StoreWriteError` if the writer does not know it."""
        try:
            return self._tables[table]
        except KeyError:
            raise StoreWriteError(
                f"no writer for table {table!r}; known tables: {', '.join(sorted(self._tables))}"
            ) from None

    def close(self) -> None:
        """Close the connection (a later write reconnects)."""
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
                self._staged.clear()

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._staged.clear()
            try:
                self._conn = self._connect()
            except DatabaseUnavailableError as exc:
                self._conn = None
                raise DatabaseUnavailable(str(exc)) from None
            except psycopg.OperationalError as exc:
                self._conn = None
                raise DatabaseUnavailable(f"cannot connect to the database: {_first_line(exc)}")\
                    from exc
        return self._conn

    def _ensure_stage(self, conn: psycopg.Connection[Any], spec: TableSpec) -> None:
        if spec.name in self._staged:
            return
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in spec.columns)
        conn.execute(
            sql.SQL(
                "CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
                "SELECT {cols} FROM {table} WITH NO DATA"
            ).format(
                stage=sql.Identifier(STAGE_PREFIX + spec.name),
                cols=cols,
                table=sql.Identifier(spec.name),
            )
        )
        self._staged.add(spec.name)

    def _statement(self, spec: TableSpec, columns: tuple[str, ...]) -> sql.Composed:
        stmt = self._statements.get((spec.name, columns))
        if stmt is None:
            stmt = self._statements[(spec.name, columns)] = upsert_statement(spec, columns)
        return stmt

    def write(self, batch: Mapping[str, Sequence[object]]) -> int:
        """Upsert ``{table: rows}`` in one transaction; return the rows handed to the database.

        Raises :class:`DatabaseUnavailable` (retry later) or :class:`StoreWriteError` (a bug or a
        schema mismatch: the message names the table).
        """
        prepared = []
        for table, raw_rows in batch.items():
            spec = self.spec(table)
            rows = prepare_rows(spec, raw_rows)
            if rows:
                prepared.append((spec, batch_columns(spec, rows), rows))
        if not prepared:
            return 0
        started = self._clock()
        conn = self._connection()
        current = "?"
        try:
            for spec, _cols, _rows in prepared:
                current = spec.name
                self._ensure_stage(conn, spec)
            with conn.transaction():
                for spec, cols, rows in prepared:
                    current = spec.name
                    with conn.cursor() as cur:
                        copy_sql = sql.SQL("COPY {stage} ({cols}) FROM STDIN").format(
                            stage=sql.Identifier(STAGE_PREFIX + spec.name),
                            cols=sql.SQL(", ").join(sql.Identifier(c) for c in cols),
                        )
                        with cur.copy(copy_sql) as copy:
                            for row in rows:
                                copy.write_row([_adapt(row.get(c)) for c in cols])
                        cur.execute(self._statement(spec, cols))
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            self.close()
            raise DatabaseUnavailable(
                f"lost the database while writing {current}: {_first_line(exc)}"
            ) from exc
        except psycopg.Error as exc:
            if conn.closed or conn.broken:
                self.close()
                raise DatabaseUnavailable(
                    f"lost the database while writing {current}: {_first_line(exc)}"
                ) from exc
            raise StoreWriteError(
                f"writing {current} failed: {_first_line(exc)}; the batch was rolled back "
                "(check that `queuepulse db upgrade` ran and the rows match the table)"
            ) from exc
        n = sum(len(rows) for _, _, rows in prepared)
        self.stats.batches += 1
        self.stats.rows_written += n
        for spec, _cols, rows in prepared:
            self.stats.rows_by_table[spec.name] = (
                self.stats.rows_by_table.get(spec.name, 0) + len(rows)
            )
        self.stats.busy_s += self._clock() - started
        return n


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
