"""XapiClient over MockTransport: URLs, error mapping, retries, budget, breaker, payload errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import httpx
import pytest
from xapi_fakes import FakeClock, Pbx

from queuepulse.domain.snapshot import poll_from_body
from queuepulse.xapi.errors import (
    BadRequestError,
    CircuitOpenError,
    ForbiddenError,
    NotFoundError,
    PayloadError,
    RateLimitedError,
    UnavailableError,
)
from queuepulse.xapi.models import USER_MONITORING_FIELDS
from queuepulse.xapi.odata import ODataQuery
from queuepulse.xapi.reports import REPORTS, ROLE_PARAMS
from queuepulse.xapi.resilience import BreakerState

pytestmark = pytest.mark.unit

T0 = datetime(2025, 1, 1, tzinfo=UTC)
T1 = datetime(2025, 1, 2, tzinfo=UTC)
CALL = {
    "Id": 7,
    "Caller": "0123456 Jane",
    "Callee": "800 Sales",
    "Status": "Ringing",
    "EstablishedAt": "2025-01-01T10:00:00Z",
    "LastChangeStatus": "2025-01-01T10:00:01.5Z",
    "ServerNow": "2025-01-01T10:00:09.123456789Z",
}


def url_of(request: httpx.Request) -> str:
    """Path and query, percent-decoded, relative to the API base."""
    text = request.url.raw_path.decode()
    return unquote(text.removeprefix("/xapi/v1"))


# --- endpoints and parameters ----------------------------------------------------------


async def test_poll_active_calls_returns_the_decoded_body_and_receive_time(
    pbx: Pbx, make_client, clock: FakeClock
) -> None:
    body = {"@odata.count": 1, "value": [CALL | {"Unknown": 1}]}
    pbx.routes["/ActiveCalls"] = lambda r: httpx.Response(200, json=body)
    async with make_client(pbx) as xapi:
        poll = await xapi.poll_active_calls()
    assert poll.kind == "active_calls"
    assert poll.body == body
    assert poll.rows == body["value"]
    assert poll.count == 1
    assert poll.received_at == clock.wall()
    assert json.loads(poll.content) == body
    (call,) = poll_from_body("p", poll.received_at, poll.body).calls
    assert (call.id, call.status, call.callee) == (7, "Ringing", "800 Sales")
    assert call.server_now == datetime(2025, 1, 1, 10, 0, 9, 123456, tzinfo=UTC)
    assert poll.size_bytes > 0


@pytest.mark.parametrize(
    "body", [[], {"value": {"Id": 1}}, {"calls": []}, "text", 3],
    ids=["bare-list", "value-object", "no-value", "string", "number"],
)
async def test_poll_of_a_body_that_is_not_a_collection_is_a_payload_error(
    pbx: Pbx, make_client, body: object
) -> None:
    pbx.routes["/ActiveCalls"] = lambda r: httpx.Response(200, json=body)
    async with make_client(pbx) as xapi:
        with pytest.raises(PayloadError, match="did not return the collection envelope"):
            await xapi.poll_active_calls()
        assert xapi.stats.errors["PayloadError"] == 1


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda x: x.list_active_calls(), "/ActiveCalls"),
        (lambda x: x.drop_call(42), "/ActiveCalls(42)/Pbx.DropCall"),
        (lambda x: x.list_queues(), "/Queues"),
        (lambda x: x.list_queues(expand_agents=True), "/Queues?$expand=Agents"),
        (lambda x: x.get_queue(3), "/Queues(3)"),
        (lambda x: x.get_queue_by_number("800"), "/Queues(Number='800')"),
        (lambda x: x.get_queue_by_number("O'Neil"), "/Queues(Number='O''Neil')"),
        (lambda x: x.list_queue_agents(3), "/Queues(3)/Agents"),
        (lambda x: x.list_queue_managers(3), "/Queues(3)/Managers"),
        (lambda x: x.get_system_status(), "/SystemStatus"),
        (
            lambda x: x.get_call_log_data(T0, T1),
            "/ReportCallLogData/Pbx.GetCallLogData(periodFrom=2025-01-01T00:00:00Z,"
            "periodTo=2025-01-02T00:00:00Z,sourceType=0,sourceFilter=null,destinationType=0,"
            "destinationFilter=null,callsType=0,callTimeFilterType=0,callTimeFilterFrom=null,"
            "callTimeFilterTo=null,hidePcalls=false)",
        ),
        (
            lambda x: x.get_queue_performance_overview(T0, T1, "800", "0:00:20"),
            "/ReportQueuePerformanceOverview/Pbx.GetQueuePerformanceOverviewData("
            "periodFrom=2025-01-01T00:00:00Z,periodTo=2025-01-02T00:00:00Z,queueDns='800',"
            "waitInterval='0:00:20')",
        ),
        (
            lambda x: x.get_statistic_sla(T0, T1),
            "/ReportStatisticSla/Pbx.GetStatisticSlaData(queueDnStr=null,"
            "startDt=2025-01-01T00:00:00Z,endDt=2025-01-02T00:00:00Z,waitInterval=null)",
        ),
        (
            lambda x: x.get_agent_login_history(T0, T1, agent_dns="100"),
            "/ReportAgentLoginHistory/Pbx.GetAgentLoginHistoryData(clientTimeZone=null,"
            "startDt=2025-01-01T00:00:00Z,endDt=2025-01-02T00:00:00Z,queueDnStr=null,"
            "agentDnStr='100')",
        ),
    ],
)
async def test_each_method_calls_its_documented_path(pbx: Pbx, make_client, call, expected) -> None:
    pbx.default = lambda r: httpx.Response(200, json={"value": [], "Id": 1})
    async with make_client(pbx) as xapi:
        await call(xapi)
    assert url_of(pbx.requests[-1]) == expected
    if "DropCall" in expected:
        assert pbx.requests[-1].method == "POST"


# A distinct value per parameter role, and its literal in the path.
_ROLE_VALUES: dict[str, tuple[object, str]] = {
    "start": (T0, "2025-01-01T00:00:00Z"),
    "end": (T1, "2025-01-02T00:00:00Z"),
    "queue_dns": ("800,801", "'800,801'"),
    "interval": ("0:00:20", "'0:00:20'"),
    "agent_dns": ("100", "'100'"),
    "time_zone": ("Europe/Berlin", "'Europe/Berlin'"),
    "chart_date": (T0, "2025-01-01T00:00:00Z"),
    "chart_by": ("hour", "'hour'"),
}


@pytest.mark.parametrize("name", sorted(REPORTS))
async def test_typed_report_methods_fill_the_spec_path_template(
    pbx: Pbx, make_client, name: str
) -> None:
    """Each typed method, every role given, against the spec's own path template."""
    import inspect
    import json
    import re

    from xapi_fakes import SHARED

    subset = SHARED / "xapi" / "queue-subset.json"
    if not subset.exists():
        pytest.skip(f"{subset} not found: the shared XAPI documents sit beside the project root")
    spec = REPORTS[name]
    templates = [p for p in json.loads(subset.read_text())["paths"]
                 if p.startswith(f"/Report{name}/")]
    assert len(templates) == 1, templates
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    method = getattr(make_client(pbx), f"get_{snake}")
    roles = [p for p in inspect.signature(method.__call__).parameters
             if p not in ("query", "page_size")]
    pbx.default = lambda r: httpx.Response(200, json={"value": []})
    async with make_client(pbx) as xapi:
        rows = await getattr(xapi, f"get_{snake}")(
            *(_ROLE_VALUES[r][0] for r in roles), query=ODataQuery(top=5)
        )
    assert rows == []
    by_param = {p: _ROLE_VALUES[r][1] for r in roles for p in ROLE_PARAMS[r] if p in spec.params}
    assert set(by_param) == set(spec.params), "a spec parameter has no role in the signature"
    expected = re.sub(r"\{(\w+)\}", lambda m: by_param[m.group(1)], templates[0])
    assert url_of(pbx.requests[-1]) == f"{expected}?$top=5"


