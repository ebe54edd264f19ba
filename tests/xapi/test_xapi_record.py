"""Replay file format (rotating writer, reader), the recorder loop and the record command."""

from __future__ import annotations

import argparse
import gzip
import json
import socket
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from xapi_fakes import SECRET, FakeClock, Pbx

from queuepulse.domain.pbx_config import collection_rows, parse_config
from queuepulse.domain.snapshot import parse_active_calls, poll_from_body
from queuepulse.xapi.errors import ReplayFormatError
from queuepulse.xapi.recorder import Recorder, RecordProgress
from queuepulse.xapi.replay_file import (
    ReplayRecord,
    RotatingJsonlWriter,
    iter_replay,
    parse_line,
)

pytestmark = pytest.mark.unit

AT = datetime(2025, 1, 1, 12, tzinfo=UTC)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rec(i: int, kind: str = "active_calls") -> ReplayRecord:
    return ReplayRecord(kind=kind, pbx_id="p1", received_at=AT, body={"value": [{"Id": i}]})


def test_round_trip_and_line_shape(tmp_path: Path) -> None:
    with RotatingJsonlWriter(tmp_path) as writer:
        for i in range(3):
            writer.write(rec(i))
    (file,) = writer.files
    first = json.loads(file.read_text().splitlines()[0])
    assert set(first) == {"kind", "pbx_id", "received_at", "body"}
    assert first["received_at"] == "2025-01-01T12:00:00+00:00"
    assert list(iter_replay(file)) == [rec(0), rec(1), rec(2)]


def test_rotation_by_lines_and_bytes_and_numbering_continues(tmp_path: Path) -> None:
    with RotatingJsonlWriter(tmp_path, max_lines=2, max_bytes=None) as writer:
        for i in range(5):
            writer.write(rec(i))
    assert [f.name for f in writer.files] == [
        "xapi-00001.jsonl",
        "xapi-00002.jsonl",
        "xapi-00003.jsonl",
    ]
    line_len = len(rec(0).to_line().encode())
    with RotatingJsonlWriter(tmp_path, max_bytes=line_len * 2) as writer2:
        for i in range(5, 9):
            writer2.write(rec(i))
    assert [f.name for f in writer2.files] == ["xapi-00004.jsonl", "xapi-00005.jsonl"]
    got = [r.body["value"][0]["Id"] for r in iter_replay(tmp_path)]
    assert got == list(range(9))
    assert writer2.bytes_written == line_len * 4


def test_oversized_record_still_written_alone(tmp_path: Path) -> None:
    with RotatingJsonlWriter(tmp_path, max_bytes=10) as writer:
        writer.write(rec(1))
        writer.write(rec(2))
    assert len(writer.files) == 2


