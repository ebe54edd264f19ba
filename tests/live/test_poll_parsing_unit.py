"""One ActiveCalls parser for live and replay: a poll with malformed rows keeps every other call,
through the real XapiClient (MockTransport), the poller, the flow's step and a recording replayed.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from queuepulse.domain.rules import Rules
from queuepulse.domain.snapshot import ActiveCallRow
from queuepulse.live.items import ConfigItem, PollItem
from queuepulse.live.metrics import LiveMetrics
from queuepulse.live.pbx_step import PbxStepper
from queuepulse.live.poller import PbxPoller
from queuepulse.live.recording import RecordingClient, recording_writer
from queuepulse.live.replay_reader import ReplayReader
from queuepulse.settings import PbxSettings
from queuepulse.xapi.client import XapiClient

pytestmark = pytest.mark.unit

AT = datetime(2026, 1, 5, 9, 0, 30, tzinfo=UTC)


def _row(call_id: int, status: str = "Talking", **extra: Any) -> dict[str, Any]:
    return {"Id": call_id, "Caller": f"06{call_id} Caller", "Callee": "800 Sales",
            "Status": status, "LastChangeStatus": "2026-01-05T09:00:10Z",
            "EstablishedAt": "2026-01-05T09:00:00Z", "ServerNow": "2026-01-05T09:00:30Z"} | extra


ACTIVE_CALLS = {"value": [
    _row(1),
    _row(2, "Ringing", LastChangeStatus="yesterday-ish"),  # Id fine, one field garbage
    {k: v for k, v in _row(3).items() if k != "Id"},  # no Id: skipped
    "not an object",  # skipped
    _row(5, "Routing"),
]}
QUEUES = {"value": [{"Number": "800", "Name": "Sales", "SLATime": "fast",
                     "Agents": [{"Number": "101"}, {"Name": "no number"}]}]}
USERS = {"value": [{"Number": "101", "DisplayName": "Ann", "QueueStatus": "LoggedIn",
                    "IsRegistered": "yes"}]}


def _handler(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/connect/token":
        return httpx.Response(200, json={"access_token": "tok", "token_type": "Bearer",
                                         "expires_in": 3600})
    body = {"/xapi/v1/ActiveCalls": ACTIVE_CALLS, "/xapi/v1/Queues": QUEUES,
            "/xapi/v1/Users": USERS}[request.url.path]
    return httpx.Response(200, json=body)


def _pbx() -> PbxSettings:
    return PbxSettings(pbx_id="p", url="http://pbx.test",
                       client_secret=SecretStr("poll-parsing-secret"), retry_budget_s=0.05)


def _client(pbx: PbxSettings) -> XapiClient:
    return XapiClient(pbx, transport=httpx.MockTransport(_handler), jitter=False,
                      wall_clock=lambda: AT)


def _poll_once(poller: PbxPoller, client: Any) -> list[Any]:
    async def go() -> None:
        await poller._sync(client)
        await poller._poll(client)
        await client.aclose()

    asyncio.run(go())
    return poller.drain()


def test_client_returns_the_whole_body_of_a_poll_with_malformed_rows() -> None:
    async def go() -> Any:
        async with _client(_pbx()) as client:
            return await client.poll_active_calls()

    raw = asyncio.run(go())
    assert raw.rows == ACTIVE_CALLS["value"]  # nothing rejected by the client
    assert raw.received_at == AT


def test_poller_keeps_every_other_call_and_counts_the_problems() -> None:
    poller = PbxPoller(_pbx(), metrics=LiveMetrics())
    config, polled = _poll_once(poller, _client(_pbx()))
    assert isinstance(polled, PollItem)
    poll = polled.poll
    assert poll.ok
    assert [c.id for c in poll.calls] == [1, 2, 5]
    assert poll.calls[1] == ActiveCallRow(
        2, "062 Caller", "800 Sales", "Ringing", None,
        datetime(2026, 1, 5, 9, 0, tzinfo=UTC), datetime(2026, 1, 5, 9, 0, 30, tzinfo=UTC))
    assert poll.problems == 3  # one bad field, two skipped rows
    assert poll.received_at == AT
    assert isinstance(config, ConfigItem)
    assert config.queues == tuple(QUEUES["value"])
    assert config.users == tuple(USERS["value"])

    stepper = PbxStepper(Rules(), clock=lambda: AT.timestamp())
    state, _ = stepper(None, config)
    assert state.directory.is_queue("800")
    assert state.directory.sla_s("800", 20) == 20  # "fast" is no SLA time
    assert state.directory.members("800") == ("101",)
    _, out = stepper(state, polled)
    health = [row for table, row in out.rows if table == "pipeline_health"]
    assert [(h["errors"], h["details"]["calls"], h["details"]["parse_problems"])
            for h in health] == [(0, 3, 3)]
    visits = [row for table, row in out.rows if table == "queue_calls"]
    assert {v.call_id for v in visits} >= {2}  # the call with a bad field still counts


def test_a_recording_of_the_poller_replays_to_the_same_items(tmp_path: Path) -> None:
    poller = PbxPoller(_pbx(), metrics=LiveMetrics())
    client = RecordingClient(_client(_pbx()), recording_writer(tmp_path, "p"), "p")
    live = _poll_once(poller, client)
    assert [f.name for f in sorted(tmp_path.iterdir())] == ["p-00001.jsonl"]
    replayed = ReplayReader(tmp_path).read(10)
    assert replayed[0] == live[0]  # one ConfigItem: the Queues and Users answers of one fetch
    assert isinstance(replayed[1], PollItem)
    assert isinstance(live[1], PollItem)
    assert replayed[1].poll == live[1].poll
