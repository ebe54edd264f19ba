"""No command takes a password on its command line: every ``--dsn`` refuses one."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from queuepulse.cli import build_parser
from queuepulse.commands.options import dsn_without_password

pytestmark = pytest.mark.unit

WITH_PASSWORD = (
    "postgresql://writer:Hunter2secret@db.example.com:5432/queuepulse",
    "postgres://writer:Hunter2secret@db.example.com/queuepulse?sslmode=require",
    "postgresql://writer@db.example.com/queuepulse?password=Hunter2secret",
    "host=db.example.com user=writer password=Hunter2secret dbname=queuepulse",
    "host=db.example.com PASSWORD = 'Hunter2secret'",
)
WITHOUT = (
    "postgresql://writer@db.example.com:5432/queuepulse?sslmode=verify-full",
    "host=db.example.com user=writer dbname=queuepulse passfile=/run/secrets/pgpass",
    "postgresql:///queuepulse?host=/var/run/postgresql",
)


def _commands_with_dsn(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.Action]]:
    for action in parser._actions:  # argparse has no public walk of sub-parsers
        if "--dsn" in action.option_strings:
            yield path, action
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands_with_dsn(sub, (*path, name))


def test_every_dsn_option_refuses_passwords_and_says_where_they_go() -> None:
    found = {" ".join(path): action for path, action in _commands_with_dsn(build_parser())}
    assert {"db upgrade", "db status", "db retention", "db login-role", "db docs", "run live",
            "run sync", "run reconcile", "replay"} <= set(found)
    for command, action in found.items():
        assert action.type is dsn_without_password, command
        assert action.help is not None
        assert "QUEUEPULSE_DB__DSN" in action.help, command
        assert "process list" in action.help, command


@pytest.mark.parametrize("dsn", WITH_PASSWORD)
@pytest.mark.parametrize(
    "command", [["db", "upgrade"], ["db", "retention"], ["run", "live"], ["replay", "rec.jsonl"]]
)
def test_a_password_in_dsn_is_refused_without_echoing_it(
    dsn: str, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([*command, "--dsn", dsn])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Hunter2secret" not in err
    assert "process list" in err
    assert "QUEUEPULSE_DB__DSN" in err


@pytest.mark.parametrize("dsn", WITHOUT)
def test_a_dsn_without_password_is_taken(dsn: str) -> None:
    args = build_parser().parse_args(["db", "status", "--dsn", dsn])
    assert args.dsn == dsn
