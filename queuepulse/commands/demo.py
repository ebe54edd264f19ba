"""``queuepulse demo``: simulator + local TimescaleDB + migrations + live flow + a summary."""

from __future__ import annotations

import argparse
import contextlib
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add ``demo``."""
    parser = subparsers.add_parser(
        "demo", help="the embedded default: simulated PBX, local TimescaleDB, live flow",
        description=(
            "Start a simulated 3CX PBX and a local PostgreSQL+TimescaleDB cluster (in "
            "--data-dir), apply the migrations, run the live flow (with the Queues/Users sync) "
            "against them and print a per-queue summary every second. Ctrl-C stops everything, "
            "including the cluster it started."
        ),
    )
    parser.add_argument("--minutes", type=float, default=None,
                        help="stop after this many (wall) minutes (default: until Ctrl-C)")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="simulated seconds per wall second (polls keep pace; default 1)")
    parser.add_argument("--queues", type=int, default=8, help="simulated queues (default 8)")
    parser.add_argument("--agents", type=int, default=40, help="simulated agents (default 40)")
    parser.add_argument("--seed", type=int, default=1, help="simulation seed (default 1)")
    parser.add_argument("--calls-per-min", type=float, default=1.0,
                        help="peak arrivals per queue and minute (default 1: a busy but staffed "
                             "centre; 2 overloads the default 40 agents)")
    parser.add_argument(
        "--answered-callee", choices=["queue", "agent"], default="agent",
        help="Callee of an answered queue call in the simulated ActiveCalls: the agent's DN "
             "(default; agents talking/free are then visible) or the queue's DN (agents on "
             "queue calls are then invisible to ActiveCalls: the PBX shows the call as "
             "talking to the queue, not to the agent)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="cluster data directory (default: QUEUEPULSE_DB__DATA_DIR, "
                             ".queuepulse/pgdata)")
    parser.add_argument("--db-port", type=int, default=None,
                        help="cluster port (default: QUEUEPULSE_DB__PORT, 55432)")
    parser.add_argument("--metrics-port", type=int, default=None,
                        help="/healthz and /metrics port (default: settings, 9464; 0 = off)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the demo until --minutes pass or Ctrl-C."""
    from pydantic import SecretStr

    from queuepulse.errors import ConfigError
    from queuepulse.live.config import LiveFlowConfig
    from queuepulse.live.runner import stop_on_signals, stop_requested
    from queuepulse.live.service import ServiceOptions, run_live_service
    from queuepulse.settings import load_settings
    from queuepulse.simulator.config import SimulatorConfig
    from queuepulse.simulator.model.config import ModelConfig
    from queuepulse.simulator.server import run_simulator
    from queuepulse.store.db import connect
    from queuepulse.store.localdb import LocalCluster
    from queuepulse.store.migrations import load_migrations, upgrade

    if args.speed <= 0 or args.queues < 1 or args.agents < 1:
        raise ConfigError("--speed, --queues and --agents must be positive")
    if args.minutes is not None and args.minutes <= 0:
        raise ConfigError(f"--minutes must be positive, got {args.minutes:g} "
                          "(leave it out to run until Ctrl-C)")
    settings = load_settings()
    data_dir = _usable_data_dir(args.data_dir or settings.db.data_dir)
    stop_on_signals()  # a Ctrl-C while the cluster starts stops it too
    cluster = LocalCluster(data_dir, args.db_port or settings.db.port)
    print(f"starting the local TimescaleDB cluster in {cluster.data_dir} "
          f"(port {cluster.port})...", flush=True)
    dsn = cluster.ensure_running()
    try:
        with connect(dsn, autocommit=True) as conn:
            result = upgrade(conn, *load_migrations())
            start = _continue_from(conn)
        print(f"database ready ({len(result.applied)} migrations applied); query it while the "
              f"demo runs: psql '{dsn}'", flush=True)
        model = ModelConfig(seed=args.seed, queues=args.queues, agents=args.agents,
                            calls_per_min_per_queue=args.calls_per_min,
                            answered_callee=args.answered_callee)
        sim_config = SimulatorConfig(model=model, speed=args.speed, warmup_s=900,
                                     pbx_id="demo", start=start)
        with run_simulator(sim_config) as sim:
            print(f"simulated PBX at {sim.base_url} ({args.queues} queues, {args.agents} "
                  f"agents, speed x{args.speed:g})", flush=True)
            pbx = settings.pbx.model_copy(update={
                "pbx_id": "demo", "url": sim.base_url, "client_id": sim.client_id,
                "client_secret": SecretStr(sim.client_secret),
                "poll_interval_s": max(0.05, 1.0 / args.speed),
                "sync_interval_s": max(1.0, 60.0 / args.speed),
            })
            # the demo's login owns its throwaway database, so it also applies the retention
            db = settings.db.model_copy(update={"dsn": SecretStr(dsn),
                                                "retention_dsn": SecretStr(dsn)})
            config = LiveFlowConfig.from_settings(
                settings.model_copy(update={"pbx": pbx, "db": db}),
                run_for_s=args.minutes * 60 if args.minutes else None)
            port = (args.metrics_port if args.metrics_port is not None
                    else settings.observability.metrics_port)
            run_live_service(config, ServiceOptions(
                snapshot_s=5.0, metrics_host=settings.observability.metrics_host,
                metrics_port=port, metrics_required=False,  # a busy port must not stop it
                # the configuration before the first poll, stamped with the simulated PBX time
                config_clock=lambda: datetime.fromtimestamp(sim.now_ms() / 1000, UTC),
            ), while_running=lambda server: _summary(dsn, sim.base_url, args.minutes, server))
        _say("\nstopped: the last batch was committed" if stop_requested()
             else "demo finished")
        return 0
    except KeyboardInterrupt:
        _say("\nstopping...")
        return 0
    finally:
        cluster.stop()
        _say(f"local cluster stopped (data kept in {cluster.data_dir}; DSN was {dsn})")


