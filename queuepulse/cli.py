"""The ``queuepulse`` command line.

Each command group lives in ``queuepulse/commands/<name>.py`` and exposes
``register(subparsers)``; the list below fixes their order in ``--help``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from queuepulse import __version__
from queuepulse.errors import QueuepulseError
from queuepulse.logs import configure_logging

COMMAND_MODULES: tuple[str, ...] = (
    "simulate", "db", "run", "record", "replay", "grafana", "targets", "demo", "queues",
    "staffing", "report",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="queuepulse",
        description=(
            "Real-time call-queue monitoring and analytics for 3CX v20. "
            "Settings come from QUEUEPULSE_* environment variables, .env and Docker secrets; "
            "options given here win."
        ),
    )
    parser.add_argument("--version", action="version", version=f"queuepulse {__version__}")
    parser.add_argument(
        "--log-level", default=None, choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log verbosity (default: QUEUEPULSE_OBSERVABILITY__LOG_LEVEL or INFO)",
    )
    parser.add_argument(
        "--log-format", default=None, choices=["text", "json"],
        help="log line format (default: QUEUEPULSE_OBSERVABILITY__LOG_FORMAT or text)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"queuepulse.commands.{name}")
        module.register(sub)
    return parser


def _configure_logging(args: argparse.Namespace) -> None:
    """Options win; otherwise QUEUEPULSE_OBSERVABILITY__LOG_LEVEL / __LOG_FORMAT (settings)."""
    level, fmt = args.log_level, args.log_format
    if level is None or fmt is None:
        from queuepulse.settings import load_settings

        observability = load_settings().observability
        level = level or observability.log_level
        fmt = fmt or observability.log_format
    configure_logging(level, fmt)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (2 for a clean error, 130 when interrupted)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _configure_logging(args)
        result = args.handler(args)
    except QueuepulseError as exc:
        print(f"queuepulse: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("queuepulse: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
