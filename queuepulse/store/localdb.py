"""A local PostgreSQL 15 cluster with TimescaleDB preloaded, for the demo and the tests.

``LocalCluster(data_dir, port).ensure_running()`` creates the cluster when the data directory
is empty (``initdb``), starts it (``pg_ctl``) with ``shared_preload_libraries=timescaledb``,
waits until it accepts connections, creates the database and returns a superuser DSN.
``LocalCluster.throwaway()`` makes one in a fresh temporary directory on a free port; ``destroy()``
stops it and deletes it.

PostgreSQL refuses to run as root. When this process is root, the server tools run as the
``postgres`` system user (created by Debian's postgresql packages), which then owns the data
directory; otherwise they run as the current user. The cluster listens on 127.0.0.1 only and
trusts local TCP logins (it is a development and test cluster: never expose it).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from psycopg import sql

from queuepulse.errors import SetupError
from queuepulse.store.db import connect, dsn_with

__all__ = [
    "OWNER_FILE",
    "LocalCluster",
    "LocalClusterError",
    "find_pg_bin",
    "free_port",
    "timescaledb_installed",
]

PG_MAJOR = 15
SUPERUSER = "postgres"
OWNER_FILE = "owner.pid"
FALLBACK_ROOT = Path("/var/lib/queuepulse/clusters")
log = logging.getLogger(__name__)
_SETUP_HINT = "run scripts/setup.sh (Debian 12), or use the containers: docker compose up"

# Server settings for every local cluster; durable=False adds the test-speed ones.
BASE_SETTINGS: Mapping[str, str] = {
    "listen_addresses": "'127.0.0.1'",
    "shared_preload_libraries": "'timescaledb'",
    "timescaledb.telemetry_level": "off",
    "max_worker_processes": "32",
    "timescaledb.max_background_workers": "24",
    "max_connections": "200",
    "log_min_messages": "warning",
    "timezone": "'UTC'",
}
FAST_SETTINGS: Mapping[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


class LocalClusterError(SetupError):
    """The local PostgreSQL cluster could not be created, started or stopped."""


def find_pg_bin() -> Path:
    """The directory of PostgreSQL 15's server programs (``initdb``, ``pg_ctl``).

    ``QUEUEPULSE_PG_BIN`` wins; then Debian's ``/usr/lib/postgresql/15/bin``; then ``pg_ctl``
    on ``PATH``.
    """
    candidates: list[Path] = []
    if env := os.environ.get("QUEUEPULSE_PG_BIN"):
        candidates.append(Path(env))
    candidates.append(Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin"))
    if on_path := shutil.which("pg_ctl"):
        candidates.append(Path(on_path).parent)
    for directory in candidates:
        if (directory / "pg_ctl").is_file() and (directory / "initdb").is_file():
            return directory
    raise LocalClusterError(
        f"PostgreSQL {PG_MAJOR} server programs not found (looked in "
        f"{', '.join(str(c) for c in candidates)}); {_SETUP_HINT}, "
        "or set QUEUEPULSE_PG_BIN to the directory holding pg_ctl"
    )


def _pg_config_value(pg_bin: Path, flag: str) -> Path:
    pg_config = pg_bin / "pg_config"
    if not pg_config.is_file():
        found = shutil.which("pg_config")
        if found is None:
            raise LocalClusterError(f"pg_config not found next to {pg_bin}; {_SETUP_HINT}")
        pg_config = Path(found)
    out = subprocess.run(
        [str(pg_config), flag], check=True, capture_output=True, text=True
    ).stdout.strip()
    return Path(out)


def timescaledb_installed(pg_bin: Path | None = None) -> bool:
    """Whether ``timescaledb.so`` is in the server's library directory."""
    libdir = _pg_config_value(pg_bin or find_pg_bin(), "--pkglibdir")
    return (libdir / "timescaledb.so").is_file()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _default_run_as() -> str | None:
    return SUPERUSER if os.geteuid() == 0 else None


