"""``queuepulse run``: the production flows against a PBX URL and a DSN.

Each sub-command lives in its own module, ``queuepulse/commands/run_<name>.py``, exposing
``register(run_subparsers)`` (add a parser, ``set_defaults(handler=...)``). To add one, append its
module name to :data:`RUN_SUBCOMMANDS`. Modules not written yet are skipped, so ``run`` works
while the others are being built.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

from queuepulse.commands.options import add_dsn_option

RUN_SUBCOMMANDS: tuple[str, ...] = ("run_live", "run_reconcile", "run_sync", "run_forecast")
"""``queuepulse.commands.<module>`` for each ``run`` sub-command, in ``--help`` order."""


def add_target_options(parser: argparse.ArgumentParser) -> None:
    """The options every ``run`` sub-command shares: which PBX, which database.

    Values left out come from the settings (``QUEUEPULSE_PBX__URL``, ``QUEUEPULSE_DB__DSN``...).
    """
    parser.add_argument("--url", help="PBX root URL (default: QUEUEPULSE_PBX__URL)")
    add_dsn_option(parser)
    parser.add_argument("--pbx-id", help="name of this PBX in every table (default: settings)")
    parser.add_argument("--client-id", help="XAPI client id (default: QUEUEPULSE_PBX__CLIENT_ID)")


def check_url_option(url: str | None) -> None:
    """A ``--url`` that is not an ``http(s)://host`` URL: :class:`ConfigError`, before any
    network (a URL without a scheme would fail only after the retries)."""
    from queuepulse.errors import ConfigError
    from queuepulse.settings import check_pbx_url

    if url is None:
        return
    try:
        check_pbx_url(url)
    except ValueError as exc:
        raise ConfigError(f"--url: {exc}") from None


def settings_from_args(args: argparse.Namespace) -> Any:
    """The settings object with the shared ``run`` options applied on top."""
    from queuepulse.settings import load_settings

    base = load_settings()
    check_url_option(getattr(args, "url", None))
    pbx = base.pbx.model_copy(
        update={
            k: v
            for k, v in {
                "url": getattr(args, "url", None),
                "pbx_id": getattr(args, "pbx_id", None),
                "client_id": getattr(args, "client_id", None),
            }.items()
            if v is not None
        }
    )
    db = base.db
    if getattr(args, "dsn", None):
        from pydantic import SecretStr

        db = db.model_copy(update={"dsn": SecretStr(args.dsn)})
    return base.model_copy(update={"pbx": pbx, "db": db})


def register(subparsers: Any) -> None:
    """Add ``run`` and its sub-commands."""
    parser = subparsers.add_parser(
        "run", help="run a production flow (sync, live, reconcile, forecast)",
        description="Run a production flow against a PBX and a database.",
    )
    run_sub = parser.add_subparsers(dest="run_command", metavar="FLOW", required=True)
    for name in RUN_SUBCOMMANDS:
        try:
            module = importlib.import_module(f"queuepulse.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"queuepulse.commands.{name}":
                continue
            raise
        module.register(run_sub)
