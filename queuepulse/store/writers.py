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
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from operator import attrgetter, itemgetter
from typing import Any

import psycopg
from psycopg import sql
from pydantic import SecretStr

from queuepulse.errors import QueuepulseError
from queuepulse.store.db import DatabaseUnavailableError
from queuepulse.store.db import connect as db_connect
from queuepulse.store.tables import TABLES, Row, TableSpec

STAGE_PREFIX = "qp_stage_"


class StoreWriteError(QueuepulseError):
    """A batch could not be written, for a reason retrying will not fix (bad row, schema).

    A database that cannot be reached or dropped the connection raises
    :class:`~queuepulse.store.db.DatabaseUnavailableError` instead: retrying may succeed.
    """


class RowRejectedError(StoreWriteError):
    """The batch was refused for the data of (at least) one of its rows: a value the database
    or the driver cannot hold (NUL in text, a number out of range, a key too long to index), a
    broken constraint, or a row the table's spec refuses. Writing the other rows would succeed:
    the write buffer isolates the refused ones (see ``write_dead_letters``).

    ``sqlstate`` is PostgreSQL's code when the server refused it, else ``None``.
    """

    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


# SQLSTATE classes of a refusal for a row's data: data exception, integrity constraint
# violation, program limit exceeded (e.g. an index row too large).
_ROW_CLASSES = frozenset({"22", "23", "54"})
# Refusals no row is at fault for and an operator can end (read-only standby, revoked privilege,
# lock or serialization conflicts, resources, shutdown): retried like an outage.
_REFUSING_STATES = frozenset({"25006", "42501", "40001", "40P01", "55P03", "57014"})
_REFUSING_CLASSES = frozenset({"08", "53", "57", "58", "HV"})


