"""Poison input through the live flow's parsing and step: no crash, every bad value counted.

The named cases of the fault report (ids of 2^63 and 10^30, NUL in Status/Callee/queue numbers,
a huge SLATime or User Id, a ServerNow in year 9999 or 5·10^9 s ahead, deep nesting, invalid
UTF-8, a 10 MB PBX id) and random bodies (Hypothesis, a bounded number of examples) go through
:func:`poll_from_body` + :class:`PbxStepper` — the live poller's path — and through a replay
file read by :class:`ReplayReader`, the replay path. Every row the step emits must be one the
database can hold (no NUL, no int beyond int64, no date outside 2000-2100).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queuepulse.domain.inputs import EARLIEST, LATEST
from queuepulse.domain.pbx_config import parse_config
from queuepulse.domain.rules import Rules
from queuepulse.domain.snapshot import poll_from_body
from queuepulse.live.items import ConfigItem, PollItem, SourceItem
from queuepulse.live.pbx_step import LiveState, PbxStepper
from queuepulse.live.replay_reader import ReplayReader
from queuepulse.store.tables import TableRow

pytestmark = pytest.mark.unit

PBX = "pbx-poison"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _row(**over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "Id": 7, "Caller": "+4930123 Bob", "Callee": "800 Sales", "Status": "Ringing",
        "LastChangeStatus": "2026-01-05T09:00:00Z", "EstablishedAt": "2026-01-05T09:00:00Z",
        "ServerNow": "2026-01-05T09:00:01Z",
    }
    row.update(over)
    return row


NAMED_BODIES: list[Any] = [
    {"value": [_row(Id=2**63)]},
    {"value": [_row(Id=10**30)]},
    {"value": [_row(Id="99999999999")]},
    {"value": [_row(Status="Talk\x00ing")]},
    {"value": [_row(Callee="800\x00 Sales")]},
    {"value": [_row(Caller="x" * 1_000_000)]},
    {"value": [_row(Status="\ud800")]},  # a lone surrogate
    {"value": [_row(ServerNow="9999-12-31T23:59:59Z")]},
    {"value": [_row(ServerNow="2184-01-01T00:00:00Z")]},
    {"value": [_row(LastChangeStatus="0001-01-01T00:00:00Z")]},
    {"value": [_row(EstablishedAt="9999-12-31T23:59:59.999999Z")]},
    {"value": [_row(Status={"deep": [[[[1]]]]}, Callee=1e308, Caller=-(2**80))]},
    {"value": [_row(Id=True), _row(Id=None), "row", 3]},
    {"value": "not a list"},
    "a string body",
    None,
]

NAMED_CONFIGS: list[tuple[list[Any], list[Any]]] = [
    ([{"Number": "800\x00", "SLATime": 10**30, "Agents": [{"Number": "101\x00"}]}], []),
    ([{"Number": "801", "SLATime": 2**31, "Id": 2**63, "MaxCallersInQueue": -5}], []),
    ([], [{"Number": "101", "Id": 10**30, "FirstName": "A\x00", "QueueStatus": "\x07"}]),
    ([{"Number": "x" * 10_000}], [{"Number": {"nested": 1}}]),
]


def _values(value: Any) -> Iterable[Any]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _values(getattr(value, f.name))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _values(v)
    elif isinstance(value, list | tuple | frozenset | set):
        for v in value:
            yield from _values(v)
    else:
        yield value


def _assert_storable(rows: Iterable[TableRow]) -> None:
    """Every value a row carries is one PostgreSQL holds."""
    for table, row in rows:
        for value in _values(row):
            if isinstance(value, str):
                assert "\x00" not in value, (table, value[:40])
                value.encode("utf-8")  # no lone surrogate
            elif isinstance(value, int) and not isinstance(value, bool):
                assert -(2**63) <= value < 2**63, (table, value)
            elif isinstance(value, datetime):
                assert EARLIEST - timedelta(days=2) <= value <= LATEST + timedelta(days=2), (
                    table, value)


def _feed(items: Iterable[SourceItem]) -> tuple[LiveState | None, int]:
    stepper = PbxStepper(Rules(), clock=lambda: T0.timestamp())
    state: LiveState | None = None
    rows = 0
    for item in items:
        state, out = stepper(state, item)
        _assert_storable(out.rows)
        rows += len(out.rows)
    return state, rows


def _poll_item(body: Any, seconds: float) -> PollItem:
    return PollItem(poll_from_body(PBX, T0 + timedelta(seconds=seconds), body))


def test_named_poison_polls_are_counted_and_never_crash_the_step() -> None:
    good = {"value": [_row(ServerNow=f"2026-01-05T09:00:{len(NAMED_BODIES) + 5:02d}Z")]}
    items = [_poll_item(b, i + 1) for i, b in enumerate(NAMED_BODIES)]
    items.append(_poll_item(good, len(NAMED_BODIES) + 5))
    for i, (queues, users) in enumerate(NAMED_CONFIGS):
        items.append(ConfigItem(PBX, T0 + timedelta(seconds=100 + i), tuple(queues),
                                tuple(users)))
    state, rows = _feed(items)
    assert state is not None
    assert state.lifecycle is not None
    counters = state.lifecycle.counters
    assert counters.polls == len(NAMED_BODIES) + 1
    # every named body had something wrong with it, and each was counted
    assert all(i.poll.problems > 0 or not i.poll.ok for i in items[:len(NAMED_BODIES)]
               if isinstance(i, PollItem))
    assert counters.parse_problems == sum(i.poll.problems for i in items
                                          if isinstance(i, PollItem))
    # no event is dated by the year-9999 / 2184 ServerNow values
    assert rows > 0


def test_named_poison_configs_are_cleaned() -> None:
    for queues, users in NAMED_CONFIGS:
        config = parse_config(queues, users)
        for q in config.queues.values():
            assert "\x00" not in q.queue_dn
            assert len(q.queue_dn) <= 64
            assert q.sla_time_s is None or q.sla_time_s < 2**31
            assert q.queue_id is None or q.queue_id < 2**63
            assert q.max_callers is None or q.max_callers >= 0
        for a in config.agents.values():
            assert a.user_id is None or a.user_id < 2**63
            assert "\x00" not in (a.first_name or "")
        for m in config.memberships.values():
            assert "\x00" not in m.agent_dn


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5),
                                                                      children, max_size=3),
    max_leaves=8,
)
_times = st.one_of(
    st.sampled_from(["2026-01-05T09:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z",
                     "2184-01-01T00:00:00Z", "2026-13-45T99:99:99Z", "", "now"]),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
    _json,
)
_rows = st.fixed_dictionaries({
    "Id": st.one_of(st.integers(), st.text(max_size=12), _json),
    "Caller": st.one_of(st.text(), _json), "Callee": st.one_of(st.text(), _json),
    "Status": st.one_of(st.sampled_from(["Ringing", "Talking", "Transferring"]), st.text(),
                        _json),
    "LastChangeStatus": _times, "EstablishedAt": _times, "ServerNow": _times,
})
_bodies = st.one_of(st.fixed_dictionaries({"value": st.lists(_rows, max_size=6)}),
                    st.lists(_rows, max_size=3), _json)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_bodies, min_size=1, max_size=6))
def test_random_polls_never_crash_the_step(bodies: list[Any]) -> None:
    items = [_poll_item(b, i + 1) for i, b in enumerate(bodies)]
    state, _ = _feed(items)
    assert state is not None
    assert state.lifecycle is not None
    assert state.lifecycle.counters.polls == len(bodies)


def _line(kind: str, pbx: str, received_at: str, body: Any) -> bytes:
    return json.dumps({"kind": kind, "pbx_id": pbx, "received_at": received_at,
                       "body": body}).encode() + b"\n"


POISON_LINES = 6  # lines of poison_lines() the reader must skip


def poison_lines() -> list[bytes]:
    """A recording with poison lines (skipped) and poison bodies (cleaned) among good ones."""
    at = "2026-01-05T09:00:{:02d}+00:00"
    return [
        _line("active_calls", PBX, at.format(1), {"value": [_row()]}),
        b'{"kind":"active_calls","pbx_id":"p","received_at":"2026-01-05T09:00:02Z",'
        b'"body":{"value":[{"Caller":"\xff\xfe"}]}}\n',  # invalid UTF-8
        b'{"kind":"active_calls","pbx_id":"p","received_at":"2026-01-05T09:00:03Z","body":'
        + b"[" * 100_000 + b"]" * 100_000 + b"}\n",  # 100,000-deep nesting
        _line("active_calls", PBX, "9999-12-31T23:59:59+00:00", {"value": []}),
        _line("active_calls", "x" * 10_000_000, at.format(4), {"value": []}),  # 10 MB PBX id
        _line("active_calls", "pbx\x00", at.format(5), {"value": []}),
        _line("queues", PBX, at.format(6), {"value": [{"Number": {"a": [[[[[[[[[[[[[[[[[[[[[[
            [[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}]}),  # nested beyond 32
        *(_line("active_calls", PBX, at.format(10 + i), b) for i, b in
          enumerate(NAMED_BODIES) if _json_safe(b)),
        _line("active_calls", PBX, at.format(50), {"value": [_row(
            ServerNow="2026-01-05T09:00:50Z")]}),
    ]


def test_poison_replay_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    """The replay path: bad lines are skipped and counted, every other line goes through."""
    lines = poison_lines()
    path = tmp_path / "poison.jsonl"
    path.write_bytes(b"".join(lines))
    reader = ReplayReader(path)
    items = reader.read(1000)
    assert reader.skipped_lines == POISON_LINES
    state, rows = _feed(items)
    assert state is not None
    assert state.lifecycle is not None
    assert state.lifecycle.counters.polls == len(items)
    assert rows > 0


def _json_safe(body: Any) -> bool:
    try:
        json.dumps(body).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError):
        return False
    return True


def test_a_deeply_nested_answer_is_a_payload_error_not_a_dead_poller() -> None:
    """Over HTTP the same body is a failed poll (a gap): the client's decoder refuses it."""
    import httpx
    from pydantic import SecretStr

    from queuepulse.settings import PbxSettings
    from queuepulse.xapi.client import XapiClient
    from queuepulse.xapi.errors import PayloadError

    client = XapiClient(PbxSettings(pbx_id=PBX, client_secret=SecretStr("s")))
    response = httpx.Response(200, content=b"[" * 100_000 + b"]" * 100_000,
                              headers={"content-type": "application/json"})
    with pytest.raises(PayloadError):
        client._decode(response, "ActiveCalls")


def test_a_pbx_id_with_control_characters_is_refused_in_the_settings() -> None:
    from pydantic import ValidationError

    from queuepulse.settings import PbxSettings

    for bad in ("pbx\x00", "x" * 65, ""):
        with pytest.raises(ValidationError):
            PbxSettings(pbx_id=bad)


def test_a_clock_anomaly_shows_in_the_polls_health_row() -> None:
    stepper = PbxStepper(Rules(), clock=lambda: T0.timestamp())
    state: LiveState | None = None
    health = []
    for t, offset in ((1, 0), (2, 0), (3, 30), (4, 0)):
        body = {"value": [_row(ServerNow=(T0 + timedelta(seconds=t + offset)).isoformat())]}
        state, out = stepper(state, _poll_item(body, t))
        health.extend(row for table, row in out.rows if table == "pipeline_health")
    assert [h["details"].get("clock_anomalies") for h in health] == [None, None, 1, None]