def test_reader_skips_blank_and_cut_last_line_and_reads_gz(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(rec(1).to_line() + "\n" + rec(2).to_line() + '{"kind": "active_ca')
    assert [r.body["value"][0]["Id"] for r in iter_replay(path)] == [1, 2]
    gz = tmp_path / "b.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as handle:
        handle.write(rec(3).to_line())
    assert [r.body["value"][0]["Id"] for r in iter_replay(gz)] == [3]


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("not json\n", "not JSON"),
        ("[1]\n", "expected a JSON object"),
        ('{"kind": "active_calls"}\n', "missing pbx_id, received_at, body"),
        ('{"kind": "calls", "pbx_id": "p", "received_at": "2025-01-01T00:00:00Z", "body": 1}\n',
         "kind 'calls'"),
        ('{"kind": "users", "pbx_id": "p", "received_at": "noon", "body": 1}\n', "received_at"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, line: str, match: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(rec(1).to_line() + line + rec(2).to_line())
    with pytest.raises(ReplayFormatError, match=match) as info:
        list(iter_replay(path))
    assert f"{path}:2" in str(info.value)


@pytest.mark.parametrize("line", ["not json\n", '{"kind": "active_calls"}\n'])
def test_bad_lines_can_be_reported_and_skipped(tmp_path: Path, line: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(rec(1).to_line() + line + rec(2).to_line())
    bad: list[ReplayFormatError] = []
    assert list(iter_replay(path, on_bad_line=bad.append)) == [rec(1), rec(2)]
    assert [f"{path}:2" in str(e) for e in bad] == [True]


def test_z_suffix_and_naive_received_at() -> None:
    line = '{"kind":"queues","pbx_id":"p","received_at":"2025-01-01T12:00:00Z","body":{}}'
    assert parse_line(line).received_at == AT
    naive = line.replace("Z", "")
    assert parse_line(naive).received_at == AT


def test_missing_path_and_empty_dir(tmp_path: Path) -> None:
    with pytest.raises(ReplayFormatError, match="no such replay file"):
        list(iter_replay(tmp_path / "nope.jsonl"))
    with pytest.raises(ReplayFormatError, match=r"no \.jsonl"):
        list(iter_replay(tmp_path))


# --- recorder ----------------------------------------------------------------------------


def _pbx_with_calls(fail_polls: set[int] | None = None) -> Pbx:
    pbx = Pbx()
    counter = {"n": 0}

    def calls(request: httpx.Request) -> httpx.Response:
        counter["n"] += 1
        if fail_polls and counter["n"] in fail_polls:
            return httpx.Response(404, json={"error": {"code": "x", "message": "gone"}})
        return httpx.Response(200, json={"value": [{"Id": counter["n"]}, {"Id": 100}]})

    pbx.routes["/ActiveCalls"] = calls
    pbx.routes["/Queues"] = lambda r: httpx.Response(200, json={"value": [{"Id": 1}]})
    pbx.routes["/Users"] = lambda r: httpx.Response(200, json={"value": [{"Number": "100"}]})
    return pbx


async def test_recorder_polls_syncs_writes_and_counts(
    tmp_path: Path, make_client, clock: FakeClock
) -> None:
    pbx = _pbx_with_calls(fail_polls={3})
    seen: list[int] = []
    async with make_client(pbx) as xapi:
        writer = RotatingJsonlWriter(tmp_path, max_lines=4)
        recorder = Recorder(
            xapi,
            writer,
            pbx_id="p1",
            poll_interval_s=1.0,
            sync_interval_s=5.0,
            clock=clock,
            sleep=clock.sleep,
            on_progress=lambda p: seen.append(p.polls),
        )
        await recorder.run(duration_s=10.0)
    progress = recorder.progress
    assert progress.polls == 9  # 10 ticks, one failed with 404
    assert progress.errors == 1
    assert "gone" in (progress.last_error or "")
    assert progress.calls == 18
    assert progress.syncs == 2  # at 0 s and 5 s
    records = list(iter_replay(tmp_path))
    kinds = [r.kind for r in records]
    assert kinds.count("active_calls") == 9
    assert kinds.count("queues") == 2
    assert kinds.count("users") == 2
    assert kinds[:3] == ["queues", "users", "active_calls"]
    assert {r.pbx_id for r in records} == {"p1"}
    assert records[2].body == {"value": [{"Id": 1}, {"Id": 100}]}  # the raw body, verbatim
    assert records[2].received_at == datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=1000)
    assert records[3].received_at - records[2].received_at == timedelta(seconds=1)
    assert progress.bytes == sum(f.stat().st_size for f in writer.files)
    assert len(writer.files) == 4  # 13 lines, 4 per file
    assert clock.sleeps == [1.0] * 10  # fixed grid, the last wait ends at the duration
    assert seen[-1] == 9
    users_query = next(r for r in pbx.requests if r.url.path.endswith("/Users")).url.params
    assert "QueueStatus" in users_query["$select"]
    queues_query = next(r for r in pbx.requests if r.url.path.endswith("/Queues")).url.params
    assert queues_query["$expand"] == "Agents"


async def test_recorder_skips_ticks_overrun_by_a_slow_poll(
    tmp_path: Path, make_client, clock: FakeClock
) -> None:
    pbx = _pbx_with_calls()
    slow = pbx.routes["/ActiveCalls"]

    def slow_calls(request: httpx.Request) -> httpx.Response:
        clock.advance(2.5)  # this poll takes 2.5 intervals
        return slow(request)

    pbx.routes["/ActiveCalls"] = slow_calls
    async with make_client(pbx, retry_budget_s=10.0, timeout_s=10.0) as xapi:
        recorder = Recorder(
            xapi, RotatingJsonlWriter(tmp_path), pbx_id="p", poll_interval_s=1.0,
            sync_interval_s=100.0, clock=clock, sleep=clock.sleep,
        )
        await recorder.run(duration_s=6.0)
    assert recorder.progress.polls == 2  # at 0 and 3 s; never bunched catch-up polls
    assert all(s == pytest.approx(0.5) for s in clock.sleeps)


# --- the command -------------------------------------------------------------------------


def test_record_command_writes_files_and_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from queuepulse.commands import record
    from queuepulse.xapi import client as client_module
    from queuepulse.xapi import recorder as recorder_module

    clock = FakeClock()
    pbx = _pbx_with_calls()
    real_client = client_module.XapiClient
    real_recorder = recorder_module.Recorder

    class MockClient(real_client):  # type: ignore[misc,valid-type]
        def __init__(self, settings, **kwargs) -> None:  # type: ignore[no-untyped-def]
            assert settings.client_secret.get_secret_value() == SECRET
            assert settings.url == "https://other.pbx"
            super().__init__(settings, transport=httpx.MockTransport(pbx), clock=clock)

    port = _free_port()
    scraped: list[str] = []

    async def sleep(seconds: float) -> None:  # between polls: read the served /metrics
        if not scraped:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
                scraped.append(resp.read().decode())
        await clock.sleep(seconds)

    class FakeTimeRecorder(real_recorder):  # type: ignore[misc,valid-type]
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, clock=clock, sleep=sleep, **kwargs)

    monkeypatch.setattr(client_module, "XapiClient", MockClient)
    monkeypatch.setattr(recorder_module, "Recorder", FakeTimeRecorder)
    monkeypatch.setenv("QUEUEPULSE_PBX__CLIENT_SECRET", SECRET)
    parser = argparse.ArgumentParser()
    record.register(parser.add_subparsers())
    out = tmp_path / "rec"
    args = parser.parse_args(
        ["record", "--out", str(out), "--duration", "3", "--interval", "1",
         "--url", "https://other.pbx", "--pbx-id", "site-a", "--metrics-port", str(port)]
    )
    assert args.handler(args) == 0
    # record's own collectors, not the live flow's poll collectors
    assert 'queuepulse_record_polls_total{pbx_id="site-a"} 1.0' in scraped[0]
    assert "queuepulse_polls_total" not in scraped[0]
    assert "queuepulse_sync_runs" not in scraped[0]
    printed = capsys.readouterr()
    assert "record done: polls=3 calls=6" in printed.out
    assert SECRET not in printed.out + printed.err
    records = list(iter_replay(out))
    assert {r.pbx_id for r in records} == {"site-a"}
    assert [r.kind for r in records].count("active_calls") == 3


def test_record_command_rejects_bad_numbers() -> None:
    from queuepulse.commands import record
    from queuepulse.errors import ConfigError

    parser = argparse.ArgumentParser()
    record.register(parser.add_subparsers())
    args = parser.parse_args(["record", "--duration", "-1"])
    with pytest.raises(ConfigError, match="--duration must be > 0"):
        args.handler(args)


def test_records_are_read_by_the_live_parsers() -> None:
    """A record's body is what the live poller gets: read by the same tolerant parsers."""
    calls = ReplayRecord("active_calls", "p", AT, {"value": [
        {"Id": 1, "Status": "Talking"}, {"Id": "x"}]})
    poll = poll_from_body(calls.pbx_id, calls.received_at, calls.body)
    assert [c.id for c in poll.calls] == [1]
    assert poll.problems > 0
    queues = ReplayRecord("queues", "p", AT, {"value": [{"Number": "800", "Agents": []}]})
    users = ReplayRecord("users", "p", AT, {"@odata.count": 1, "value": [{"Number": "100"}]})
    config = parse_config(collection_rows(queues.body), collection_rows(users.body))
    assert (set(config.queues), set(config.agents)) == ({"800"}, {"100"})


async def test_recorder_stops_when_the_stop_event_is_set(
    tmp_path: Path, make_client, clock: FakeClock
) -> None:
    import asyncio

    stop = asyncio.Event()
    async with make_client(_pbx_with_calls()) as xapi:
        recorder = Recorder(
            xapi, RotatingJsonlWriter(tmp_path), pbx_id="p", clock=clock, sleep=clock.sleep,
            on_progress=lambda p: stop.set() if p.polls == 3 else None,
        )
        await recorder.run(stop=stop)  # no duration: only the event ends it
    assert recorder.progress.polls == 3
    assert recorder.writer.current is None  # file closed


async def test_recorder_stops_when_the_credentials_are_refused(
    tmp_path: Path, make_client, clock: FakeClock
) -> None:
    """A refused secret fails every poll alike: stop (files closed) instead of looping."""
    from queuepulse.xapi.errors import AuthError

    pbx = _pbx_with_calls()

    def revoke(progress: RecordProgress) -> None:
        if progress.polls == 2:
            pbx.token_status = 401  # the secret is revoked on the PBX
            pbx.valid_tokens = set()

    async with make_client(pbx) as xapi:
        recorder = Recorder(
            xapi, RotatingJsonlWriter(tmp_path), pbx_id="p", clock=clock, sleep=clock.sleep,
            on_progress=revoke,
        )
        with pytest.raises(AuthError, match="refused"):
            await recorder.run(duration_s=100.0)
    assert recorder.progress.polls == 2
    assert recorder.progress.errors == 1
    assert recorder.writer.current is None  # file closed
    assert [r.kind for r in iter_replay(tmp_path)].count("active_calls") == 2


def test_record_command_needs_a_client_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from queuepulse.commands import record
    from queuepulse.errors import ConfigError

    monkeypatch.setenv("QUEUEPULSE_PBX__CLIENT_SECRET", "")
    parser = argparse.ArgumentParser()
    record.register(parser.add_subparsers())
    args = parser.parse_args(["record", "--out", str(tmp_path / "rec"), "--duration", "1"])
    with pytest.raises(ConfigError, match="QUEUEPULSE_PBX__CLIENT_SECRET"):
        args.handler(args)
    assert not (tmp_path / "rec").exists() or not any((tmp_path / "rec").iterdir())


def test_record_command_exits_1_when_the_pbx_refuses_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from queuepulse.commands import record
    from queuepulse.xapi import client as client_module
    from queuepulse.xapi import recorder as recorder_module

    pbx = _pbx_with_calls()
    pbx.token_status = 401
    clock = FakeClock()
    real_client = client_module.XapiClient
    real_recorder = recorder_module.Recorder

    class MockClient(real_client):  # type: ignore[misc,valid-type]
        def __init__(self, settings, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(settings, transport=httpx.MockTransport(pbx), clock=clock,
                             sleep=clock.sleep)

    port = _free_port()
    scraped: list[str] = []

    async def sleep(seconds: float) -> None:  # between polls: read the served /metrics
        if not scraped:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
                scraped.append(resp.read().decode())
        await clock.sleep(seconds)

    class FakeTimeRecorder(real_recorder):  # type: ignore[misc,valid-type]
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, clock=clock, sleep=sleep, **kwargs)

    monkeypatch.setattr(client_module, "XapiClient", MockClient)
    monkeypatch.setattr(recorder_module, "Recorder", FakeTimeRecorder)
    monkeypatch.setenv("QUEUEPULSE_PBX__CLIENT_SECRET", SECRET)
    parser = argparse.ArgumentParser()
    record.register(parser.add_subparsers())
    args = parser.parse_args(["record", "--out", str(tmp_path / "rec"), "--duration", "600",
                              "--quiet"])
    assert args.handler(args) == 1
    printed = capsys.readouterr()
    assert "record stopped: credentials refused: polls=0" in printed.out
    assert "invalid_client" in printed.err
    assert SECRET not in printed.out + printed.err
    assert pbx.token_calls == 1  # one refused token request, not one per tick for 600 s


async def test_recorder_writes_the_response_bytes_verbatim(
    tmp_path: Path, make_client, clock: FakeClock
) -> None:
    """Numbers keep every digit (no float round trip) and a pretty-printed body stays one line."""
    raw = (
        b'{\r\n  "value": [\n    {"Id": 1, "Caller": "0123 J\\u00fcrgen \\"JJ\\"",\n'
        b'     "Status": "Talking", "Extra": 0.12345678901234567890123, "Big": 1e400}\n  ]\n}\n'
    )
    pbx = _pbx_with_calls()
    pbx.routes["/ActiveCalls"] = lambda r: httpx.Response(
        200, content=raw, headers={"content-type": "application/json"}
    )
    async with make_client(pbx) as xapi:
        recorder = Recorder(
            xapi, RotatingJsonlWriter(tmp_path), pbx_id="p", poll_interval_s=1.0,
            sync_interval_s=100.0, clock=clock, sleep=clock.sleep,
        )
        await recorder.run(duration_s=1.0)
    lines = (tmp_path / "xapi-00001.jsonl").read_bytes().splitlines()
    assert len(lines) == 3  # queues, users, one active_calls poll: one line each
    calls_line = lines[2]
    assert b"0.12345678901234567890123" in calls_line
    assert b"1e400" in calls_line
    assert b'J\\u00fcrgen \\"JJ\\"' in calls_line
    doc = json.loads(calls_line, parse_float=str)
    assert doc["kind"] == "active_calls"
    assert doc["body"]["value"][0]["Extra"] == "0.12345678901234567890123"
    assert doc["body"] == json.loads(raw, parse_float=str)
    assert recorder.progress.bytes == (tmp_path / "xapi-00001.jsonl").stat().st_size
    record = list(iter_replay(tmp_path))[2]
    assert parse_active_calls(record.body).rows[0].caller == '0123 Jürgen "JJ"'
