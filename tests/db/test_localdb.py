"""LocalCluster: create, start, stop, restart with data kept; clear errors."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from queuepulse.store.db import DatabaseUnavailableError, connect
from queuepulse.store.localdb import LocalCluster, LocalClusterError, free_port

pytestmark = pytest.mark.db


@pytest.fixture
def work_dir(pg_cluster: LocalCluster) -> Iterator[Path]:
    """A temp dir the server user can reach (pytest's tmp_path is private to its owner)."""
    del pg_cluster  # only to get the "TimescaleDB missing" failure from the shared fixture
    path = Path(tempfile.mkdtemp(prefix="queuepulse-localdb-test-"))
    path.chmod(0o755)
    yield path
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def test_persistent_cluster_keeps_data_across_restarts(work_dir: Path) -> None:
    cluster = LocalCluster(work_dir / "pgdata", free_port(), dbname="demo")
    try:
        dsn = cluster.ensure_running()
        assert cluster.is_running()
        with connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (x int)")
            conn.execute("INSERT INTO kept VALUES (42)")
            assert conn.execute("SHOW shared_preload_libraries").fetchone() == ("timescaledb",)
            assert conn.execute("SHOW fsync").fetchone() == ("on",)  # durable by default
        cluster.stop()
        assert not cluster.is_running()
        again = LocalCluster(work_dir / "pgdata", cluster.port, dbname="demo")
        assert again.ensure_running() == dsn
        assert again.ensure_running() == dsn  # idempotent while running
        with connect(dsn, autocommit=True) as conn:
            assert conn.execute("SELECT x FROM kept").fetchall() == [(42,)]
    finally:
        cluster.stop(mode="immediate")
    if os.geteuid() == 0:  # the server ran as the postgres user, which owns the data
        assert (work_dir / "pgdata").stat().st_uid != 0


def test_throwaway_cluster_is_removed(pg_cluster: LocalCluster) -> None:
    del pg_cluster
    with LocalCluster.throwaway() as cluster:
        parent = cluster.data_dir.parent
        with connect(cluster.dsn(), autocommit=True) as conn:
            assert conn.execute("SHOW fsync").fetchone() == ("off",)
    assert not parent.exists()
    assert not cluster.is_running()


def test_a_non_empty_foreign_directory_is_refused(work_dir: Path) -> None:
    (work_dir / "pgdata").mkdir()
    (work_dir / "pgdata" / "notes.txt").write_text("mine")
    with pytest.raises(LocalClusterError, match="not empty"):
        LocalCluster(work_dir / "pgdata", free_port()).ensure_running()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another user")
def test_unknown_server_user_is_a_clear_error(work_dir: Path) -> None:
    cluster = LocalCluster(work_dir / "pgdata", free_port(), run_as="no_such_user_qp")
    with pytest.raises(LocalClusterError, match="useradd"):
        cluster.ensure_running()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs the server as another user")
def test_a_data_dir_the_server_user_cannot_reach_is_placed_elsewhere(work_dir: Path) -> None:
    private = work_dir / "private"  # like a clone under /root (mode 700)
    private.mkdir(mode=0o700)
    fallback = work_dir / "fallback"
    cluster = LocalCluster(private / "pgdata", free_port(), fallback_root=fallback)
    assert cluster.requested_data_dir == private / "pgdata"
    assert cluster.data_dir.is_relative_to(fallback)
    try:
        with connect(cluster.ensure_running(), autocommit=True) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        again = LocalCluster(private / "pgdata", cluster.port, fallback_root=fallback)
        assert again.data_dir == cluster.data_dir  # the same place every time
        assert again.is_running()
    finally:
        cluster.stop(mode="immediate")
    assert not (private / "pgdata").exists()


def test_orphaned_throwaway_clusters_are_reaped(pg_cluster: LocalCluster) -> None:

    from queuepulse.store.localdb import OWNER_FILE

    cluster = LocalCluster.throwaway()
    cluster.ensure_running()
    parent = cluster.data_dir.parent
    (parent / OWNER_FILE).write_text("999999999")  # no such process
    removed = LocalCluster.reap_orphans()
    assert parent in removed
    assert not parent.exists()
    with pytest.raises(DatabaseUnavailableError):  # the server was stopped, not just deleted
        connect(cluster.dsn(), connect_timeout_s=2)
    assert pg_cluster.is_running()  # the live session's own cluster is left alone
