"""Running the live flow: Bytewax execution, recovery directories, clusters across hosts.

:func:`run_flow` executes a dataflow in this process (``bytewax.run.cli_main``: workers,
optional cluster membership, epoch/snapshot interval, recovery). :func:`ensure_recovery_dir`
initialises a recovery directory the first time (what ``python -m bytewax.recovery DIR N``
does) and reuses it afterwards, so a restarted flow resumes from its last snapshot.
:func:`spawn_cluster` starts ``n`` copies of a command line as one Bytewax cluster on
127.0.0.1 (each with ``--process-id`` and ``--addresses``) and waits for them.

A cluster member (``process_id`` and ``addresses`` given) is one process of a Bytewax (timely)
cluster over TCP: every member runs the same flow with the same PBX list; Bytewax assigns each
source partition (PBX) to one worker of one member, balanced over all workers. Facts that
decide how a member behaves, found by running Bytewax 0.21 (``docs/cluster.md``):

* A member waits for every other member at start and retries for ever; here it gives up after
  ``join_timeout_s`` with one line (:func:`_join_watchdog`) — the flow's sources mark the
  moment the cluster formed (:func:`mark_joined`), because Bytewax builds them only then.
* Recovery partitions (``part-K.sqlite3``) may be spread over the members' own directories:
  the cluster as a whole needs all of them, each member may hold any subset. Each member
  therefore initialises only its share (K mod members = its id) in its own
  ``--recovery-dir``, which works for a shared directory too.
* When one member dies, the others fail at once ("Send thread panic"): the whole cluster
  stops, and restarting every member resumes it from the last snapshot.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from queuepulse.errors import ConfigError, QueuepulseError

__all__ = [
    "GC_THRESHOLDS",
    "ClusterError",
    "Member",
    "cluster_joined",
    "current_member",
    "ensure_recovery_dir",
    "flow_running",
    "free_ports",
    "joined_for_s",
    "mark_joined",
    "parse_addresses",
    "request_stop",
    "run_flow",
    "spawn_cluster",
    "stop_on_signals",
    "stop_requested",
]

log = logging.getLogger(__name__)

#: Cyclic-GC thresholds for flow processes (default Python: 700, 10, 10).
GC_THRESHOLDS: tuple[int, int, int] = (50_000, 20, 100)


class ClusterError(QueuepulseError):
    """A cluster member could not form or keep the cluster (exit 2, one line)."""


@dataclass(frozen=True)
class Member:
    """This process's place in a Bytewax cluster: member ``process_id`` of ``processes``."""

    process_id: int
    processes: int
    workers: int = 1


