"""SQLAlchemy engines over queuepulse's own connection helper.

Every connection goes through :func:`queuepulse.store.db.connect`, so a libpq connection string
in either form (``postgresql://…`` or ``host=… dbname=…``) works, an unreachable database gives
the same clear error as every other command, and no password reaches a log or an error message.
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from queuepulse.store.db import connect, secret_value

__all__ = ["engine_for"]


def engine_for(dsn: str | SecretStr, *, read_only: bool = False, jit: bool | None = None,
               application_name: str = "queuepulse-analytics") -> Engine:
    """A SQLAlchemy engine (dialect ``postgresql+psycopg``) connecting with ``dsn``.

    ``read_only``: every transaction is READ ONLY (``default_transaction_read_only``), so a
    report can never write, whatever role the connection string names. ``jit``: PostgreSQL's
    JIT compilation on or off in the sessions (None: the server's setting). The report views'
    plans are large and their queries short: with JIT on, PostgreSQL may spend seconds
    compiling a plan that runs in milliseconds (the agent report of one day: 2.5 s vs 72 ms).
    Connections are not pooled (NullPool): a report or a script opens one, uses it, closes it.
    """
    plain = secret_value(dsn)
    settings = []
    if read_only:
        settings.append("SET default_transaction_read_only = on")
    if jit is not None:
        settings.append(f"SET jit = {'on' if jit else 'off'}")

    def creator() -> Any:
        conn = connect(plain, application_name=application_name)
        for statement in settings:
            conn.execute(statement)
        conn.commit()
        return conn

    return create_engine("postgresql+psycopg://", creator=creator, poolclass=NullPool)
