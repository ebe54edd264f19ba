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


def engine_for(dsn: str | SecretStr, *, read_only: bool = False,
               application_name: str = "queuepulse-analytics") -> Engine:
    """A SQLAlchemy engine (dialect ``postgresql+psycopg``) connecting with ``dsn``.

    ``read_only``: every transaction is READ ONLY (``default_transaction_read_only``), so a
    report can never write, whatever role the connection string names. Connections are not
    pooled (NullPool): a report or a script opens one, uses it, closes it.
    """
    plain = secret_value(dsn)

    def creator() -> Any:
        conn = connect(plain, application_name=application_name)
        if read_only:
            conn.execute("SET default_transaction_read_only = on")
            conn.commit()
        return conn

    return create_engine("postgresql+psycopg://", creator=creator, poolclass=NullPool)