def parse_addresses(text: str) -> list[str]:
    """``host:port`` of every member from ``"h1:p1,h2:p2"`` (Bytewax's ``;`` works too);
    :class:`ConfigError` naming the bad entry."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if not parts:
        raise ConfigError("--addresses is empty: give host:port of every member, "
                          "comma-separated, e.g. live-0:2101,live-1:2101")
    for part in parts:
        host, _, port = part.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigError(f"--addresses: {part!r} is not host:port (e.g. live-0:2101)")
    if len(set(parts)) != len(parts):
        raise ConfigError(f"--addresses lists a member twice: {','.join(parts)}")
    return parts


def _recovery_part_files(directory: Path) -> dict[int, Path]:
    out: dict[int, Path] = {}
    for path in directory.glob("part-*.sqlite3"):
        index = path.name[len("part-"):-len(".sqlite3")]
        if index.isdigit():
            out[int(index)] = path
    return out


def _part_count(path: Path) -> int | None:
    """The size of the partition set ``path`` belongs to (Bytewax's ``parts`` table)."""
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT part_count FROM parts LIMIT 1").fetchone()
    except sqlite3.Error:
        return None
    return int(row[0]) if row else None


def ensure_recovery_dir(directory: Path, partitions: int, member: Member | None = None) -> Any:
    """A :class:`bytewax.recovery.RecoveryConfig` for ``directory``.

    Alone (``member`` None): initialises ``partitions`` empty recovery partitions when the
    directory holds none yet. A cluster member initialises only its share of the
    ``partitions`` (``part-K`` with K mod members = its id) when it holds none of them: each
    member's own directory then holds a disjoint part of the set and the cluster all of it;
    in a directory shared by every member the shares add up to the whole set as well.
    """
    from bytewax.recovery import RecoveryConfig, init_db_dir

    directory.mkdir(parents=True, exist_ok=True)
    existing = _recovery_part_files(directory)
    wanted = (set(range(partitions)) if member is None else
              {k for k in range(partitions) if k % member.processes == member.process_id})
    if existing and (member is None or wanted & set(existing)
                     or _part_count(next(iter(existing.values()))) not in (None, partitions)):
        # Ours are here (or the directory holds a set of another size: the cluster changed
        # shape, and Bytewax rescales from the partitions as they are).
        log.info("resuming from recovery directory",
                 extra={"dir": str(directory), "partitions": sorted(existing)})
    elif wanted:
        # Bytewax writes the whole set; keep this member's share (each file knows its index
        # and the set's size), moved in one rename each so a concurrent member never sees
        # half a file.
        with tempfile.TemporaryDirectory(dir=directory, prefix=".init-") as tmp:
            init_db_dir(Path(tmp), partitions)  # type: ignore[no-untyped-call]
            for k in sorted(wanted):
                os.replace(Path(tmp) / f"part-{k}.sqlite3", directory / f"part-{k}.sqlite3")
        log.info("recovery directory initialised", extra={
            "dir": str(directory), "partitions": sorted(wanted), "of": partitions})
    return RecoveryConfig(directory)  # type: ignore[no-untyped-call]


_STOP = threading.Event()
_FLOW_RUNNING = threading.Event()
_JOINED = threading.Event()
_JOINED_AT = 0.0
_MEMBER: Member | None = None


def current_member() -> Member | None:
    """The cluster membership of the flow running in this process (None: not a cluster)."""
    return _MEMBER


def mark_joined() -> None:
    """The running flow's cluster has formed (called by its sources, which Bytewax builds
    only once every member is connected)."""
    global _JOINED_AT
    if not _JOINED.is_set():
        _JOINED_AT = time.monotonic()
    _JOINED.set()


def cluster_joined() -> bool:
    """The running flow's cluster formed (always true once a lone flow built its source)."""
    return _JOINED.is_set()


def joined_for_s() -> float:
    """Seconds since the running flow's cluster formed (0 before)."""
    return time.monotonic() - _JOINED_AT if _JOINED.is_set() else 0.0


def _join_watchdog(member: Member, addresses: Sequence[str], timeout_s: float,
                   signals_fd: int | None) -> None:
    """Exit this process with one line when the cluster has not formed in ``timeout_s`` (2),
    or at a signal before it formed (130): Bytewax would retry connecting for ever, in Rust,
    where Python's own signal handlers do not run. ``signals_fd`` is the read end of the
    signal wake-up pipe (:func:`signal.set_wakeup_fd`). A daemon thread of :func:`run_flow`."""
    deadline = time.monotonic() + timeout_s
    while not _JOINED.is_set() and _FLOW_RUNNING.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            others = ", ".join(f"{a} (member {i})" for i, a in enumerate(addresses)
                               if i != member.process_id)
            message = (
                f"cluster member {member.process_id} of {member.processes} could not form the "
                f"cluster within {timeout_s:g} s: no connection with {others}; start every "
                "member with the same --addresses and make each reachable from the others on "
                "its port (QUEUEPULSE_CLUSTER__JOIN_TIMEOUT_S sets the wait)")
            log.error(message)
            print(f"error: {message}", file=sys.stderr, flush=True)
            os._exit(2)
        if signals_fd is None:
            _JOINED.wait(min(remaining, 0.5))
            continue
        try:
            ready, _, _ = select.select([signals_fd], [], [], min(remaining, 0.5))
            signalled = bool(ready) and bool(os.read(signals_fd, 64))
        except (OSError, ValueError):  # the flow ended and run_flow closed the pipe
            return
        if signalled and not _JOINED.is_set():
            # Nothing to commit yet: leave now.
            log.warning("stopped before the cluster formed",
                        extra={"process_id": member.process_id})
            os._exit(130)


def flow_running() -> bool:
    """A flow is running in this process (:func:`run_flow` has not returned yet)."""
    return _FLOW_RUNNING.is_set()


def stop_requested() -> bool:
    """A signal asked the running flow to stop (sources end at their next read)."""
    return _STOP.is_set()


def request_stop() -> None:
    """Ask the running flow to stop as a signal would: every source partition ends at its next
    read, so the flow finishes its current batch, commits it and returns."""
    _STOP.set()


def _interrupt(signum: int, frame: object) -> None:
    if _FLOW_RUNNING.is_set() and _MEMBER is not None and not _JOINED.is_set():
        # Still waiting for the other members (see _join_watchdog): nothing to commit.
        log.warning("stopped before the cluster formed",
                    extra={"signal": signal.Signals(signum).name})
        os._exit(130)
    if _FLOW_RUNNING.is_set() and not _STOP.is_set():
        # A graceful stop: raising into Bytewax's worker would abort it (a Rust panic with a
        # backtrace) and drop the batch in flight. A second signal forces the exit.
        _STOP.set()
        log.warning("stopping: committing what is in flight (signal again to force)",
                    extra={"signal": signal.Signals(signum).name})
        return
    raise KeyboardInterrupt(f"signal {signum}")


def stop_on_signals() -> None:
    """Make SIGINT, SIGTERM and SIGHUP (the terminal closed) stop commands cleanly, also when a
    shell started us with SIGINT ignored: while a flow runs, the first signal makes its sources
    end (see :func:`stop_requested`) so it commits and returns; otherwise, or on a second signal,
    they raise :class:`KeyboardInterrupt` in the main thread so commands run their cleanup."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGHUP, _interrupt)


def run_flow(
    flow: Any,
    *,
    workers: int = 1,
    snapshot_s: float = 10.0,
    recovery_dir: Path | None = None,
    recovery_partitions: int | None = None,
    process_id: int | None = None,
    addresses: Sequence[str] | None = None,
    join_timeout_s: float = 120.0,
    gc_thresholds: tuple[int, int, int] | None = GC_THRESHOLDS,
) -> None:
    """Run ``flow`` until its sources end (or Ctrl-C); see the module docstring.

    ``gc_thresholds`` tunes the cyclic garbage collector for the run (``None``: leave it):
    the flow's state is a large graph of long-lived immutable objects, and with the default
    thresholds full collections of it (150-300 ms each at 10x scale) ran every few seconds and
    dominated the poll-to-commit p99.
    """
    from bytewax.run import cli_main

    if gc_thresholds is not None:
        gc.set_threshold(*gc_thresholds)

    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    global _MEMBER
    member = None
    if addresses and process_id is not None:
        if not 0 <= process_id < len(addresses):
            raise ConfigError(f"--process-id {process_id} is not a member of the "
                              f"{len(addresses)} --addresses (0 to {len(addresses) - 1})")
        member = Member(process_id, len(addresses), workers)
    recovery = None
    if recovery_dir is not None:
        procs = len(addresses) if addresses else 1
        recovery = ensure_recovery_dir(recovery_dir, recovery_partitions or workers * procs,
                                       member)
    _STOP.clear()
    _JOINED.clear()
    _MEMBER = member
    _FLOW_RUNNING.set()
    pipe = old_wakeup = None
    if member is not None and addresses:
        if threading.current_thread() is threading.main_thread():
            pipe = os.pipe()
            os.set_blocking(pipe[1], False)
            old_wakeup = signal.set_wakeup_fd(pipe[1], warn_on_full_buffer=False)
        threading.Thread(target=_join_watchdog,
                         args=(member, list(addresses), join_timeout_s,
                               pipe[0] if pipe else None),
                         name="cluster-join", daemon=True).start()
    try:
        cli_main(  # type: ignore[no-untyped-call]
            flow,
            workers_per_process=workers,
            process_id=process_id,
            addresses=list(addresses) if addresses else None,
            epoch_interval=timedelta(seconds=snapshot_s),
            recovery_config=recovery,
        )
    except Exception as exc:  # Bytewax reports a forced Ctrl-C/SIGTERM as a runtime error
        if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt) or (
            "signal received" in str(exc)
        ):
            raise KeyboardInterrupt from None
        cause = _our_error(exc)
        if cause is not None:  # e.g. a bad replay file: say it plainly, exit 2
            raise cause from None
        raise
    except BaseException as exc:  # pyo3's PanicException is not an Exception
        if member is not None and type(exc).__name__ == "PanicException":
            # A broken connection to a member panics the communication threads.
            raise ClusterError(
                f"cluster member {member.process_id} of {member.processes} stopped: the "
                "connection to another member broke (it died or was stopped); the whole "
                "cluster stops with it — restart every member (with --recovery-dir it "
                "resumes from the last snapshot)") from None
        raise
    finally:
        _FLOW_RUNNING.clear()
        _MEMBER = None
        if pipe is not None:
            signal.set_wakeup_fd(old_wakeup if old_wakeup is not None else -1)
            for fd in pipe:  # the watchdog ends with the flow (a closed pipe ends it too)
                os.close(fd)


def _our_error(exc: BaseException) -> QueuepulseError | None:
    """The queuepulse error a Bytewax runtime error wraps (a step raised it), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, QueuepulseError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def free_ports(n: int) -> list[int]:
    """``n`` currently free TCP ports on 127.0.0.1."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def spawn_cluster(argv: Sequence[str], processes: int, *, metrics_port: int = 0) -> int:
    """Run ``argv`` (a queuepulse command line, without the program) as ``processes`` cluster
    members on 127.0.0.1; return the worst exit code. Ctrl-C is passed on to every member.
    Member N serves /healthz and /metrics on ``metrics_port`` + N (0: none)."""
    ports = free_ports(processes)
    addresses = ",".join(f"127.0.0.1:{p}" for p in ports)
    children = [
        # Own sessions: a terminal's Ctrl-C reaches only this process, which passes it on
        # once (a member receiving it twice would force-stop instead of committing).
        subprocess.Popen([sys.executable, "-m", "queuepulse.cli", *argv,
                          "--process-id", str(i), "--addresses", addresses,
                          "--metrics-port", str(metrics_port + i if metrics_port else 0)],
                         start_new_session=True)
        for i in range(processes)
    ]
    try:
        # A member that fails (at start, or losing a peer) breaks the cluster: stop the others
        # at once instead of letting them wait out their join timeout.
        while None in (codes := [child.poll() for child in children]):
            failed = [code for code in codes if code not in (None, 0)]
            if failed:
                for child in children:
                    if child.poll() is None:
                        child.send_signal(signal.SIGINT)
                for child in children:
                    child.wait()
                return failed[0]  # the member that failed, not the ones stopped after it
            time.sleep(0.2)
        return max(child.wait() for child in children)
    except KeyboardInterrupt:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        return max(child.wait() for child in children)
