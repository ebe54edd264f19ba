"""``queuepulse run live``: poll ActiveCalls (and Queues/Users) into the database, live."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from queuepulse.commands.cluster_options import add_cluster_options, cluster_from_args
from queuepulse.commands.run import add_target_options, settings_from_args


def register(run_subparsers: Any) -> None:
    """Add ``run live``."""
    parser = run_subparsers.add_parser(
        "live", help="the live flow: ActiveCalls lifecycle, queue visits, KPIs, gauges",
        description=(
            "Poll each PBX's ActiveCalls every QUEUEPULSE_PBX__POLL_INTERVAL_S (and Queues/Users "
            "every sync interval) and write call_events, queue_calls, queue_kpi_1m, queue_live, "
            "agent_states, pipeline_health and the dimensions. Serves /healthz and /metrics. "
            "Before polling it checks each PBX (client secret, one Queues/Users fetch) and the "
            "database, and writes the current configuration; it applies the retention "
            "(queuepulse_apply_retention) at start and daily when "
            "QUEUEPULSE_DB__RETENTION_DSN names a member of queuepulse_retention (the writer "
            "may not). Exits 2 with a message when a PBX or the database is unusable at start. "
            "Beyond one machine, run it on each host with the same PBX list, the same "
            "--addresses and that host's --process-id: one Bytewax cluster, PBXs spread over "
            "every member's workers (docs/cluster.md)."
        ),
    )
    add_target_options(parser)
    parser.add_argument("--pbx-file", type=Path, default=None,
                        help="YAML list of PBX sections, each a mapping of QUEUEPULSE_PBX__* "
                             "fields in lower case (pbx_id, url, client_id, client_secret, ...; "
                             "fields left out come from the settings); one partition per PBX "
                             "(default: the one PBX of the settings)")
    parser.add_argument("--workers", type=int, default=1,
                        help="Bytewax workers per process (default 1)")
    parser.add_argument("--processes", type=int, default=1,
                        help="run as a cluster of N local processes, PBXs spread over them "
                             "(default 1; across hosts: --addresses)")
    add_cluster_options(parser)
    parser.add_argument("--recovery-dir", type=Path, default=None,
                        help="Bytewax recovery directory (created on first use); a restarted flow "
                             "resumes from its last snapshot without double counting; in a "
                             "cluster each member keeps its share of the snapshots in its own "
                             "directory (default: none, a restart starts new lifecycle and KPI "
                             "state)")
    parser.add_argument("--snapshot-s", type=float, default=10.0,
                        help="epoch / recovery snapshot interval in seconds (default 10)")
    parser.add_argument("--metrics-port", type=int, default=None,
                        help="port of /healthz and /metrics (default: settings, 9464; "
                             "process N of --processes uses port + N; 0 = off)")
    parser.add_argument("--run-for", type=float, default=None,
                        help="stop after this many seconds (default: until Ctrl-C)")
    parser.add_argument("--kpi-lateness-s", type=float, default=300.0,
                        help="seconds a KPI fact may come late and still correct its minute "
                             "(default 300)")
    parser.add_argument("--no-sync", action="store_true",
                        help="write no queues/agents/queue_agents rows from the flow's own "
                             "Queues/Users fetches (use when `run sync` runs separately)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Run the live flow (or a local cluster of it)."""
    from queuepulse.live.config import LiveFlowConfig, load_pbx_file
    from queuepulse.live.service import ServiceOptions, run_live_service

    settings = settings_from_args(args)
    targets = load_pbx_file(args.pbx_file, settings.pbx) if args.pbx_file else None
    config = LiveFlowConfig.from_settings(
        settings, targets=targets, run_for_s=args.run_for, kpi_lateness_s=args.kpi_lateness_s,
        write_config=not args.no_sync, load_known=not args.no_sync)
    port = args.metrics_port if args.metrics_port is not None else (
        settings.observability.metrics_port)
    cluster = cluster_from_args(args, settings, processes=args.processes)
    return run_live_service(config, ServiceOptions(
        workers=args.workers, snapshot_s=args.snapshot_s, recovery_dir=args.recovery_dir,
        processes=args.processes, cluster_argv=_child_argv(sys.argv[1:]),
        process_id=cluster.process_id, addresses=cluster.addresses,
        join_timeout_s=cluster.join_timeout_s, startup_checked=args.startup_checked,
        metrics_host=settings.observability.metrics_host, metrics_port=port))


def _child_argv(argv: list[str]) -> list[str]:
    """The command line without ``--processes N`` (each child is one member)."""
    out: list[str] = []
    skip = False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg == "--processes":
            skip = i + 1 < len(argv)
            continue
        if arg.startswith("--processes="):
            continue
        out.append(arg)
    return out
