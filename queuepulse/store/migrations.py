"""Versioned SQL migrations: hash-frozen incremental files plus re-runnable idempotent ones.

Layout (``schema/``)::

    incremental/NNN-name.sql   applied once, in number order, recorded with their sha256;
                               never edited once released (the runner refuses a changed file)
    idempotent/NN-name.sql     re-applied on every upgrade, in name order, after the incrementals
                               (roles, functions, views, grants)
    released.sha256            the hash of every released incremental file (checked by the tests)
    amended.sha256             earlier hashes of released files whose later edits changed
                               comments only: a database that applied such a version is current
                               (the ledger is re-stamped with today's hash on upgrade)

A file may start with directive comments:

    -- queuepulse:requires-license=timescale   skip unless timescaledb.license is that value
    -- queuepulse:transaction=off              run each statement on its own (autocommit), e.g.
                                               for continuous aggregates

Every other file runs in one transaction together with its ledger row, so a failed file leaves
nothing behind. Concurrent upgrades are serialised by an advisory lock.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import psycopg

from queuepulse.errors import ConfigError, QueuepulseError

__all__ = [
    "LEDGER_TABLE",
    "AppliedMigration",
    "ChangedMigrationError",
    "MigrationError",
    "MigrationFile",
    "MigrationStatus",
    "UpgradeResult",
    "default_schema_dir",
    "load_migrations",
    "migration_status",
    "split_statements",
    "upgrade",
]

log = logging.getLogger(__name__)

LEDGER_TABLE = "queuepulse_migrations"
ADVISORY_LOCK_KEY = 0x71756575  # "queu"
_INCREMENTAL_NAME = re.compile(r"^(\d{3})-[a-z0-9][a-z0-9_-]*\.sql$")
_IDEMPOTENT_NAME = re.compile(r"^\d{2,3}-[a-z0-9][a-z0-9_-]*\.sql$")
_DIRECTIVE = re.compile(r"^--\s*queuepulse:([a-z_-]+)=(\S+)\s*$")

Kind = Literal["incremental", "idempotent"]


class MigrationError(QueuepulseError):
    """A migration could not be loaded or applied."""


class ChangedMigrationError(MigrationError):
    """A released incremental migration's file no longer matches what was applied."""


@dataclass(frozen=True)
class MigrationFile:
    """One SQL file of ``schema/``."""

    kind: Kind
    name: str
    sql: str
    sha256: str
    requires_license: str | None = None
    transaction: bool = True
    earlier_sha256: frozenset[str] = frozenset()
    """Hashes of released versions of this file whose later edits changed comments only
    (``schema/amended.sha256``): a database that applied one of them is up to date."""

    def matches(self, applied_sha256: str) -> bool:
        """``applied_sha256`` is this file's hash or that of a comment-only earlier version."""
        return applied_sha256 == self.sha256 or applied_sha256 in self.earlier_sha256

    @classmethod
    def from_path(cls, kind: Kind, path: Path) -> MigrationFile:
        """Read ``path`` and its directives."""
        raw = path.read_bytes()
        text = raw.decode("utf-8")
        directives: dict[str, str] = {}
        for line in text.splitlines():
            stripped = line.strip()
            if not stripped.startswith("--"):
                break
            if match := _DIRECTIVE.match(stripped):
                directives[match.group(1)] = match.group(2)
        unknown = set(directives) - {"requires-license", "transaction"}
        if unknown:
            raise MigrationError(
                f"{path}: unknown directive(s) {sorted(unknown)}; "
                "known: requires-license=<licence>, transaction=off"
            )
        transaction = directives.get("transaction", "on")
        if transaction not in {"on", "off"}:
            raise MigrationError(f"{path}: transaction= must be 'on' or 'off', not {transaction!r}")
        return cls(
            kind=kind,
            name=path.name,
            sql=text,
            sha256=hashlib.sha256(raw).hexdigest(),
            requires_license=directives.get("requires-license"),
            transaction=transaction == "on",
        )


@dataclass(frozen=True)
class AppliedMigration:
    """A row of the ledger table."""

    kind: Kind
    name: str
    sha256: str
    applied_at: datetime


