"""The ``queuepulse`` entry point: log settings, clean errors for bad settings, --help texts."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from queuepulse.cli import build_parser, main
from queuepulse.logs import JsonFormatter, TextFormatter

pytestmark = pytest.mark.unit

# A command that fails fast with a clean error, without touching the network.
BAD_DSN = ["db", "status", "--dsn", "host='unterminated"]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for key in list(os.environ):
        if key.upper().startswith("QUEUEPULSE_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _formatter() -> logging.Formatter | None:
    return logging.getLogger().handlers[0].formatter


def test_log_format_and_level_come_from_the_settings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QUEUEPULSE_OBSERVABILITY__LOG_FORMAT", "json")
    monkeypatch.setenv("QUEUEPULSE_OBSERVABILITY__LOG_LEVEL", "WARNING")
    assert main(BAD_DSN) == 2
    assert "not valid libpq syntax" in capsys.readouterr().err
    assert isinstance(_formatter(), JsonFormatter)
    assert logging.getLogger().level == logging.WARNING


def test_options_win_over_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUEUEPULSE_OBSERVABILITY__LOG_FORMAT", "json")
    assert main(["--log-format", "text", "--log-level", "DEBUG", *BAD_DSN]) == 2
    assert isinstance(_formatter(), TextFormatter)
    assert logging.getLogger().level == logging.DEBUG


def test_an_invalid_setting_names_its_variable_but_not_its_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QUEUEPULSE_PBX__POLL_INTERVAL_S", "-7.25")
    monkeypatch.setenv("QUEUEPULSE_OBSERVABILITY__LOG_FORMAT", "xml-secretish")
    assert main(BAD_DSN) == 2
    err = capsys.readouterr().err
    assert err.startswith("queuepulse: error: invalid setting(s): ")
    assert "QUEUEPULSE_PBX__POLL_INTERVAL_S" in err
    assert "QUEUEPULSE_OBSERVABILITY__LOG_FORMAT" in err
    assert "-7.25" not in err
    assert "xml-secretish" not in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["db upgrade", "db status", "db login-role"])
def test_db_help_texts_say_where_the_dsn_comes_from(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([*command.split(), "--help"])
    assert info.value.code == 0
    assert "QUEUEPULSE_DB__DSN" in capsys.readouterr().out
