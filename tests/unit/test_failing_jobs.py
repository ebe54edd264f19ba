"""Jobs that cannot do what was asked fail loudly: exit code 2 and ONE line on stderr, before
any work — no retries, no database connection, no traceback, no Python error text.

Every case here points the command at a database and a PBX that do not exist
(``127.0.0.1:1``): had the command started working, the error would be a different one
(connection refused) — so the message asserted proves the check came first. The cases that
need a real database or PBX to prove "before any work" (refused credentials, metrics port
taken) are in tests/reconcile/test_reconcile_cli.py and tests/live/test_live_port_taken_db.py.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from queuepulse.cli import main

pytestmark = pytest.mark.unit

NOWHERE_DSN = "postgresql://nobody@127.0.0.1:1/none"
NOWHERE_URL = "http://127.0.0.1:1"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """A clean working directory and environment; ``main`` points the root logger at the
    (captured) stderr: undo it afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QUEUEPULSE_PBX__CLIENT_SECRET", "not-used")
    monkeypatch.setenv("QUEUEPULSE_DB__DSN", NOWHERE_DSN)
    monkeypatch.delenv("QUEUEPULSE_PBX__URL", raising=False)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _fails_with_one_line(argv: list[str], capsys: pytest.CaptureFixture[str],
                         *expected: str) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith("queuepulse: error: ")
    for text in expected:
        assert text in line, line
    for leak in ("Traceback", "__init__()", "unexpected keyword", "connection refused",
                 "cannot connect"):
        assert leak.lower() not in line.lower(), line
    return line


def test_reconcile_until_before_since(capsys: pytest.CaptureFixture[str]) -> None:
    _fails_with_one_line(
        ["run", "reconcile", "--url", NOWHERE_URL, "--since", "2026-01-08", "--until",
         "2026-01-01"], capsys, "--until 2026-01-01", "is not after --since 2026-01-08")
    _fails_with_one_line(  # an empty range does nothing either
        ["run", "reconcile", "--url", NOWHERE_URL, "--since", "2026-01-08", "--until",
         "2026-01-08"], capsys, "is not after")


def test_reconcile_since_in_the_future(capsys: pytest.CaptureFixture[str]) -> None:
    _fails_with_one_line(["run", "reconcile", "--url", NOWHERE_URL, "--since", "2999-01-01"],
                         capsys, "in the future")


def test_reconcile_period_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    _fails_with_one_line(["run", "reconcile", "--url", NOWHERE_URL, "--since", "2026-01-01",
                          "--period", "0"], capsys, "--period must be positive")


@pytest.mark.parametrize("content", [
    "2026-01-05 09:00:00 INFO something happened\n" * 153,  # a log file
    "pbx_id,queue,calls\ndefault,800,3\n",  # a CSV
    '{"kind": "ActiveCalls", "body": {}}\n',  # JSON, but not a replay record
    "",  # empty
])
def test_replay_of_a_file_that_is_not_a_recording(
    content: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "not-a-recording.jsonl"
    path.write_text(content)
    line = _fails_with_one_line(["replay", str(path), "--metrics-port", "0"], capsys,
                                str(path))
    assert "not a queuepulse recording" in line or "holds no records" in line


def test_replay_of_binary_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "random.jsonl.gz"
    path.write_bytes(b"\x00\x01\x02 not gzip at all")
    _fails_with_one_line(["replay", str(path)], capsys, "not a queuepulse recording")
    packed = tmp_path / "packed.jsonl.gz"
    packed.write_bytes(gzip.compress(b"\xff\xfe\xfd binary inside\n"))
    _fails_with_one_line(["replay", str(packed)], capsys, "not a queuepulse recording")


def test_pbx_file_with_an_unknown_key(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    pbxs = tmp_path / "pbxs.yaml"
    pbxs.write_text(f"- pbx_id: a\n  url: {NOWHERE_URL}\n"
                    f"- pbx_id: b\n  url: {NOWHERE_URL}\n  client_secrte: typo\n")
    _fails_with_one_line(["run", "live", "--pbx-file", str(pbxs), "--metrics-port", "0"],
                         capsys, "entry 1", "unknown key(s) client_secrte", "client_secret")


def test_pbx_file_with_a_url_without_scheme(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    pbxs = tmp_path / "pbxs.yaml"
    pbxs.write_text("- pbx_id: a\n  url: pbx.example.com\n")
    _fails_with_one_line(["run", "live", "--pbx-file", str(pbxs), "--metrics-port", "0"],
                         capsys, "entry 0", "needs a scheme")


@pytest.mark.parametrize("argv", [
    ["run", "live", "--url", "pbx.example.com", "--metrics-port", "0"],
    ["run", "sync", "--once", "--url", "pbx.example.com:5001"],
    ["run", "reconcile", "--url", "ftp://pbx.example.com", "--since", "2026-01-01"],
    ["record", "--url", "pbx.example.com", "--duration", "1", "--metrics-port", "0"],
])
def test_url_without_scheme_fails_before_any_request(
    argv: list[str], capsys: pytest.CaptureFixture[str],
) -> None:
    _fails_with_one_line(argv, capsys, "--url", "needs a scheme and a host")


def test_url_without_scheme_in_the_environment(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("QUEUEPULSE_PBX__URL", "pbx.example.com")
    _fails_with_one_line(["run", "sync", "--once"], capsys, "QUEUEPULSE_PBX__URL",
                         "needs a scheme")


@pytest.mark.parametrize(("spec", "expected"), [
    ('[{"kind": "reset", "endpont": "ActiveCalls"}]', "unknown key(s) endpont"),
    ('[{"kind": "status", "arg": 503, "probabilty": 0.5}]', "unknown key(s) probabilty"),
    ('[{"endpoint": "ActiveCalls"}]', "'kind' is missing"),
    ('{"kind": "reset"}', "must be a list of rule objects"),
    ('[1, 2]', "is not an object"),
    ("ActiveCall:status=503", "'ActiveCall' matches no endpoint"),
    ('[{"kind": "reset", "endpoint": "Queue"}]', "'Queue' matches no endpoint"),
    ("Reports*:status=500", "matches no endpoint"),
])
def test_fault_spec_with_unknown_keys_or_endpoints(
    spec: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    line = _fails_with_one_line(
        ["simulate", "--faults", spec, "--port", "1", "--client-secret-file",
         str(tmp_path / "secret")], capsys, "--faults", expected)
    assert "TypeError" not in line


def test_fault_spec_patterns_that_match_are_accepted() -> None:
    from queuepulse.simulator.faults import parse_fault_spec

    rules = parse_fault_spec("Report*:status=500; ReportStatisticSla:429; *:latency=0.1; "
                             "token:401@n2")
    assert [r.endpoint for r in rules] == ["Report*", "ReportStatisticSla", "*", "token"]
    assert parse_fault_spec(json.dumps([{"kind": "reset", "endpoint": "Active*"}]))[0].kind == (
        "reset")


@pytest.mark.parametrize("make_bad", [
    lambda tmp: tmp / "a-file" / "pgdata",  # under a regular file
    lambda tmp: Path("/proc/queuepulse-demo"),  # a directory nobody can create things in
])
def test_demo_data_dir_that_cannot_be_used(
    make_bad: object, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    bad = make_bad(tmp_path)  # type: ignore[operator]
    _fails_with_one_line(["demo", "--data-dir", str(bad), "--metrics-port", "0"], capsys,
                         "--data-dir", str(bad))
    assert not (tmp_path / ".queuepulse").exists()  # nothing started