def as_row(obj: object) -> Row:
    """Turn a mapping or a dataclass instance into a plain ``{column: value}`` dict."""
    if isinstance(obj, Mapping):
        return dict(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    raise TypeError(
        f"a row must be a mapping or a dataclass instance, got {type(obj).__name__}"
    )


class _FieldView(Mapping[str, Any]):
    """A read-only mapping over a row object's fields (for ``TableSpec.check``), without
    copying them: ``as_row`` per row cost more than the check itself."""

    __slots__ = ("_obj",)

    def __init__(self, obj: object) -> None:
        self._obj = obj

    def __getitem__(self, key: str) -> Any:
        if isinstance(self._obj, Mapping):
            return self._obj[key]
        try:
            return getattr(self._obj, key)
        except AttributeError:
            raise KeyError(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter(as_row(self._obj))

    def __len__(self) -> int:
        return len(as_row(self._obj))


_Extractor = Callable[[object], Row]
_EXTRACTORS: dict[tuple[int, type], tuple[TableSpec, _Extractor]] = {}


def _extractor(spec: TableSpec, kind: type) -> _Extractor:
    """A fast ``object -> {column: value}`` for dataclass type ``kind`` rows of ``spec``.

    Only the fields that are columns are read, with one ``attrgetter`` call per row: the per-row
    ``dataclasses.fields`` walk of :func:`as_row` was a good part of the writer's time at 10x
    scale.
    """
    cached = _EXTRACTORS.get((id(spec), kind))
    if cached is not None and cached[0] is spec:
        return cached[1]
    names = {f.name for f in dataclasses.fields(kind)}
    cols = tuple(c for c in spec.columns if c in names)
    extract: _Extractor
    if not cols:
        extract = _empty_row
    elif len(cols) == 1:
        extract = partial(_single_field, cols[0])
    else:
        extract = partial(_many_fields, cols, attrgetter(*cols))
    _EXTRACTORS[(id(spec), kind)] = (spec, extract)
    return extract


def _empty_row(_obj: object) -> Row:
    return {}


def _single_field(column: str, obj: object) -> Row:
    return {column: getattr(obj, column)}


def _many_fields(columns: tuple[str, ...], getter: Callable[[object], Any], obj: object) -> Row:
    return dict(zip(columns, getter(obj), strict=True))


def _mapping_row(spec: TableSpec, obj: object) -> Row:
    assert isinstance(obj, Mapping)
    return {col: obj[col] for col in spec.columns if col in obj}


def prepare_rows(spec: TableSpec, rows: Iterable[object]) -> list[Row]:
    """Normalise rows for ``spec``: defaults filled, one row per key (merged in arrival order).

    Each returned row holds the key columns, the defaulted columns and the columns its source
    object carries (see :func:`batch_columns`). Raises :class:`StoreWriteError` when a row lacks
    a key column.
    """
    by_key: dict[Any, Row] = {}
    key_cols = spec.key
    key_of = itemgetter(*key_cols)
    single_key = len(key_cols) == 1
    defaults = tuple(spec.defaults.items())
    check, merge = spec.check, spec.merge
    extractors: dict[type, _Extractor] = {}
    for obj in rows:
        kind = type(obj)
        extract = extractors.get(kind)
        if extract is None:
            if isinstance(obj, Mapping):
                extract = extractors[kind] = partial(_mapping_row, spec)
            elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
                extract = extractors[kind] = _extractor(spec, kind)
            else:
                raise TypeError(
                    f"a row must be a mapping or a dataclass instance, got {kind.__name__}"
                )
        if check is not None:
            reason = check(obj if isinstance(obj, dict) else _FieldView(obj))
            if reason is not None:
                raise RowRejectedError(f"refusing a {spec.name} row: {reason}")
        row = extract(obj)
        for col in key_cols:
            if col not in row:
                row[col] = None
        for col, default in defaults:
            if row.get(col) is None:
                row[col] = default
        key = key_of(row)
        if (key is None) if single_key else (None in key):
            parts = (key,) if single_key else key
            missing = [k for k, v in zip(key_cols, parts, strict=True) if v is None]
            raise RowRejectedError(
                f"a {spec.name} row has no value for key column(s) {missing}; "
                "every row needs its natural key"
            )
        old = by_key.get(key)
        if old is None:
            by_key[key] = row
        elif merge is not None:
            by_key[key] = merge(old, row)
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


def copy_values(
    spec: TableSpec, columns: Sequence[str], rows: Sequence[Row]
) -> Iterable[Sequence[Any]]:
    """The text-format ``COPY`` values of ``rows`` in ``columns`` order (NULL where a row lacks
    a column); dicts and lists in the spec's JSON columns as JSON text."""
    get_all = itemgetter(*columns) if len(columns) > 1 else None
    json_at = [i for i, c in enumerate(columns) if c in spec.json_columns]
    width = len(columns)
    for row in rows:
        if get_all is not None and len(row) == width:
            values: list[Any] = list(get_all(row))
        else:
            values = [row.get(c) for c in columns]
        for i in json_at:
            value = values[i]
            if isinstance(value, dict | list):  # COPY text: the JSON text itself
                values[i] = json.dumps(value) if value else ("{}" if isinstance(value, dict)
                                                            else "[]")
        yield values


def upsert_statement(spec: TableSpec, columns: Sequence[str] | None = None) -> sql.Composed:
    """``INSERT INTO <table> ... SELECT ... FROM <stage> ON CONFLICT ...`` for ``columns``
    (default: all of the spec's columns)."""
    used = tuple(columns) if columns is not None else spec.columns
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in used)
    key = sql.SQL(", ").join(sql.Identifier(c) for c in spec.key)
    stage = sql.Identifier(STAGE_PREFIX + spec.name)
    if spec.claim is not None:
        # claim each id once in the side table; insert only the rows whose id was just claimed
        side, id_col, time_col = (sql.Identifier(c) for c in spec.claim)
        head = sql.SQL(
            "WITH claimed AS (INSERT INTO {side} ({id}, {time}) "
            "SELECT DISTINCT ON ({id}) {id}, {time} FROM {stage} ORDER BY {id}, {time} "
            "ON CONFLICT ({id}) DO NOTHING RETURNING {id}, {time}) "
            "INSERT INTO {table} AS t ({cols}) SELECT {scols} FROM {stage} s "
            "JOIN claimed c ON c.{id} = s.{id} AND c.{time} = s.{time} "
        ).format(side=side, id=id_col, time=time_col, stage=stage, cols=cols,
                 table=sql.Identifier(spec.name),
                 scols=sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c))
                                          for c in used))
        return head + sql.SQL("ON CONFLICT ({key}) DO NOTHING").format(key=key)
    head = sql.SQL("INSERT INTO {table} AS t ({cols}) SELECT {cols} FROM {stage} ").format(
        table=sql.Identifier(spec.name), cols=cols, stage=stage
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


@dataclass(frozen=True)
class PreparedBatch:
    """A batch ready for the database: per table its spec, columns and ``COPY`` values."""

    tables: tuple[tuple[TableSpec, tuple[str, ...], list[Sequence[Any]]], ...]

    @property
    def rows(self) -> int:
        """Rows after de-duplication."""
        return sum(len(values) for _, _, values in self.tables)


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


def _stage_sql(spec: TableSpec) -> sql.Composed:
    """Create the session-local staging table of ``spec`` (rows vanish at each commit)."""
    return sql.SQL(
        "CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
        "SELECT {cols} FROM {table} WITH NO DATA"
    ).format(
        stage=sql.Identifier(STAGE_PREFIX + spec.name),
        cols=sql.SQL(", ").join(sql.Identifier(c) for c in spec.columns),
        table=sql.Identifier(spec.name),
    )


def _copy_and_upsert(
    conn: psycopg.Connection[Any], spec: TableSpec, columns: tuple[str, ...],
    values: Sequence[Sequence[Any]], statement: sql.Composed,
) -> None:
    """``COPY`` ``values`` into the staging table of ``spec`` and run its upsert ``statement``
    (inside the caller's transaction)."""
    with conn.cursor() as cur:
        copy_sql = sql.SQL("COPY {stage} ({cols}) FROM STDIN").format(
            stage=sql.Identifier(STAGE_PREFIX + spec.name),
            cols=sql.SQL(", ").join(sql.Identifier(c) for c in columns),
        )
        with cur.copy(copy_sql) as copy:
            write_row = copy.write_row
            for row in values:
                write_row(row)
        cur.execute(statement)


def prepare_batch(
    batch: Mapping[str, Sequence[object]], tables: Mapping[str, TableSpec] = TABLES
) -> PreparedBatch:
    """Rows of ``{table: rows}`` normalised, de-duplicated and turned into ``COPY`` values (no
    database). :class:`StoreWriteError` for a bad row or a table no spec describes."""
    prepared = []
    for table, raw_rows in batch.items():
        spec = spec_of(table, tables)
        try:
            rows = prepare_rows(spec, raw_rows)
            if rows:
                cols = batch_columns(spec, rows)
                prepared.append((spec, cols, list(copy_values(spec, cols, rows))))
        except (TypeError, ValueError, RecursionError) as exc:  # a row it cannot take apart
            raise RowRejectedError(f"a {table} row cannot be written: {_first_line(exc)}") from exc
    return PreparedBatch(tuple(prepared))


def spec_of(table: str, tables: Mapping[str, TableSpec] = TABLES) -> TableSpec:
    """The spec of ``table``; :class:`StoreWriteError` if ``tables`` does not know it."""
    try:
        return tables[table]
    except KeyError:
        raise RowRejectedError(
            f"no writer for table {table!r}; known tables: {', '.join(sorted(tables))}"
        ) from None


def write_in(
    conn: psycopg.Connection[Any], batch: Mapping[str, Sequence[object]],
    tables: Mapping[str, TableSpec] = TABLES,
) -> int:
    """Upsert ``{table: rows}`` through ``conn`` inside the caller's open transaction (the
    caller commits or rolls back, so the rows commit together with whatever else it writes).

    The same specs and statements as :class:`BatchWriter`; returns the rows handed to the
    database (after de-duplication). Database errors propagate as raised by psycopg.
    """
    prepared = prepare_batch(batch, tables)
    for spec, cols, values in prepared.tables:
        conn.execute(_stage_sql(spec))
        _copy_and_upsert(conn, spec, cols, values, upsert_statement(spec, cols))
        # the stage empties at commit; empty it now too, for another write in this transaction
        conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(STAGE_PREFIX + spec.name)))
    return prepared.rows


