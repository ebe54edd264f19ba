"""``queuepulse grafana build | check | push`` — dashboards and alert rules as code."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from queuepulse.errors import ConfigError

DEFAULT_URL = "http://127.0.0.1:3000"


def _root(args: argparse.Namespace) -> Path:
    root = Path(args.root).resolve()
    if not (root / "pyproject.toml").exists() and not (root / "grafana").is_dir():
        raise ConfigError(
            f"{root} does not look like the queuepulse project root (no pyproject.toml or "
            "grafana/ folder); run from the project root or pass --root"
        )
    return root


def _build(args: argparse.Namespace) -> int:
    from queuepulse.grafana.render import write_all

    root = _root(args)
    changed = write_all(root)
    for rel in changed:
        print(f"wrote {rel}")
    print(f"grafana build: {len(changed)} file(s) changed under {root / 'grafana'}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from queuepulse.grafana.render import check_all

    drift = check_all(_root(args))
    if drift.clean:
        print("grafana check: committed files match the code")
        return 0
    print(drift.summary(), file=sys.stderr)
    print(
        "grafana check: drift between code and committed files; run `queuepulse grafana build` "
        "and commit, or move your edits into queuepulse/grafana/",
        file=sys.stderr,
    )
    return 1


def _push(args: argparse.Namespace) -> int:
    from queuepulse.grafana.push import PushOptions, connect, push

    token = os.environ.get(args.token_env) or None
    if token is None and not args.anonymous:
        raise ConfigError(
            f"no Grafana token: set {args.token_env} to a service-account token "
            "(or pass --anonymous for a Grafana without auth)"
        )
    options = PushOptions(
        db_url=args.db_url,
        db_name=args.db_name,
        db_user=args.db_user,
        db_password=os.environ.get(args.db_password_env),
        set_policy=args.policy,
    )
    report = push(connect(args.url, token, args.timeout), options)
    for line in report.lines():
        print(line)
    print(f"grafana push: done ({args.url})")
    return 0


def register(subparsers: Any) -> None:
    """Add the ``grafana`` command group."""
    parser = subparsers.add_parser(
        "grafana",
        help="generate, verify and install Grafana dashboards and alert rules",
        description="Dashboards, provisioning files and alert rules as code.",
    )
    sub = parser.add_subparsers(dest="grafana_command", metavar="SUBCOMMAND", required=True)

    def with_root(p: argparse.ArgumentParser) -> None:
        p.add_argument("--root", default=".", help="project root holding grafana/ (default: .)")

    build = sub.add_parser("build", help="regenerate grafana/dashboards and grafana/provisioning")
    with_root(build)
    build.set_defaults(handler=_build)

    check = sub.add_parser("check", help="exit 1 with a diff summary if committed files drift")
    with_root(check)
    check.set_defaults(handler=_check)

    push = sub.add_parser("push", help="install into a running Grafana over its HTTP API")
    push.add_argument(
        "--url",
        default=os.environ.get("QUEUEPULSE_GRAFANA_URL", DEFAULT_URL),
        help=f"Grafana URL (default: $QUEUEPULSE_GRAFANA_URL or {DEFAULT_URL})",
    )
    push.add_argument(
        "--token-env",
        default="QUEUEPULSE_GRAFANA_TOKEN",
        help="environment variable holding the service-account token "
        "(default: QUEUEPULSE_GRAFANA_TOKEN)",
    )
    push.add_argument("--anonymous", action="store_true", help="push without a token")
    push.add_argument("--db-url", help="host:port of TimescaleDB as Grafana reaches it")
    push.add_argument("--db-name", help="database name (default: queuepulse)")
    push.add_argument(
        "--db-user", help="read-only login, a member of queuepulse_reader (default: grafana)"
    )
    push.add_argument(
        "--db-password-env",
        default="QUEUEPULSE_GRAFANA_DB_PASSWORD",
        help="environment variable holding the read-only login's password",
    )
    push.add_argument(
        "--policy",
        action="store_true",
        help="also set the notification policy tree (replaces the organisation's tree)",
    )
    push.add_argument("--timeout", type=float, default=10.0, help="HTTP timeout in seconds")
    push.set_defaults(handler=_push)