@dataclass(frozen=True)
class MigrationStatus:
    """What the database has applied compared with the files."""

    license: str
    timescaledb_version: str | None
    applied: tuple[AppliedMigration, ...]
    pending: tuple[MigrationFile, ...]
    changed: tuple[tuple[MigrationFile, AppliedMigration], ...]
    unknown: tuple[AppliedMigration, ...]
    idempotent: tuple[MigrationFile, ...]

    @property
    def up_to_date(self) -> bool:
        """No pending and no changed incremental migrations."""
        return not self.pending and not self.changed

    def lines(self) -> list[str]:
        """A human-readable report, one item per line."""
        out = [
            f"timescaledb: {self.timescaledb_version or 'not installed in this database'}"
            f" (license: {self.license})",
        ]
        applied_incr = [a for a in self.applied if a.kind == "incremental"]
        applied_idem = {a.name: a for a in self.applied if a.kind == "idempotent"}
        for item in applied_incr:
            out.append(f"applied    {item.name}  {item.applied_at:%Y-%m-%d %H:%M:%S%z}")
        for mig in self.pending:
            out.append(f"pending    {mig.name}")
        for mig, rec in self.changed:
            out.append(
                f"CHANGED    {mig.name}  (applied sha256 {rec.sha256[:12]}, file {mig.sha256[:12]})"
            )
        for rec in self.unknown:
            out.append(f"UNKNOWN    {rec.name}  (applied, but no such file)")
        for mig in self.idempotent:
            last = applied_idem.get(mig.name)
            if not _license_allows(mig, self.license):
                state = f"skipped (needs license {mig.requires_license})"
            elif last is None:
                state = "never applied"
            elif last.sha256 != mig.sha256:
                state = "changed since last upgrade"
            else:
                state = f"current  {last.applied_at:%Y-%m-%d %H:%M:%S%z}"
            out.append(f"idempotent {mig.name}  {state}")
        summary = "up to date" if self.up_to_date else (
            f"{len(self.pending)} pending, {len(self.changed)} changed"
        )
        out.append(f"status: {summary}")
        return out


@dataclass
class UpgradeResult:
    """What one ``upgrade`` did."""

    applied: list[str] = field(default_factory=list)
    reapplied: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def default_schema_dir() -> Path:
    """``QUEUEPULSE_SCHEMA_DIR``, else the ``schema/`` folder beside the package."""
    if env := os.environ.get("QUEUEPULSE_SCHEMA_DIR"):
        return Path(env)
    return Path(__file__).resolve().parents[2] / "schema"


AMENDED_FILE = "amended.sha256"


def load_amendments(root: Path) -> dict[str, frozenset[str]]:
    """``schema/amended.sha256``: per incremental file, the hashes of its earlier released
    versions that differ from today's file in comments only (``<sha256>  incremental/NAME``
    a line; ``#`` lines are comments). Missing file: no amendments."""
    path = root / AMENDED_FILE
    if not path.is_file():
        return {}
    out: dict[str, set[str]] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        if (len(parts) != 2 or not re.fullmatch(r"[0-9a-f]{64}", parts[0])
                or not parts[1].startswith("incremental/")):
            raise MigrationError(
                f"{path}:{number}: expected '<sha256>  incremental/NNN-name.sql', got {line!r}"
            )
        out.setdefault(parts[1].removeprefix("incremental/"), set()).add(parts[0])
    return {name: frozenset(hashes) for name, hashes in out.items()}


def load_migrations(
    schema_dir: Path | None = None,
) -> tuple[list[MigrationFile], list[MigrationFile]]:
    """The incremental and idempotent files of ``schema_dir``, in application order."""
    root = schema_dir or default_schema_dir()
    incr_dir, idem_dir = root / "incremental", root / "idempotent"
    if not incr_dir.is_dir():
        raise ConfigError(
            f"no migrations found: {incr_dir} is not a directory; "
            "pass --schema-dir or set QUEUEPULSE_SCHEMA_DIR to the project's schema/ folder"
        )
    incremental: list[MigrationFile] = []
    numbers: dict[str, str] = {}
    amended = load_amendments(root)
    for path in sorted(incr_dir.glob("*.sql")):
        match = _INCREMENTAL_NAME.match(path.name)
        if not match:
            raise MigrationError(
                f"{path}: incremental migrations are named NNN-name.sql (lower case), e.g. "
                "003-add-index.sql"
            )
        if match.group(1) in numbers:
            raise MigrationError(
                f"{path}: number {match.group(1)} is already used by {numbers[match.group(1)]}"
            )
        numbers[match.group(1)] = path.name
        mig = MigrationFile.from_path("incremental", path)
        earlier = amended.pop(path.name, frozenset())
        incremental.append(dataclasses.replace(mig, earlier_sha256=earlier) if earlier else mig)
    if amended:
        raise MigrationError(
            f"{root / AMENDED_FILE} names files that do not exist: {sorted(amended)}"
        )
    idempotent: list[MigrationFile] = []
    if idem_dir.is_dir():
        for path in sorted(idem_dir.glob("*.sql")):
            if not _IDEMPOTENT_NAME.match(path.name):
                raise MigrationError(f"{path}: idempotent files are named NN-name.sql (lower case)")
            idempotent.append(MigrationFile.from_path("idempotent", path))
    return incremental, idempotent