async def test_a_role_the_report_does_not_take_is_refused(pbx: Pbx, make_client) -> None:
    from queuepulse.xapi.reports import QUEUE_CALLBACKS

    with pytest.raises(ValueError, match=r"GetQueueCallbacksData takes no interval"):
        QUEUE_CALLBACKS.by_role(start=T0, end=T1, queue_dns=None, interval="0:00:20")
    assert QUEUE_CALLBACKS.by_role(start=T0, interval=None) == {"startDt": T0}


async def test_datetime_offsets_are_percent_encoded_in_function_paths(
    pbx: Pbx, make_client
) -> None:
    plus2 = datetime(2025, 1, 1, 2, tzinfo=UTC).astimezone(
        __import__("datetime").timezone(timedelta(hours=2))
    )
    async with make_client(pbx) as xapi:
        await xapi.get_breaches_sla(plus2, T1)
    raw = pbx.requests[-1].url.raw_path.decode()
    assert "startDt=2025-01-01T04:00:00%2B02:00" in raw


async def test_users_always_carry_select_of_monitoring_fields(pbx: Pbx, make_client) -> None:
    async with make_client(pbx) as xapi:
        await xapi.list_users()
        await xapi.list_users(ODataQuery(filter="Enabled eq true", select=("Mobile",)))
        await xapi.get_user_by_number("100")
        with pytest.raises(ValueError, match="AuthPassword"):
            await xapi.list_users(ODataQuery(select=("AuthPassword",)))
    selects = [r.url.params["$select"].split(",") for r in pbx.requests]
    assert selects[0] == list(USER_MONITORING_FIELDS)
    assert selects[1] == [*USER_MONITORING_FIELDS, "Mobile"]
    assert selects[2] == list(USER_MONITORING_FIELDS)
    assert pbx.requests[1].url.params["$filter"] == "Enabled eq true"
    assert "QueueStatus" in selects[0]
    assert "AuthPassword" not in selects[0]


