"""Database side of the Queues/Users sync: read the current configuration, write the changes.

:func:`load_known` reads the open rows of ``queues``, ``agents`` and ``queue_agents`` and each
current agent's last ``agent_states`` row, so a restarted sync continues the SCD-2 history instead
of reopening every row. :class:`ConfigStore` writes a
:class:`~queuepulse.domain.pbx_config.SyncChanges` in one transaction (closing and opening rows
together).
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from pydantic import SecretStr

from queuepulse.domain.pbx_config import (
    AgentConfig,
    AgentState,
    KnownConfig,
    Membership,
    QueueConfig,
    SyncChanges,
    Versioned,
)
from queuepulse.store.db import DatabaseUnavailableError
from queuepulse.store.db import connect as db_connect
from queuepulse.store.writers import BatchWriter, StoreWriteError

T = TypeVar("T")


def _open_rows(
    conn: psycopg.Connection[Any], table: str, cls: type[T], pbx_id: str
) -> list[tuple[T, Any]]:
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    query = sql.SQL(
        "SELECT {cols}, valid_from FROM {table} WHERE pbx_id = %s AND valid_to IS NULL"
    ).format(cols=sql.SQL(", ").join(map(sql.Identifier, names)), table=sql.Identifier(table))
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, (pbx_id,))
        out = []
        for row in cur.fetchall():
            valid_from = row.pop("valid_from")
            out.append((cls(**row), valid_from))
        return out


_LAST_STATES = """
SELECT s.agent_dn, s.queue_status, s.profile, s.registered, s.on_call
FROM agents a
CROSS JOIN LATERAL (
    SELECT agent_dn, queue_status, profile, registered, on_call
    FROM agent_states st
    WHERE st.pbx_id = a.pbx_id AND st.agent_dn = a.agent_dn
    ORDER BY st.ts DESC
    LIMIT 1
) s
WHERE a.pbx_id = %s AND a.valid_to IS NULL
"""


def load_known(conn: psycopg.Connection[Any], pbx_id: str) -> KnownConfig:
    """The configuration the database holds as current for ``pbx_id``."""
    queues = {
        q.queue_dn: Versioned(q, vf) for q, vf in _open_rows(conn, "queues", QueueConfig, pbx_id)
    }
    agents = {
        a.agent_dn: Versioned(a, vf) for a, vf in _open_rows(conn, "agents", AgentConfig, pbx_id)
    }
    members = {
        (m.queue_dn, m.agent_dn): Versioned(m, vf)
        for m, vf in _open_rows(conn, "queue_agents", Membership, pbx_id)
    }
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(_LAST_STATES, (pbx_id,))
        states = {r["agent_dn"]: AgentState(**r) for r in cur.fetchall()}
    return KnownConfig(queues=queues, agents=agents, memberships=members, states=states)


class ConfigStore:
    """Reads and writes the sync's tables through one :class:`BatchWriter`."""

    def __init__(self, writer: BatchWriter, connect: Any = None) -> None:
        self._writer = writer
        self._connect = connect

    @classmethod
    def from_dsn(cls, dsn: str | SecretStr) -> ConfigStore:
        """A store that connects with ``dsn`` (errors never show its password)."""
        writer = BatchWriter.from_dsn(dsn)

        def connect() -> psycopg.Connection[Any]:
            return db_connect(dsn, autocommit=True, application_name="queuepulse-sync")

        return cls(writer, connect)

    @property
    def writer(self) -> BatchWriter:
        """The writer (its ``stats`` count the rows written)."""
        return self._writer

    def load(self, pbx_id: str) -> KnownConfig:
        """:func:`load_known` on a fresh connection; :class:`DatabaseUnavailableError` if it
        fails."""
        if self._connect is None:
            raise StoreWriteError("this ConfigStore was built without a connect function")
        try:
            with self._connect() as conn:
                return load_known(conn, pbx_id)
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailableError(
                f"cannot read the current configuration of {pbx_id}: "
                f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}"
            ) from exc
        except psycopg.Error as exc:
            raise StoreWriteError(
                f"reading the current configuration of {pbx_id} failed: {exc}; "
                "check that `queuepulse db upgrade` ran"
            ) from exc

    def load_with_open_calls(self, pbx_id: str) -> KnownConfig:
        """:meth:`load` plus the calls the database holds open for ``pbx_id`` (see
        :mod:`queuepulse.store.open_calls`), for the live flow's start."""
        from dataclasses import replace

        from queuepulse.store.open_calls import load_open_calls

        known = self.load(pbx_id)
        assert self._connect is not None
        try:
            with self._connect() as conn:
                calls, last_seen = load_open_calls(conn, pbx_id)
        except psycopg.Error as exc:
            raise DatabaseUnavailableError(
                f"cannot read the open calls of {pbx_id}: {str(exc).strip()[:200]}") from exc
        return replace(known, open_calls=calls, last_seen=last_seen)

    def write(self, changes: SyncChanges) -> int:
        """Write ``changes`` in one transaction; return the rows written."""
        if changes.empty:
            return 0
        return self._writer.write(changes.table_rows())

    def close(self) -> None:
        """Close the writer's connection."""
        self._writer.close()
