"""The cluster options of the commands that run the live flow (``run live``, ``replay``).

A cluster across hosts: every member runs the same command with the same PBX list, the same
``--addresses`` and its own ``--process-id`` (docs/cluster.md). Containers set
``QUEUEPULSE_CLUSTER__ADDRESSES`` and ``QUEUEPULSE_CLUSTER__PROCESS_ID`` instead.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from queuepulse.errors import ConfigError

__all__ = ["ClusterArgs", "add_cluster_options", "cluster_from_args"]


@dataclass(frozen=True)
class ClusterArgs:
    """This process's cluster membership (``process_id`` None: not a cluster member)."""

    process_id: int | None = None
    addresses: list[str] | None = None
    join_timeout_s: float = 120.0


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--addresses``, ``--process-id`` and ``--join-timeout-s``."""
    parser.add_argument(
        "--addresses", default=None, metavar="HOST:PORT,...",
        help="run as one member of a Bytewax cluster across hosts: host:port of every member, "
             "comma-separated, the same list on every member; PBXs are spread over all "
             "members' workers, member 0 runs the start-up checks and the retention "
             "(default: QUEUEPULSE_CLUSTER__ADDRESSES; none: a single process)")
    parser.add_argument(
        "--process-id", type=int, default=None, metavar="I",
        help="this member's index in --addresses, 0 to N-1 "
             "(default: QUEUEPULSE_CLUSTER__PROCESS_ID)")
    parser.add_argument(
        "--join-timeout-s", type=float, default=None, metavar="S",
        help="fail with a message when the other members are not all connected within S "
             "seconds of start (default: QUEUEPULSE_CLUSTER__JOIN_TIMEOUT_S, 120)")
    parser.add_argument("--startup-checked", action="store_true", help=argparse.SUPPRESS)


def cluster_from_args(args: argparse.Namespace, settings: Any, *,
                      processes: int = 1) -> ClusterArgs:
    """The membership from the options, falling back to ``settings.cluster``;
    :class:`ConfigError` when it is incomplete or contradicts ``--processes``."""
    from queuepulse.live.runner import parse_addresses

    text = args.addresses if args.addresses is not None else settings.cluster.addresses
    process_id = args.process_id if args.process_id is not None else (
        settings.cluster.process_id)
    timeout = args.join_timeout_s if args.join_timeout_s is not None else (
        settings.cluster.join_timeout_s)
    if timeout <= 0:
        raise ConfigError(f"--join-timeout-s must be positive, got {timeout:g}")
    if not text and process_id is None:
        return ClusterArgs(join_timeout_s=timeout)
    if not text:
        raise ConfigError("--process-id needs --addresses (host:port of every member, "
                          "comma-separated; or QUEUEPULSE_CLUSTER__ADDRESSES)")
    if process_id is None:
        raise ConfigError("--addresses needs --process-id: this member's index in the list, "
                          "0 to N-1 (or QUEUEPULSE_CLUSTER__PROCESS_ID)")
    if processes > 1:
        raise ConfigError("use --processes N (a cluster on this host) or --addresses with "
                          "--process-id (a member of a cluster across hosts), not both")
    addresses = parse_addresses(text)
    if not 0 <= process_id < len(addresses):
        raise ConfigError(f"--process-id {process_id} is not a member of the "
                          f"{len(addresses)} --addresses (0 to {len(addresses) - 1})")
    return ClusterArgs(process_id, addresses, timeout)