async def test_call_history_view_pages_with_time_filter(pbx: Pbx, make_client) -> None:
    rows = [
        {"SegmentId": i, "SegmentStartTime": "2025-01-01T00:00:00Z", "CallTime": "PT1M"}
        for i in range(5)
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        top = int(request.url.params["$top"])
        skip = int(request.url.params["$skip"])
        return httpx.Response(200, json={"@odata.count": 5, "value": rows[skip : skip + top]})

    pbx.routes["/CallHistoryView"] = handler
    async with make_client(pbx) as xapi:
        got = [s async for s in xapi.iter_call_history_view(T0, T1, page_size=2)]
    assert [s.segment_id for s in got] == [0, 1, 2, 3, 4]
    assert got[0].call_time == timedelta(minutes=1)
    params = [dict(r.url.params) for r in pbx.requests]
    assert [(p["$top"], p["$skip"]) for p in params] == [("2", "0"), ("2", "2"), ("2", "4")]
    assert params[0]["$filter"] == (
        "SegmentStartTime ge 2025-01-01T00:00:00Z and SegmentStartTime lt 2025-01-02T00:00:00Z"
    )
    assert params[0]["$orderby"] == "SegmentStartTime asc,SegmentId asc"
    assert params[0]["$count"] == "true"


async def test_report_requires_every_parameter(pbx: Pbx, make_client) -> None:
    from queuepulse.xapi.reports import STATISTIC_SLA

    async with make_client(pbx) as xapi:
        with pytest.raises(ValueError, match=r"missing \['waitInterval'\]"):
            await xapi.get_report(STATISTIC_SLA, {"queueDnStr": None, "startDt": T0, "endDt": T1})
    assert pbx.requests == []


# --- error mapping and retries -----------------------------------------------------------


async def test_429_retry_after_is_honoured(pbx: Pbx, make_client, clock: FakeClock) -> None:
    replies = iter([httpx.Response(429, headers={"Retry-After": "2"}), None])

    def handler(request: httpx.Request) -> httpx.Response:
        reply = next(replies)
        return reply or httpx.Response(200, json={"value": [CALL]})

    pbx.routes["/ActiveCalls"] = handler
    async with make_client(pbx, retry_budget_s=5.0) as xapi:
        calls = await xapi.list_active_calls()
    assert len(calls) == 1
    assert clock.sleeps == [2.0]


async def test_429_longer_than_budget_raises_rate_limited_without_waiting(
    pbx: Pbx, make_client, clock: FakeClock
) -> None:
    pbx.routes["/ActiveCalls"] = lambda r: httpx.Response(429, headers={"Retry-After": "30"})
    async with make_client(pbx, retry_budget_s=0.8) as xapi:
        with pytest.raises(RateLimitedError) as info:
            await xapi.list_active_calls()
    assert info.value.retry_after == 30.0
    assert clock.sleeps == []
    assert len(pbx.requests) == 1
    assert xapi.breaker_state is BreakerState.CLOSED  # 429 is not a dead PBX


async def test_5xx_is_retried_within_budget_then_unavailable(
    pbx: Pbx, make_client, clock: FakeClock
) -> None:
    pbx.routes["/ActiveCalls"] = lambda r: httpx.Response(
        503, json={"error": {"code": "Busy", "message": "try later"}}
    )
    async with make_client(pbx, retry_budget_s=0.8) as xapi:
        with pytest.raises(UnavailableError) as info:
            await xapi.list_active_calls()
    assert len(pbx.requests) > 1
    assert sum(clock.sleeps) < 0.8
    assert "GET /ActiveCalls" in str(info.value)
    assert "Busy: try later" in str(info.value)
    assert info.value.odata is not None
    assert info.value.odata.code == "Busy"
    assert xapi.stats.retries == len(pbx.requests) - 1


async def test_5xx_then_success_returns_data(pbx: Pbx, make_client, clock: FakeClock) -> None:
    replies = iter([httpx.Response(502), httpx.Response(500)])

    def handler(request: httpx.Request) -> httpx.Response:
        return next(replies, None) or httpx.Response(200, json={"value": [CALL]})

    pbx.routes["/ActiveCalls"] = handler
    async with make_client(pbx) as xapi:
        assert len(await xapi.list_active_calls()) == 1
    assert len(clock.sleeps) == 2
    assert clock.sleeps[1] > clock.sleeps[0]  # exponential backoff


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, BadRequestError), (403, ForbiddenError), (404, NotFoundError), (409, BadRequestError)],
)
async def test_4xx_is_not_retried(pbx: Pbx, make_client, clock, status, error) -> None:
    pbx.routes["/Queues(99)"] = lambda r: httpx.Response(
        status,
        json={
            "error": {
                "code": "E1",
                "message": "no such queue",
                "target": "Id",
                "details": [{"code": "D", "message": "detail here"}],
            }
        },
    )
    async with make_client(pbx) as xapi:
        with pytest.raises(error) as info:
            await xapi.get_queue(99)
    assert len(pbx.requests) == 1
    assert clock.sleeps == []
    text = str(info.value)
    assert "GET /Queues(99)" in text
    assert "no such queue" in text
    assert "detail here" in text
    assert info.value.status == status