# --------------------------------------------------------------------------- SQL splitting
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def split_statements(script: str) -> list[str]:
    """Split a SQL script on top-level semicolons.

    Knows single-quoted strings, double-quoted identifiers, dollar-quoted bodies, ``--`` and
    ``/* */`` comments (not nested). Comment-only fragments are dropped.
    """
    statements: list[str] = []
    buf: list[str] = []
    i, n = 0, len(script)
    meaningful = False
    while i < n:
        ch = script[i]
        if ch == "-" and script.startswith("--", i):
            end = script.find("\n", i)
            end = n if end == -1 else end
            buf.append(script[i:end])
            i = end
            continue
        if ch == "/" and script.startswith("/*", i):
            end = script.find("*/", i + 2)
            end = n if end == -1 else end + 2
            buf.append(script[i:end])
            i = end
            continue
        if ch in ("'", '"'):
            j = i + 1
            while j < n:
                if script[j] == ch:
                    if j + 1 < n and script[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            buf.append(script[i : j + 1])
            meaningful = True
            i = j + 1
            continue
        if ch == "$" and (match := _DOLLAR_TAG.match(script, i)):
            tag = match.group(0)
            end = script.find(tag, match.end())
            end = n if end == -1 else end + len(tag)
            buf.append(script[i:end])
            meaningful = True
            i = end
            continue
        if ch == ";":
            if meaningful:
                statements.append("".join(buf).strip())
            buf, meaningful = [], False
            i += 1
            continue
        if not ch.isspace():
            meaningful = True
        buf.append(ch)
        i += 1
    if meaningful:
        statements.append("".join(buf).strip())
    return statements


# --------------------------------------------------------------------------- database side
def _ensure_ledger(conn: psycopg.Connection[Any]) -> None:
    conn.execute(
        f"""
        CREATE TABLE IF NOT EXISTS {LEDGER_TABLE} (
            kind       text        NOT NULL CHECK (kind IN ('incremental', 'idempotent')),
            name       text        NOT NULL,
            sha256     text        NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (kind, name)
        )
        """
    )


def _ledger_exists(conn: psycopg.Connection[Any]) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f"public.{LEDGER_TABLE}",)).fetchone()
    return bool(row and row[0])


def _read_ledger(conn: psycopg.Connection[Any]) -> list[AppliedMigration]:
    if not _ledger_exists(conn):
        return []
    rows = conn.execute(
        f"SELECT kind, name, sha256, applied_at FROM {LEDGER_TABLE} ORDER BY kind, name"
    ).fetchall()
    return [AppliedMigration(kind=r[0], name=r[1], sha256=r[2], applied_at=r[3]) for r in rows]