def delete_keys(
    conn: psycopg.Connection[Any], table: str, keys: Iterable[Sequence[Any]],
    *, where: str | None = None, tables: Mapping[str, TableSpec] = TABLES,
) -> int:
    """Delete the rows of ``table`` with these natural keys (values in the spec's key order),
    inside the caller's transaction; ``where`` (SQL over the table's columns) limits which of
    them may go. Returns how many keys were given."""
    spec = spec_of(table, tables)
    params = [tuple(k) for k in keys]
    for k in params:
        if len(k) != len(spec.key):
            raise StoreWriteError(
                f"a {table} key needs {len(spec.key)} values ({', '.join(spec.key)}), got {k!r}")
    if not params:
        return 0
    condition = sql.SQL(" AND ").join(
        sql.SQL("{} = %s").format(sql.Identifier(c)) for c in spec.key)
    if where:
        condition = condition + sql.SQL(" AND ") + sql.SQL(where)
    statement = sql.SQL("DELETE FROM {table} WHERE {condition}").format(
        table=sql.Identifier(table), condition=condition)
    with conn.cursor() as cur:
        cur.executemany(statement, params)
    return len(params)


class BatchWriter:
    """Writes batches of rows for several tables, one transaction per batch.

    ``connect`` opens a psycopg connection (the writer calls it lazily and again after the
    connection was lost). Connection-level failures raise
    :class:`~queuepulse.store.db.DatabaseUnavailableError` and drop the connection; any other
    database error raises :class:`StoreWriteError`. Either way the batch was rolled back, so
    retrying it is safe.
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
        return spec_of(table, self._tables)

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
            except DatabaseUnavailableError:
                self._conn = None
                raise
            except psycopg.OperationalError as exc:
                self._conn = None
                raise DatabaseUnavailableError(
                    f"cannot connect to the database: {_first_line(exc)}") from exc
        return self._conn

    def _ensure_stage(self, conn: psycopg.Connection[Any], spec: TableSpec) -> None:
        if spec.name in self._staged:
            return
        conn.execute(_stage_sql(spec))
        self._staged.add(spec.name)

    def _statement(self, spec: TableSpec, columns: tuple[str, ...]) -> sql.Composed:
        stmt = self._statements.get((spec.name, columns))
        if stmt is None:
            stmt = self._statements[(spec.name, columns)] = upsert_statement(spec, columns)
        return stmt

    def _classify(
        self, exc: psycopg.Error, conn: psycopg.Connection[Any], table: str
    ) -> Exception:
        """The error to raise for ``exc``: :class:`RowRejectedError` when a row's data is at
        fault, :class:`DatabaseUnavailableError` when the connection is (or the database refuses
        writes for a reason no row is at fault for: read-only, privileges, shutdown), else
        :class:`StoreWriteError` (a schema mismatch)."""
        state = exc.sqlstate
        line = _first_line(exc)
        if state is not None and state[:2] in _ROW_CLASSES:
            return RowRejectedError(f"writing {table} failed: {line}", state)
        if state is None and isinstance(exc, psycopg.DataError | psycopg.ProgrammingError) \
                and not (conn.closed or conn.broken):
            # refused by the driver before sending (NUL in text, a value it cannot adapt)
            return RowRejectedError(f"writing {table} failed: {line}")
        if (isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)
                or conn.closed or conn.broken
                or (state is not None and state[:2] in _REFUSING_CLASSES)):
            self.close()
            return DatabaseUnavailableError(f"lost the database while writing {table}: {line}")
        if state in _REFUSING_STATES:
            return DatabaseUnavailableError(f"the database refuses writes to {table}: {line}")
        return StoreWriteError(
            f"writing {table} failed: {line}; the batch was rolled back "
            "(check that `queuepulse db upgrade` ran and the rows match the table)")

    def prepare(self, batch: Mapping[str, Sequence[object]]) -> PreparedBatch:
        """The Python half of :meth:`write` (no database): rows normalised, de-duplicated and
        turned into ``COPY`` values. :class:`StoreWriteError` for a bad row."""
        return prepare_batch(batch, self._tables)

    def write(self, batch: Mapping[str, Sequence[object]]) -> int:
        """Upsert ``{table: rows}`` in one transaction; return the rows handed to the database.

        Raises :class:`~queuepulse.store.db.DatabaseUnavailableError` (retry later) or
        :class:`StoreWriteError` (a bug or a schema mismatch: the message names the table).
        """
        return self.write_prepared(self.prepare(batch))

    def write_prepared(self, batch: PreparedBatch) -> int:
        """The database half of :meth:`write`, for a batch from :meth:`prepare`."""
        prepared = batch.tables
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
                    _copy_and_upsert(conn, spec, cols, rows, self._statement(spec, cols))
        except psycopg.Error as exc:
            raise self._classify(exc, conn, current) from exc
        except (UnicodeError, ValueError, TypeError, OverflowError) as exc:
            # the driver could not encode a value of a row (a lone surrogate, an int too big)
            raise RowRejectedError(
                f"writing {current} failed: a value cannot be sent: {_first_line(exc)}"
            ) from exc
        n = batch.rows
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
