"""Running the live flow: Bytewax execution, recovery directories, multi-process clusters.

:func:`run_flow` executes a dataflow in this process (``bytewax.run.cli_main``: workers,
optional cluster membership, epoch/snapshot interval, recovery). :func:`ensure_recovery_dir`
initialises a recovery directory the first time (what ``python -m bytewax.recovery DIR N``
does) and reuses it afterwards, so a restarted flow resumes from its last snapshot.
:func:`spawn_cluster` starts ``n`` copies of a command line as one Bytewax cluster on
127.0.0.1 (each with ``--process-id`` and ``--addresses``) and waits for them.
"""

from __future__ import annotations

import gc
import logging
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from queuepulse.errors import ConfigError, QueuepulseError

__all__ = [
    "GC_THRESHOLDS", "ensure_recovery_dir", "flow_running", "free_ports", "request_stop",
    "run_flow",
    "spawn_cluster", "stop_on_signals", "stop_requested",
]

log = logging.getLogger(__name__)

#: Cyclic-GC thresholds for flow processes (default Python: 700, 10, 10).
GC_THRESHOLDS: tuple[int, int, int] = (50_000, 20, 100)


def ensure_recovery_dir(directory: Path, partitions: int) -> Any:
    """A :class:`bytewax.recovery.RecoveryConfig` for ``directory``, initialising ``partitions``
    empty recovery partitions when it holds none yet."""
    from bytewax.recovery import RecoveryConfig, init_db_dir

    directory.mkdir(parents=True, exist_ok=True)
    existing = list(directory.glob("part-*.sqlite3"))
    if not existing:
        init_db_dir(directory, partitions)  # type: ignore[no-untyped-call]
        log.info("recovery directory initialised",
                 extra={"dir": str(directory), "partitions": partitions})
    else:
        log.info("resuming from recovery directory",
                 extra={"dir": str(directory), "partitions": len(existing)})
    return RecoveryConfig(directory)  # type: ignore[no-untyped-call]


_STOP = threading.Event()
_FLOW_RUNNING = threading.Event()


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
    recovery = None
    if recovery_dir is not None:
        procs = len(addresses) if addresses else 1
        recovery = ensure_recovery_dir(recovery_dir, recovery_partitions or workers * procs)
    _STOP.clear()
    _FLOW_RUNNING.set()
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
    finally:
        _FLOW_RUNNING.clear()


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


def spawn_cluster(argv: Sequence[str], processes: int) -> int:
    """Run ``argv`` (a queuepulse command line, without the program) as ``processes`` cluster
    members; return the worst exit code. Ctrl-C is passed on to every member."""
    ports = free_ports(processes)
    addresses = ";".join(f"127.0.0.1:{p}" for p in ports)
    children = [
        # Own sessions: a terminal's Ctrl-C reaches only this process, which passes it on
        # once (a member receiving it twice would force-stop instead of committing).
        subprocess.Popen([sys.executable, "-m", "queuepulse.cli", *argv,
                          "--process-id", str(i), "--addresses", addresses],
                         start_new_session=True)
        for i in range(processes)
    ]
    try:
        return max(child.wait() for child in children)
    except KeyboardInterrupt:
        for child in children:
            child.send_signal(signal.SIGINT)
        return max(child.wait() for child in children)
