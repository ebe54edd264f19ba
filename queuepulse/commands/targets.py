"""``queuepulse targets``: per-queue SLA targets and alert thresholds (``queue_targets``).

Dashboards colour by these and the alert rules read them when they run, so a change takes
effect at the next refresh / evaluation — no ``grafana build``.
"""

from __future__ import annotations

import argparse
from typing import Any

from queuepulse.commands.options import add_dsn_option
from queuepulse.domain.targets import DEFAULTS_KEY, FIELDS

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``targets`` command group."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "targets",
        help="show and edit per-queue SLA targets and alert thresholds",
        description=(
            "Per-queue targets and alert thresholds, stored in the queue_targets table: SLA "
            "target %%, SLA time override, short-abandon threshold, longest-wait and "
            "abandon-rate alert thresholds. A queue without its own value uses the default "
            "(change it with --default). Dashboards and alert rules read the table when they "
            "run: no rebuild. Analysts may edit it with SQL too (the writer role)."
        ),
    )
    sub = parser.add_subparsers(dest="targets_command", metavar="SUBCOMMAND", required=True)
    show = sub.add_parser(
        "list", help="show every queue's targets after defaults",
        description="Print each current queue's effective targets; '*' marks a queue with its "
                    "own row. The first line is the defaults.",
    )
    edit = sub.add_parser(
        "set", help="set targets of one queue, or the defaults",
        description="Set one or more targets of a queue (--queue DN) or the defaults "
                    "(--default). Values out of range or an unknown queue: an error, nothing "
                    "written. Use 'default' as a value to drop a queue's own value.",
    )
    reset = sub.add_parser(
        "reset", help="drop a queue's own targets (it follows the defaults again)",
        description="Delete the queue's row in queue_targets.",
    )
    for p in (show, edit, reset):
        add_dsn_option(p)
        p.add_argument("--pbx", default=None, metavar="PBX_ID",
                       help="the PBX (default: QUEUEPULSE_PBX__PBX_ID)")
    which = edit.add_mutually_exclusive_group(required=True)
    which.add_argument("--queue", metavar="DN", help="queue number (DN), e.g. 800")
    which.add_argument("--default", action="store_true",
                       help="change the defaults every queue without its own value uses")
    for field in FIELDS:
        edit.add_argument(field.option, dest=field.column, default=None, metavar="VALUE",
                          type=_value, help=field.help)
    reset.add_argument("--queue", metavar="DN", required=True, help="queue number (DN)")
    show.set_defaults(handler=run_list)
    edit.set_defaults(handler=run_set)
    reset.set_defaults(handler=run_reset)


_DEFAULT = object()


def _value(text: str) -> Any:
    if text.strip().lower() == "default":
        return _DEFAULT
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def _settings_dsn_pbx(args: argparse.Namespace) -> tuple[str, str]:
    from queuepulse.settings import load_settings

    settings = None
    if not args.dsn or not args.pbx:
        settings = load_settings()
    dsn = args.dsn or (settings.db.dsn.get_secret_value() if settings else "")
    pbx = args.pbx or (settings.pbx.pbx_id if settings else "")
    return dsn, pbx


def _fmt(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:g} {unit}".strip()


def run_list(args: argparse.Namespace) -> int:
    """Handler of ``targets list``."""
    from queuepulse.store.db import connect
    from queuepulse.store.targets import default_targets, effective_targets

    dsn, _ = _settings_dsn_pbx(args)
    with connect(dsn, autocommit=True, application_name="queuepulse-targets") as conn:
        defaults = default_targets(conn)
        rows = effective_targets(conn, args.pbx)
    header = ["PBX", "queue", *(f.column for f in FIELDS)]
    table = [["(defaults)", "*", *(_fmt(defaults.get(f.column), f.unit) for f in FIELDS)]]
    for row in rows:
        table.append([row.pbx_id, row.queue_dn + (" *" if row.overridden else ""),
                      *(_fmt(row.values[f.column], f.unit) for f in FIELDS)])
    widths = [max(len(str(r[i])) for r in [header, *table]) for i in range(len(header))]
    for line in [header, *table]:
        print("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    if not rows:
        print("no current queues (run the sync first, or check --pbx)")
    return 0


def run_set(args: argparse.Namespace) -> int:
    """Handler of ``targets set``."""
    from queuepulse.domain.targets import validate_targets
    from queuepulse.store.db import connect
    from queuepulse.store.targets import set_targets

    values = {f.column: getattr(args, f.column) for f in FIELDS
              if getattr(args, f.column) is not None}
    values = {c: (None if v is _DEFAULT else v) for c, v in values.items()}
    validate_targets(values)  # bad values fail before any connection
    dsn, pbx = _settings_dsn_pbx(args)
    pbx_id, queue_dn = (DEFAULTS_KEY, DEFAULTS_KEY) if args.default else (pbx, args.queue)
    with connect(dsn, autocommit=True, application_name="queuepulse-targets") as conn:
        set_targets(conn, pbx_id, queue_dn, values)
    what = "defaults" if args.default else f"queue {queue_dn} on PBX {pbx_id}"
    changes = ", ".join(f"{c}={'default' if v is None else f'{v:g}'}" for c, v in values.items())
    print(f"targets of {what}: {changes}")
    return 0


def run_reset(args: argparse.Namespace) -> int:
    """Handler of ``targets reset``."""
    from queuepulse.store.db import connect
    from queuepulse.store.targets import clear_targets

    dsn, pbx = _settings_dsn_pbx(args)
    with connect(dsn, autocommit=True, application_name="queuepulse-targets") as conn:
        removed = clear_targets(conn, pbx, args.queue)
    state = "now follows the defaults" if removed else "had no own targets"
    print(f"queue {args.queue} on PBX {pbx} {state}")
    return 0