async def test_timeouts_are_retried_then_unavailable(pbx: Pbx, make_client) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    pbx.routes["/ActiveCalls"] = handler
    async with make_client(pbx, retry_budget_s=1.0) as xapi:
        with pytest.raises(UnavailableError, match="timed out"):
            await xapi.list_active_calls()
    assert len(pbx.requests) > 1


async def test_request_timeout_is_capped_by_remaining_budget(pbx: Pbx, make_client) -> None:
    async with make_client(pbx, timeout_s=5.0, retry_budget_s=0.5) as xapi:
        await xapi.list_active_calls()
        await xapi.list_queues()  # not a poll: the bulk budget (3 x timeout) applies
        assert xapi.bulk_budget_s == 15.0
    assert pbx.requests[0].extensions["timeout"]["read"] == pytest.approx(0.5)
    assert pbx.requests[1].extensions["timeout"]["read"] == pytest.approx(5.0)


async def test_bulk_calls_retry_longer_than_polls(pbx: Pbx, make_client, clock) -> None:
    pbx.default = lambda r: httpx.Response(503)
    async with make_client(pbx, timeout_s=1.0, retry_budget_s=0.1, bulk_budget_s=10.0) as xapi:
        with pytest.raises(UnavailableError):
            await xapi.list_active_calls()
        polls = len(pbx.requests)
        with pytest.raises(UnavailableError):
            await xapi.get_system_status()
    assert polls <= 2
    assert len(pbx.requests) - polls == 5  # max_attempts within the 10 s bulk budget


async def test_connect_error_is_unavailable(make_client) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with make_client(handler, retry_budget_s=0.3) as xapi:
        with pytest.raises(UnavailableError, match=r"could not reach the PBX at https://pbx\.test"):
            await xapi.get_system_status()


# --- payload errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "ctype", "match"),
    [
        (b'{"value": [{"Id": 1, "Caller": "10', "application/json", "truncated JSON"),
        (b"not json at all", "application/json", "not valid JSON"),
        (
            b"<!DOCTYPE html><html><body>Login required</body></html>",
            "text/html",
            "HTML page instead of JSON",
        ),
        (b"<html>proxy error</html>", "application/json", "HTML page"),
        (b'{"items": []}', "application/json", "collection envelope"),
        (b'{"value": [{"Id": "not-a-number"}]}', "application/json", "does not match"),
        (b'{"value": [{"Id": 1, "EstablishedAt": "yesterday"}]}', "application/json", "match"),
    ],
)
async def test_bad_bodies_are_payload_errors_naming_the_endpoint(
    pbx: Pbx, make_client, content: bytes, ctype: str, match: str
) -> None:
    pbx.routes["/ActiveCalls"] = lambda r: httpx.Response(
        200, content=content, headers={"content-type": ctype}
    )
    async with make_client(pbx) as xapi:
        with pytest.raises(PayloadError, match=match) as info:
            await xapi.list_active_calls()
    assert "GET /ActiveCalls" in str(info.value)
    assert info.value.endpoint == "GET /ActiveCalls"
    assert len(str(info.value)) < 600
    assert len(pbx.requests) == 1  # payload errors are not retried