class LocalCluster:
    """One local PostgreSQL cluster in ``data_dir``, listening on ``127.0.0.1:port``."""

    def __init__(
        self,
        data_dir: Path | str,
        port: int,
        *,
        dbname: str = "queuepulse",
        durable: bool = True,
        settings: Mapping[str, str] | None = None,
        run_as: str | None = None,
        pg_bin: Path | None = None,
        start_timeout_s: int = 60,
        fallback_root: Path | None = None,
    ) -> None:
        self.requested_data_dir = Path(data_dir).absolute()
        self.port = port
        self.host = "127.0.0.1"
        self.dbname = dbname
        self.durable = durable
        self.settings = dict(settings or {})
        self.run_as = run_as if run_as is not None else _default_run_as()
        self.pg_bin = pg_bin or find_pg_bin()
        self.start_timeout_s = start_timeout_s
        self._owns_parent: Path | None = None
        self.data_dir = self._placement(fallback_root or FALLBACK_ROOT)

    def __repr__(self) -> str:
        return f"LocalCluster(data_dir={str(self.data_dir)!r}, port={self.port})"

    # ------------------------------------------------------------------ construction helpers
    @classmethod
    def throwaway(
        cls,
        *,
        port: int | None = None,
        dbname: str = "queuepulse",
        settings: Mapping[str, str] | None = None,
    ) -> LocalCluster:
        """A non-durable cluster in a new temporary directory (``destroy()`` removes it)."""
        parent = Path(tempfile.mkdtemp(prefix="queuepulse-pg-", dir=_tmp_root()))
        parent.chmod(0o755)  # the postgres user must reach the data directory inside
        cluster = cls(
            parent / "data",
            port if port is not None else free_port(),
            dbname=dbname,
            durable=False,
            settings=settings,
        )
        cluster._owns_parent = parent
        (parent / OWNER_FILE).write_text(str(os.getpid()))
        return cluster

    @classmethod
    def reap_orphans(cls) -> list[Path]:
        """Stop and delete throwaway clusters whose creating process is gone (e.g. killed).

        Only directories made by :meth:`throwaway` (they hold the owner's pid) are touched.
        Returns the directories removed.
        """
        removed: list[Path] = []
        for parent in Path(_tmp_root()).glob("queuepulse-pg-*"):
            owner = parent / OWNER_FILE
            try:
                pid = int(owner.read_text().strip())
            except (OSError, ValueError):
                continue
            if _process_alive(pid):
                continue
            orphan = cls(parent / "data", 0)
            orphan._owns_parent = parent
            with contextlib.suppress(LocalClusterError):
                orphan.stop(mode="immediate")
            shutil.rmtree(parent, ignore_errors=True)
            removed.append(parent)
        return removed

    # ------------------------------------------------------------------ DSNs
    def dsn(self, dbname: str | None = None, user: str = SUPERUSER) -> str:
        """A libpq DSN for ``dbname`` (default: the cluster's database) as ``user``."""
        return dsn_with(
            "",
            host=self.host,
            port=self.port,
            dbname=dbname or self.dbname,
            user=user,
        )

    # ------------------------------------------------------------------ lifecycle
    def ensure_running(self) -> str:
        """Create (when empty) and start (when stopped) the cluster; return a superuser DSN."""
        if not timescaledb_installed(self.pg_bin):
            raise LocalClusterError(
                f"TimescaleDB is not installed for PostgreSQL {PG_MAJOR} (no timescaledb.so in "
                f"the server's library directory); {_SETUP_HINT}"
            )
        if not (self.data_dir / "PG_VERSION").is_file():
            self._initdb()
        if not self.is_running():
            self._start()
        self.create_database(self.dbname)
        return self.dsn()

    def is_running(self) -> bool:
        """Whether a server runs on this data directory (``pg_ctl status``)."""
        if not (self.data_dir / "PG_VERSION").is_file():
            return False
        result = self._run(["pg_ctl", "status", "-D", str(self.data_dir)], check=False)
        return result.returncode == 0

    def stop(self, mode: str = "fast") -> None:
        """Stop the server if it runs (``pg_ctl stop -m mode``)."""
        if self.is_running():
            self._run(["pg_ctl", "stop", "-D", str(self.data_dir), "-m", mode, "-w"])

    def destroy(self) -> None:
        """Stop the server and delete the data directory (and a throwaway's temp dir)."""
        self.stop(mode="immediate")
        target = self._owns_parent or self.data_dir
        shutil.rmtree(target, ignore_errors=True)

    def __enter__(self) -> Self:
        self.ensure_running()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._owns_parent is not None:
            self.destroy()
        else:
            self.stop()

    # ------------------------------------------------------------------ databases and roles
    def create_database(self, name: str, *, template: str | None = None) -> None:
        """Create database ``name`` unless it exists (from ``template`` when given)."""
        with connect(self.dsn("postgres"), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if exists:
                return
            statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template:
                statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
            conn.execute(statement)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists, disconnecting its sessions."""
        with connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def ensure_login_role(self, name: str, *, member_of: Sequence[str] = ()) -> None:
        """Create LOGIN role ``name`` in ``member_of`` (no password: local TCP is trusted)."""
        with connect(self.dsn("postgres"), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)
            ).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
            for group in member_of:
                conn.execute(
                    sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), sql.Identifier(name))
                )

    # ------------------------------------------------------------------ internals
    def _placement(self, fallback_root: Path) -> Path:
        """Where the data really goes: the requested directory when the server user can reach
        it, else (root running the server as ``postgres`` from a private tree such as /root)
        a directory under ``fallback_root`` named after the requested path."""
        requested = self.requested_data_dir
        if self.run_as is None:
            return requested
        try:
            entry = pwd.getpwnam(self.run_as)
        except KeyError:
            return requested  # reported by ensure_running
        probe = requested
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        reach = subprocess.run(
            ["test", "-x", str(probe)],
            user=entry.pw_uid,
            group=entry.pw_gid,
            extra_groups=[],
            check=False,
            cwd="/",
        )
        if reach.returncode == 0:
            return requested
        digest = hashlib.sha256(str(requested).encode()).hexdigest()[:12]
        placed = fallback_root / digest / requested.name
        log.warning(
            "local cluster data placed elsewhere: the server user cannot reach the requested "
            "directory",
            extra={"requested": str(requested), "data_dir": str(placed), "user": self.run_as},
        )
        return placed

    def _run(
        self, argv: Sequence[str], *, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        program = str(self.pg_bin / argv[0])
        kwargs: dict[str, Any] = {}
        entry = self._server_user()
        if entry is not None:
            kwargs = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
        result = subprocess.run(
            [program, *argv[1:]],
            capture_output=True,
            text=True,
            check=False,
            cwd="/",
            **kwargs,
        )
        if check and result.returncode != 0:
            detail = (result.stderr or result.stdout).strip()
            raise LocalClusterError(
                f"{argv[0]} failed for the local cluster in {self.data_dir} (port {self.port}): "
                f"{detail}{self._log_tail()}"
            )
        return result

    def _server_user(self) -> pwd.struct_passwd | None:
        """The account the server programs run as (``None``: this process's own user)."""
        if self.run_as is None:
            return None
        try:
            return pwd.getpwnam(self.run_as)
        except KeyError:
            raise LocalClusterError(
                f"PostgreSQL refuses to run as root and there is no '{self.run_as}' user to "
                f"run it as; create one (useradd --system {self.run_as}) or run as a normal "
                "user"
            ) from None

    def _log_file(self) -> Path:
        return self.data_dir / "queuepulse-server.log"

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            lines = self._log_file().read_text(errors="replace").splitlines()[-10:]
            if lines:
                return "\nserver log (last lines):\n" + "\n".join(lines)
        return ""

    def _prepare_data_dir(self) -> None:
        missing = [p for p in (self.data_dir, *self.data_dir.parents) if not p.exists()]
        for directory in reversed(missing):
            try:
                directory.mkdir()
            except OSError as exc:
                raise LocalClusterError(
                    f"cannot create the data directory {self.data_dir}: {exc.strerror} "
                    f"({directory}); choose a directory you can write"
                ) from None
            if directory != self.data_dir:
                directory.chmod(0o755)  # the server user must traverse it whatever the umask
        if any(self.data_dir.iterdir()):
            raise LocalClusterError(
                f"{self.data_dir} is not empty and holds no PostgreSQL cluster (no PG_VERSION); "
                "choose an empty or missing directory"
            )
        self.data_dir.chmod(0o700)
        entry = self._server_user()
        if entry is not None:
            os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
            probe = self._run(["pg_ctl", "--version"], check=False)
            reach = subprocess.run(
                ["test", "-w", str(self.data_dir)],
                user=entry.pw_uid,
                group=entry.pw_gid,
                extra_groups=[],
                check=False,
                cwd="/",
            )
            if probe.returncode != 0 or reach.returncode != 0:
                raise LocalClusterError(
                    f"the '{self.run_as}' user cannot reach {self.data_dir} (a parent directory "
                    "is not searchable by it); choose a data directory it can reach, e.g. under "
                    "/var/tmp or /srv"  # noqa: S108 - advice in a message
                )

    def _initdb(self) -> None:
        self._prepare_data_dir()
        self._run(
            [
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
        )
        settings = {**BASE_SETTINGS, "port": str(self.port)}
        settings["unix_socket_directories"] = f"'{self.data_dir}'"
        if not self.durable:
            settings.update(FAST_SETTINGS)
        settings.update(self.settings)
        block = "\n# --- queuepulse local cluster ---\n" + "".join(
            f"{key} = {value}\n" for key, value in settings.items()
        )
        conf = self.data_dir / "postgresql.conf"
        # The file belongs to the server user; append through it when we are root.
        entry = self._server_user()
        if entry is None:
            with conf.open("a") as handle:
                handle.write(block)
        else:
            subprocess.run(
                ["tee", "-a", str(conf)],
                input=block,
                text=True,
                stdout=subprocess.DEVNULL,
                check=True,
                user=entry.pw_uid,
                group=entry.pw_gid,
                extra_groups=[],
                cwd="/",
            )

    def _start(self) -> None:
        self._run(
            [
                "pg_ctl",
                "start",
                "-D",
                str(self.data_dir),
                "-l",
                str(self._log_file()),
                "-o",
                f"-p {self.port}",
                "-w",
                "-t",
                str(self.start_timeout_s),
            ]
        )


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tmp_root() -> str:
    """A temp directory the postgres user can traverse (pytest's own is private to root)."""
    return os.environ.get("QUEUEPULSE_TMP", "/tmp")  # noqa: S108 - a private mkdtemp inside