def _server_license(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute("SELECT current_setting('timescaledb.license', true)").fetchone()
    return str(row[0]) if row and row[0] else "none"


def _timescaledb_version(conn: psycopg.Connection[Any]) -> str | None:
    row = conn.execute(
        "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"
    ).fetchone()
    return str(row[0]) if row else None


def _license_allows(mig: MigrationFile, license_: str) -> bool:
    return mig.requires_license is None or mig.requires_license == license_


def migration_status(
    conn: psycopg.Connection[Any],
    incremental: Sequence[MigrationFile],
    idempotent: Sequence[MigrationFile],
) -> MigrationStatus:
    """Compare the ledger of ``conn``'s database with the files (reads only)."""
    ledger = _read_ledger(conn)
    applied_incr = {a.name: a for a in ledger if a.kind == "incremental"}
    files = {m.name for m in incremental}
    status = MigrationStatus(
        license=_server_license(conn),
        timescaledb_version=_timescaledb_version(conn),
        applied=tuple(ledger),
        pending=tuple(m for m in incremental if m.name not in applied_incr),
        changed=tuple(
            (m, applied_incr[m.name])
            for m in incremental
            if m.name in applied_incr and not m.matches(applied_incr[m.name].sha256)
        ),
        unknown=tuple(a for a in applied_incr.values() if a.name not in files),
        idempotent=tuple(idempotent),
    )
    if not conn.autocommit:
        conn.rollback()
    return status


def _require_timescaledb(conn: psycopg.Connection[Any]) -> None:
    """Fail early, and clearly, on a server that cannot load TimescaleDB."""
    available = conn.execute(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'"
    ).fetchone()
    if not available:
        raise MigrationError(
            "the PostgreSQL server has no TimescaleDB extension installed; install it "
            "(scripts/setup.sh on Debian 12, or use the timescale/timescaledb image: "
            "docker compose up timescaledb) and retry"
        )
    row = conn.execute("SHOW shared_preload_libraries").fetchone()
    preload = str(row[0]) if row else ""
    if "timescaledb" not in preload:
        raise MigrationError(
            "TimescaleDB is installed but not preloaded (shared_preload_libraries = "
            f"{preload!r}); add timescaledb to shared_preload_libraries in postgresql.conf, "
            "restart the server and retry"
        )


def _refuse_changed(status: MigrationStatus) -> None:
    if status.changed:
        names = ", ".join(
            f"{m.name} (applied {rec.sha256[:12]}, file now {m.sha256[:12]})"
            for m, rec in status.changed
        )
        raise ChangedMigrationError(
            f"released migration file(s) changed after they were applied: {names}. "
            "Incremental migrations are frozen: restore the file (git checkout) and put the "
            "change in a new numbered file under schema/incremental/"
        )


def _statements(mig: MigrationFile) -> Iterator[str]:
    yield from split_statements(mig.sql)


def _apply_file(conn: psycopg.Connection[Any], mig: MigrationFile) -> None:
    """Run ``mig`` and record it; in one transaction unless it says transaction=off."""
    record = (
        f"INSERT INTO {LEDGER_TABLE} (kind, name, sha256) VALUES (%s, %s, %s) "
        "ON CONFLICT (kind, name) DO UPDATE SET sha256 = EXCLUDED.sha256, applied_at = now()"
    )
    current = ""
    try:
        if mig.transaction:
            with conn.transaction():
                for current in _statements(mig):
                    conn.execute(current.encode())
                conn.execute(record, (mig.kind, mig.name, mig.sha256))
        else:
            for current in _statements(mig):
                conn.execute(current.encode())
            conn.execute(record, (mig.kind, mig.name, mig.sha256))
    except psycopg.Error as exc:
        first_line = current.strip().splitlines()[0] if current.strip() else ""
        raise MigrationError(
            f"{mig.kind} migration {mig.name} failed at statement starting {first_line!r}: "
            f"{str(exc).strip()}"
            + ("" if mig.transaction else " (this file runs without a transaction: statements "
               "before the failing one stay applied; fix and rerun, they are idempotent)")
        ) from exc


def _restamp_amended(
    conn: psycopg.Connection[Any], incremental: Sequence[MigrationFile], status: MigrationStatus
) -> None:
    """Record today's hash for files applied in a comment-only earlier version (their SQL ran
    as it is now); ``applied_at`` keeps the date the SQL ran."""
    applied = {a.name: a.sha256 for a in status.applied if a.kind == "incremental"}
    for mig in incremental:
        old = applied.get(mig.name)
        if old is not None and old != mig.sha256 and old in mig.earlier_sha256:
            conn.execute(
                f"UPDATE {LEDGER_TABLE} SET sha256 = %s WHERE kind = 'incremental' AND name = %s",
                (mig.sha256, mig.name),
            )
            log.info("migration comments amended", extra={"migration": mig.name})


def upgrade(
    conn: psycopg.Connection[Any],
    incremental: Sequence[MigrationFile],
    idempotent: Sequence[MigrationFile],
) -> UpgradeResult:
    """Apply pending incremental files, then every idempotent file.

    ``conn`` must be in autocommit mode (each file manages its own transaction). Raises
    :class:`ChangedMigrationError` before applying anything when a released file changed.
    """
    if not conn.autocommit:
        raise MigrationError(
            "upgrade() needs an autocommit connection (connect(..., autocommit=True))"
        )
    result = UpgradeResult()
    _require_timescaledb(conn)
    conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
    try:
        _ensure_ledger(conn)
        status = migration_status(conn, incremental, idempotent)
        _refuse_changed(status)
        _restamp_amended(conn, incremental, status)
        for mig in status.pending:
            if not _license_allows(mig, status.license):
                raise MigrationError(
                    f"incremental migration {mig.name} needs timescaledb.license="
                    f"{mig.requires_license}, the server has {status.license}; incremental "
                    "files must not depend on the licence (put licensed parts in idempotent/)"
                )
            log.info("applying migration", extra={"migration": mig.name})
            _apply_file(conn, mig)
            result.applied.append(mig.name)
        license_ = _server_license(conn)
        for mig in idempotent:
            if not _license_allows(mig, license_):
                reason = f"needs timescaledb.license={mig.requires_license}, server has {license_}"
                log.info(
                    "skipping idempotent file", extra={"migration": mig.name, "reason": reason}
                )
                result.skipped.append((mig.name, reason))
                continue
            _apply_file(conn, mig)
            result.reapplied.append(mig.name)
    finally:
        # A lost connection took the (session-level) lock with it; unlocking would only hide
        # the error that says which file was running.
        if not conn.closed and not conn.broken:
            conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
    return result