async def test_html_error_page_on_5xx_is_unavailable_with_excerpt(pbx: Pbx, make_client) -> None:
    pbx.routes["/SystemStatus"] = lambda r: httpx.Response(
        502, text="<html><body><h1>502 Bad Gateway</h1></body></html>" + "x" * 5000
    )
    async with make_client(pbx, retry_budget_s=0.2) as xapi:
        with pytest.raises(UnavailableError) as info:
            await xapi.get_system_status()
    assert "502 Bad Gateway" in str(info.value)
    assert len(str(info.value)) < 400


async def test_models_parse_durations_and_fractional_call_cost(pbx: Pbx, make_client) -> None:
    row = {
        "CdrId": "abc",
        "CallId": 5,
        "CallCost": 0.35,
        "RingingDuration": "PT",
        "TalkingDuration": "PT1H2M3.25S",
        "actionDnDn": "101",
        "Recordings": [{"Id": 1}],
        "SomethingNew": True,
    }
    pbx.default = lambda r: httpx.Response(200, json={"value": [row]})
    async with make_client(pbx) as xapi:
        (got,) = await xapi.get_call_log_data(T0, T1)
    assert str(got.call_cost) == "0.35"
    assert got.ringing_duration == timedelta(0)
    assert got.talking_duration == timedelta(hours=1, minutes=2, seconds=3.25)
    assert got.action_dn_dn == "101"
    assert got.recordings[0].id == 1


# --- circuit breaker ---------------------------------------------------------------------


async def test_breaker_opens_after_n_failures_then_half_open_probe(
    pbx: Pbx, make_client, clock: FakeClock
) -> None:
    healthy = False

    def handler(request: httpx.Request) -> httpx.Response:
        if healthy:
            return httpx.Response(200, json={"value": []})
        return httpx.Response(500)

    pbx.routes["/ActiveCalls"] = handler
    settings = {"breaker_failures": 3, "breaker_reset_s": 10, "retry_budget_s": 0.01}
    async with make_client(pbx, **settings) as xapi:
        for _ in range(3):
            with pytest.raises(UnavailableError):
                await xapi.list_active_calls()
        assert xapi.breaker_state is BreakerState.OPEN
        sent = len(pbx.requests)
        with pytest.raises(CircuitOpenError, match="circuit breaker is open"):
            await xapi.list_active_calls()
        assert len(pbx.requests) == sent  # not attempted
        clock.advance(10)
        assert xapi.breaker_state is BreakerState.HALF_OPEN
        with pytest.raises(UnavailableError):  # failed probe: open again
            await xapi.list_active_calls()
        assert xapi.breaker_state is BreakerState.OPEN
        assert len(pbx.requests) == sent + 1
        clock.advance(10)
        healthy = True
        assert await xapi.list_active_calls() == []
        assert xapi.breaker_state is BreakerState.CLOSED
        assert xapi.breaker.times_opened == 2


async def test_circuit_open_error_is_not_retried(pbx: Pbx, make_client, clock) -> None:
    pbx.routes["/ActiveCalls"] = lambda r: httpx.Response(500)
    async with make_client(pbx, breaker_failures=1, retry_budget_s=0.01) as xapi:
        with pytest.raises(UnavailableError):
            await xapi.list_active_calls()
        sleeps = len(clock.sleeps)
        with pytest.raises(CircuitOpenError):
            await xapi.list_active_calls()
        assert len(clock.sleeps) == sleeps
        assert xapi.stats.errors["CircuitOpenError"] == 1


# --- TLS settings ------------------------------------------------------------------------


def test_tls_verification_on_by_default_and_switchable() -> None:
    import ssl

    from xapi_fakes import pbx_settings

    from queuepulse.xapi.client import XapiClient

    assert XapiClient(pbx_settings())._verify is True
    assert XapiClient(pbx_settings(verify_tls=False))._verify is False
    certifi = pytest.importorskip("certifi")
    bundle = XapiClient(pbx_settings(ca_bundle=certifi.where()))._verify
    assert isinstance(bundle, ssl.SSLContext)
    assert bundle.verify_mode == ssl.CERT_REQUIRED


def test_missing_ca_bundle_is_a_config_error(tmp_path) -> None:
    from xapi_fakes import pbx_settings

    from queuepulse.errors import ConfigError
    from queuepulse.xapi.client import XapiClient

    with pytest.raises(ConfigError, match="cannot load the CA bundle"):
        XapiClient(pbx_settings(ca_bundle=tmp_path / "missing.pem"))