def demo_footer(elapsed_s: float, minutes: float | None, metrics_port: int | None, dsn: str,
                pbx_url: str) -> str:
    """The lines under the demo's summary: how long it ran, and what a newcomer needs next
    while it runs (the database to query, the simulated PBX, /metrics) — kept on screen, not
    printed once before the per-second redraw erases them."""
    tail = f" of {minutes:g} min" if minutes else " (Ctrl-C to stop)"
    metrics = (f"; /metrics and /healthz: http://127.0.0.1:{metrics_port}/metrics"
               if metrics_port else "")
    return (f"running {elapsed_s:5.0f} s{tail}\n"
            f"query the database: psql '{dsn}'\n"
            f"simulated 3CX PBX: {pbx_url} (XAPI under /xapi/v1){metrics}")


@contextlib.contextmanager
def _summary(dsn: str, pbx_url: str, minutes: float | None, server: Any) -> Iterator[None]:
    """Print the per-queue summary every second while the flow runs."""
    from queuepulse.live.summary import SummaryPrinter

    started = time.monotonic()

    def footer() -> str:
        return demo_footer(time.monotonic() - started, minutes,
                           server.port if server is not None else None, dsn, pbx_url)

    printer = SummaryPrinter(dsn, "demo", footer=footer).start()
    try:
        yield
    finally:
        printer.stop()


def _usable_data_dir(path: Path) -> Path:
    """``path`` if the demo can keep its cluster there: an existing writable directory, or a
    missing one whose nearest existing parent is a writable directory. Otherwise a
    :class:`ConfigError` now, before anything starts."""
    import os
    import tempfile

    from queuepulse.errors import ConfigError

    where = path.absolute()
    existing = next((p for p in (where, *where.parents) if p.exists()), Path("/"))
    problem = None
    if not existing.is_dir():
        problem = f"{existing} is not a directory"
    else:
        try:  # really try (permissions alone say nothing for root or a read-only mount)
            os.rmdir(tempfile.mkdtemp(prefix=".queuepulse-probe-", dir=existing))
        except OSError as exc:
            problem = f"cannot create anything in {existing} ({exc.strerror})"
    if problem is not None:
        raise ConfigError(f"--data-dir {path}: {problem}; choose a directory you can write, "
                          "e.g. the default .queuepulse/pgdata")
    return path


def _say(text: str) -> None:
    """Print a closing line; a terminal that is already gone (SIGHUP) must not turn a clean
    stop into a traceback."""
    try:
        print(text, flush=True)
    except OSError:
        log.info(text.strip())


def _continue_from(conn: Any) -> datetime | None:
    """Where the simulated clock starts: now, or after the data a previous demo left when it
    ran ahead of the wall clock (``--speed`` > 1). Otherwise the summary's "latest gauges" and
    today's counts would mix that run's future rows with this one's until its time passed."""
    row = conn.execute("SELECT max(ts) FROM queue_live WHERE pbx_id = 'demo'").fetchone()
    latest: datetime | None = row[0] if row else None
    now = datetime.now(UTC)
    if latest is None or latest <= now:
        return None
    return latest + timedelta(seconds=1)
