"""Shared fixtures: a throwaway PostgreSQL 15 + TimescaleDB cluster for db and e2e tests.

The cluster starts lazily, once per test session, only when a test asks for a database
fixture — unit tests never touch it. The schema is migrated once into a template database;
every test gets its own fresh copy (``CREATE DATABASE ... TEMPLATE``), dropped afterwards.

Fixtures (all function-scoped unless noted):

``pg_cluster``       (session) the :class:`~queuepulse.store.localdb.LocalCluster`
``pg_dsn``           DSN of a fresh, migrated database, as the superuser ``postgres``
``pg_conn``          an autocommit psycopg connection to that database (superuser)
``pg_reader_dsn``    same database, logged in as ``qp_test_reader`` (member of queuepulse_reader)
``pg_writer_dsn``    same database, logged in as ``qp_test_writer`` (member of queuepulse_writer)
``pg_retention_dsn`` same database, as ``qp_test_retention`` (member of queuepulse_retention)
``pg_empty_dsn``     DSN of a fresh database with nothing in it (not even the extension)

When TimescaleDB is not installed these fixtures fail the test with a message telling to run
``scripts/setup.sh``; they never skip silently.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from queuepulse.store.db import connect, dsn_with
from queuepulse.store.localdb import LocalCluster, LocalClusterError, timescaledb_installed
from queuepulse.store.migrations import load_migrations, upgrade

TEMPLATE_DB = "qp_template"
READER_LOGIN = "qp_test_reader"
WRITER_LOGIN = "qp_test_writer"
RETENTION_LOGIN = "qp_test_retention"
_SETUP_MESSAGE = (
    "TimescaleDB for PostgreSQL 15 is not installed, so db/e2e tests cannot run. "
    "Run scripts/setup.sh (Debian 12) to build and install it, then rerun the tests."
)
_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """``queuepulse.cli.main`` points the root logger at the (captured) stderr; undo it after
    each test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[LocalCluster]:
    """A throwaway cluster with timescaledb preloaded, for the whole session."""
    try:
        installed = timescaledb_installed()
    except LocalClusterError as exc:
        pytest.fail(f"{_SETUP_MESSAGE} ({exc})", pytrace=False)
    if not installed:
        pytest.fail(_SETUP_MESSAGE, pytrace=False)
    LocalCluster.reap_orphans()  # clusters left behind by killed test runs
    cluster = LocalCluster.throwaway(dbname="postgres")
    try:
        cluster.ensure_running()
    except LocalClusterError as exc:
        cluster.destroy()
        pytest.fail(f"could not start the test PostgreSQL cluster: {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        if os.environ.get("QUEUEPULSE_KEEP_TEST_CLUSTER") != "1":
            cluster.destroy()


@pytest.fixture(scope="session")
def pg_template(pg_cluster: LocalCluster) -> str:
    """Name of the migrated template database (built once per session)."""
    cluster = pg_cluster
    cluster.create_database(TEMPLATE_DB)
    incremental, idempotent = load_migrations()
    with connect(cluster.dsn(TEMPLATE_DB), autocommit=True) as conn:
        upgrade(conn, incremental, idempotent)
    cluster.ensure_login_role(READER_LOGIN, member_of=["queuepulse_reader"])
    cluster.ensure_login_role(WRITER_LOGIN, member_of=["queuepulse_writer"])
    cluster.ensure_login_role(RETENTION_LOGIN, member_of=["queuepulse_retention"])
    # TimescaleDB's launcher skips template databases; stop any scheduler already started
    # so that CREATE DATABASE ... TEMPLATE finds no other session on it.
    with connect(cluster.dsn("postgres"), autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {TEMPLATE_DB} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (TEMPLATE_DB,),
        )
    return TEMPLATE_DB


def _create_from_template(cluster: LocalCluster, template: str, name: str) -> None:
    last: Exception | None = None
    for _ in range(50):
        try:
            cluster.create_database(name, template=template)
            return
        except psycopg.errors.ObjectInUse as exc:  # a scheduler still leaving the template
            last = exc
            with connect(cluster.dsn("postgres"), autocommit=True) as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s",
                    (template,),
                )
                conn.execute("SELECT pg_sleep(0.05)")
    raise RuntimeError(f"could not copy template {template}: {last}")


@contextlib.contextmanager
def _fresh_database(cluster: LocalCluster, template: str) -> Iterator[str]:
    name = f"qp_test_{os.getpid()}_{next(_counter)}"
    _create_from_template(cluster, template, name)
    try:
        yield cluster.dsn(name)
    finally:
        cluster.drop_database(name)


@pytest.fixture
def pg_dsn(pg_cluster: LocalCluster, pg_template: str) -> Iterator[str]:
    """A fresh database with every migration applied; superuser DSN. Dropped after the test."""
    with _fresh_database(pg_cluster, pg_template) as dsn:
        yield dsn


@pytest.fixture
def second_dsn(pg_cluster: LocalCluster, pg_template: str) -> Iterator[str]:
    """A second fresh migrated database in the same test (to compare two runs); superuser DSN."""
    with _fresh_database(pg_cluster, pg_template) as dsn:
        yield dsn


@pytest.fixture
def pg_conn(pg_dsn: str) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit superuser connection to the test's fresh migrated database."""
    with connect(pg_dsn, autocommit=True) as conn:
        yield conn


@pytest.fixture
def pg_reader_dsn(pg_dsn: str) -> str:
    """The test database, logged in as a member of ``queuepulse_reader``."""
    return dsn_with(pg_dsn, user=READER_LOGIN)


@pytest.fixture
def pg_writer_dsn(pg_dsn: str) -> str:
    """The test database, logged in as a member of ``queuepulse_writer``."""
    return dsn_with(pg_dsn, user=WRITER_LOGIN)


@pytest.fixture
def pg_retention_dsn(pg_dsn: str) -> str:
    """The test database, logged in as a member of ``queuepulse_retention``."""
    return dsn_with(pg_dsn, user=RETENTION_LOGIN)


@pytest.fixture
def pg_empty_dsn(pg_cluster: LocalCluster) -> Iterator[str]:
    """A fresh, empty database (no extension, no tables); superuser DSN."""
    name = f"qp_empty_{os.getpid()}_{next(_counter)}"
    pg_cluster.create_database(name)
    try:
        yield pg_cluster.dsn(name)
    finally:
        pg_cluster.drop_database(name)
