"""``queuepulse replay FILE``: feed a recording through the live flow into the database."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from queuepulse.commands.cluster_options import add_cluster_options, cluster_from_args
from queuepulse.commands.options import add_dsn_option


def register(subparsers: Any) -> None:
    """Add ``replay``."""
    parser = subparsers.add_parser(
        "replay", help="feed a JSON Lines recording through the live flow",
        description=(
            "Replay a recording made by `queuepulse record` (a .jsonl/.jsonl.gz file or a "
            "directory of rotated files) through the same live flow, into the database. "
            "Idempotent: replaying twice leaves the tables as replaying once. Serves /healthz "
            "(ready while the replay runs and the database is up) and the live flow's /metrics."
        ),
    )
    parser.add_argument("file", type=Path, help="recording file or directory")
    add_dsn_option(parser)
    parser.add_argument("--speed", type=float, default=None,
                        help="pace by the recorded times, N times faster (default: flat out)")
    parser.add_argument("--workers", type=int, default=1, help="Bytewax workers (default 1)")
    parser.add_argument("--recovery-dir", type=Path, default=None,
                        help="Bytewax recovery directory (created on first use; a rerun "
                             "resumes from the last snapshot; default: none)")
    parser.add_argument("--snapshot-s", type=float, default=10.0,
                        help="epoch / recovery snapshot interval in seconds (default 10)")
    parser.add_argument("--kpi-lateness-s", type=float, default=300.0,
                        help="seconds a KPI fact may come late and still correct its minute "
                             "(default 300)")
    parser.add_argument("--metrics-port", type=int, default=None,
                        help="port of /healthz (ready while the replay runs) and /metrics "
                             "(default: settings, 9464; 0 = off; a port in use is logged and "
                             "the replay goes on without)")
    add_cluster_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Replay the file; print what was written."""
    from pydantic import SecretStr

    from queuepulse.errors import ConfigError
    from queuepulse.live.commit_latency import CommitRecorder
    from queuepulse.live.config import LiveFlowConfig
    from queuepulse.live.service import ServiceOptions, run_live_service
    from queuepulse.settings import load_settings
    from queuepulse.xapi.replay_file import check_replay

    # fail early, naming the file, when it is missing or not a recording
    check_replay(args.file)
    if args.speed is not None and args.speed <= 0:
        raise ConfigError(f"--speed must be positive, got {args.speed:g}")
    settings = load_settings()
    if args.dsn:
        settings = settings.model_copy(
            update={"db": settings.db.model_copy(update={"dsn": SecretStr(args.dsn)})})
    config = LiveFlowConfig.from_settings(
        settings, replay=args.file, replay_speed=args.speed, load_known=False,
        kpi_lateness_s=args.kpi_lateness_s,
    )
    port = args.metrics_port if args.metrics_port is not None else (
        settings.observability.metrics_port)
    cluster = cluster_from_args(args, settings)
    recorder = CommitRecorder(keep=True)
    started = time.monotonic()
    run_live_service(config, ServiceOptions(
        workers=args.workers, snapshot_s=args.snapshot_s, recovery_dir=args.recovery_dir,
        process_id=cluster.process_id, addresses=cluster.addresses,
        join_timeout_s=cluster.join_timeout_s,
        metrics_host=settings.observability.metrics_host, metrics_port=port,
        metrics_required=False), recorder=recorder)
    print(f"replayed {args.file}: {len(recorder.samples)} polls committed in "
          f"{time.monotonic() - started:.1f} s")
    return 0
