"""The XAPI write calls with a scripted transport (request by request), and the typed request
models checked against the official OpenAPI document."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import httpx
import pytest
from pydantic import SecretStr

from queuepulse.settings import PbxSettings
from queuepulse.simulator.write_validation import body_errors, object_properties
from queuepulse.xapi.client import XapiClient
from queuepulse.xapi.errors import BadRequestError
from queuepulse.xapi.queue_writes import (
    PollingStrategyType,
    QueueNotifyCodeType,
    QueueRecordingType,
    QueueStatusValue,
    QueueWrite,
    QueueWriter,
    WriteOutcomeUnknownError,
    queue_write,
)

pytestmark = pytest.mark.unit

SUBSET = Path(__file__).resolve().parents[3] / "shared" / "xapi" / "queue-subset.json"
TOKEN = {"access_token": "t", "token_type": "Bearer", "expires_in": 3600}
QUEUE = {"Id": 100009, "Number": "809", "Name": "X", "Agents": [], "Managers": []}

Script = list[tuple[str, str, Callable[[httpx.Request], httpx.Response]]]


def _client(script: Script, seen: list[tuple[str, str, Any]]) -> XapiClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/connect/token":
            return httpx.Response(200, json=TOKEN)
        path = request.url.path.removeprefix("/xapi/v1")
        body = json.loads(request.content) if request.content else None
        seen.append((request.method, path, body))
        method, expected, respond = script.pop(0)
        assert (request.method, path) == (method, expected)
        return respond(request)

    settings = PbxSettings(url="https://pbx.test", client_id="apply",
                           client_secret=SecretStr("s"), timeout_s=1.0, retry_budget_s=5.0)

    async def no_sleep(_: float) -> None:
        return None

    return XapiClient(settings, transport=httpx.MockTransport(handler), sleep=no_sleep,
                      jitter=False)


def _timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def _status(code: int, body: Any = None) -> Callable[[httpx.Request], httpx.Response]:
    return lambda _r: httpx.Response(code, json=body) if body is not None else httpx.Response(
        code)


NOT_FOUND = {"error": {"code": "NotFound", "message": "no queue"}}


async def test_a_timed_out_post_is_read_back_and_not_sent_again_when_it_was_applied() -> None:
    seen: list[tuple[str, str, Any]] = []
    script: Script = [
        ("POST", "/Queues", _timeout),
        ("GET", "/Queues(Number='809')", _status(200, QUEUE)),
        ("GET", "/Queues(Number='809')", _status(200, QUEUE)),
    ]
    async with _client(script, seen) as xapi:
        created = await QueueWriter(xapi).create_queue(queue_write({"Number": "809"}))
    assert created.id == 100009
    assert [m for m, _, _ in seen].count("POST") == 1
    assert seen[0][2] == {"Number": "809"}


async def test_a_timed_out_post_found_missing_is_sent_exactly_once_more() -> None:
    seen: list[tuple[str, str, Any]] = []
    script: Script = [
        ("POST", "/Queues", _timeout),
        ("GET", "/Queues(Number='809')", _status(404, NOT_FOUND)),
        ("POST", "/Queues", _status(201, QUEUE)),
    ]
    async with _client(script, seen) as xapi:
        created = await QueueWriter(xapi).create_queue(queue_write({"Number": "809"}))
    assert created.number == "809"
    assert [m for m, _, _ in seen] == ["POST", "GET", "POST"]


async def test_a_create_without_number_asks_for_the_first_available_one_first() -> None:
    seen: list[tuple[str, str, Any]] = []
    script: Script = [
        ("GET", "/Queues/Pbx.GetFirstAvailableQueueNumber()", _status(200, {"Number": "809"})),
        ("POST", "/Queues", _status(201, QUEUE)),
    ]
    async with _client(script, seen) as xapi:
        await QueueWriter(xapi).create_queue(queue_write({"Name": "X"}))
    assert seen[1][2] == {"Number": "809", "Name": "X"}


async def test_no_answer_and_no_read_back_is_an_unknown_outcome_never_a_guess() -> None:
    seen: list[tuple[str, str, Any]] = []
    script: Script = [("PATCH", "/Queues(100009)", _timeout)] + [
        ("GET", "/Queues(100009)", _status(503, {"error": {"code": "x", "message": "down"}}))
    ] * 10
    async with _client(script, seen) as xapi:
        with pytest.raises(WriteOutcomeUnknownError, match="may or may not have been applied"):
            await QueueWriter(xapi).update_queue(100009, queue_write({"SLATime": 9}))
    assert [m for m, _, _ in seen].count("PATCH") == 1


async def test_odata_errors_name_the_field() -> None:
    seen: list[tuple[str, str, Any]] = []
    error = {"error": {"code": "BadRequest", "message": "SLATime must be an integer",
                       "target": "SLATime", "details": []}}
    script: Script = [("PATCH", "/Queues(100009)", _status(400, error))]
    async with _client(script, seen) as xapi:
        with pytest.raises(BadRequestError, match=r"SLATime must be an integer \(target SLATime\)"):
            await QueueWriter(xapi).update_queue(100009, queue_write({"SLATime": 9}))
    assert len(seen) == 1  # a 400 is an answer: never re-sent


async def test_queue_status_is_a_user_patch() -> None:
    seen: list[tuple[str, str, Any]] = []
    script: Script = [("PATCH", "/Users(7)", _status(204))]
    async with _client(script, seen) as xapi:
        await QueueWriter(xapi).set_queue_status(7, "LoggedOut")
    assert seen == [("PATCH", "/Users(7)", {"QueueStatus": "LoggedOut"})]


def test_bad_write_models_are_refused_before_sending() -> None:
    with pytest.raises(ValueError, match="Colour"):
        queue_write({"Colour": "red"})
    with pytest.raises(ValueError, match="SLATime"):
        queue_write({"SLATime": "20"})
    with pytest.raises(ValueError, match="PollingStrategy"):
        queue_write({"PollingStrategy": "RoundRobin"})
    with pytest.raises(ValueError, match="SLATime"):
        queue_write({"SLATime": 2**31})


def _doc() -> dict[str, Any]:
    if not SUBSET.exists():
        pytest.skip(f"OpenAPI document not found at {SUBSET}")
    loaded: dict[str, Any] = json.loads(SUBSET.read_text(encoding="utf-8"))
    return loaded


_SCALARS = {"string": str, "integer": int, "boolean": bool}


def test_request_models_are_the_documents_fields_and_types() -> None:
    schemas = _doc()["components"]["schemas"]
    props = object_properties("Pbx.Queue")
    for name, info in QueueWrite.model_fields.items():
        alias = info.alias
        assert alias in props, f"{name}: {alias} is not a Pbx.Queue property"
    # enums exactly as the document declares them
    assert list(get_args(PollingStrategyType)) == schemas["Pbx.PollingStrategyType"]["enum"]
    assert list(get_args(QueueRecordingType)) == schemas["Pbx.QueueRecording"]["enum"]
    assert list(get_args(QueueNotifyCodeType)) == schemas["Pbx.QueueNotifyCode"]["enum"]
    assert list(get_args(QueueStatusValue)) == schemas["Pbx.QueueStatusType"]["enum"]
    # a body using every field validates against the document's schema
    full = queue_write({
        "Number": "800", "Name": "Sales", "PollingStrategy": "RingAll", "SLATime": 20,
        "RingTimeout": 15, "MasterTimeout": 60, "WrapUpTime": 5, "MaxCallersInQueue": 10,
        "PriorityQueue": True, "AgentAvailabilityMode": False, "AutoLogoutMissedCalls": 3,
        "AnnounceQueuePosition": True, "AnnouncementInterval": 30,
        "AnnounceEstimatedWaitTime": True, "AnnounceEstimatedWaitTimeInterval": 60,
        "CallbackEnableTime": 45, "CallbackOfferOnly": False, "CallbackPrefix": "9",
        "Recording": "AllowToOptOut", "NotifyCodes": ["CallLost", "SLATimeBreached"],
        "Agents": [{"Number": "1000", "SkillGroup": "A"}], "Managers": [{"Number": "1001"}],
    }).body()
    assert set(full) == {f.alias for f in QueueWrite.model_fields.values()}
    assert body_errors(full, "Pbx.Queue") == []
    from jsonschema import FormatChecker
    from openapi_schema_validator import OAS30Validator

    OAS30Validator({"$ref": "#/components/schemas/Pbx.Queue", "components": _doc()["components"]},
                   format_checker=FormatChecker()).validate(full)
