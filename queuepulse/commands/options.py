"""Command-line options shared by several commands.

``--dsn`` never takes a password: anything on a command line is visible to every user of the
machine (``ps``, ``/proc/<pid>/cmdline``) and lands in shell history. A connection string with a
password is refused with the alternatives: ``QUEUEPULSE_DB__DSN`` (environment, ``.env`` or the
Docker secret ``/run/secrets/queuepulse_db__dsn``), or libpq's own ``PGPASSWORD`` /
``PGPASSFILE`` / ``~/.pgpass`` beside a password-less ``--dsn``.
"""

from __future__ import annotations

import argparse
import re

__all__ = ["DSN_HELP_NOTE", "add_dsn_option", "dsn_without_password"]

DSN_HELP_NOTE = (
    "never with a password (the process list shows it): put the password in "
    "QUEUEPULSE_DB__DSN (environment, .env or /run/secrets/queuepulse_db__dsn), or in "
    "PGPASSWORD / ~/.pgpass (PGPASSFILE) beside a password-less --dsn"
)

_URI_PASSWORD = re.compile(r"^[a-z]+://[^/?#@]*:[^/?#@]*@", re.IGNORECASE)
_KEY_PASSWORD = re.compile(r"(?:^|[\s&?])password\s*=", re.IGNORECASE)


def dsn_without_password(text: str) -> str:
    """argparse ``type`` of ``--dsn``: the text, unless it holds a password."""
    if _URI_PASSWORD.match(text.strip()) or _KEY_PASSWORD.search(text):
        raise argparse.ArgumentTypeError(
            "the connection string holds a password, which every user of this machine can read "
            "in the process list; give --dsn without it and put the password in "
            "QUEUEPULSE_DB__DSN (environment, .env or the Docker secret queuepulse_db__dsn) or "
            "in PGPASSWORD / ~/.pgpass"
        )
    return text


def add_dsn_option(parser: argparse.ArgumentParser, default: str = "QUEUEPULSE_DB__DSN") -> None:
    """Add ``--dsn`` (refusing passwords) with a help text naming where the default comes from."""
    parser.add_argument(
        "--dsn",
        type=dsn_without_password,
        default=None,
        help=f"libpq connection string (default: {default} from the settings); "
        + DSN_HELP_NOTE,
    )
