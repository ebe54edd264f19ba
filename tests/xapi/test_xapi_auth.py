"""Token manager: form-encoded client credentials, renewal, single-flight, 401 handling, secrecy."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr
from xapi_fakes import SECRET, TOKEN, FakeClock, Pbx, pbx_settings

from queuepulse.xapi.auth import TokenManager
from queuepulse.xapi.client import XapiClient
from queuepulse.xapi.errors import AuthError, UnavailableError

pytestmark = pytest.mark.unit


async def test_token_request_is_form_encoded_client_credentials(pbx: Pbx, make_client) -> None:
    async with make_client(pbx) as xapi:
        await xapi.list_active_calls()
    assert pbx.token_calls == 1
    form = parse_qs(pbx.token_forms[0].decode())
    assert form == {
        "client_id": ["qp-client"],
        "client_secret": [SECRET],
        "grant_type": ["client_credentials"],
    }
    assert pbx.requests[0].headers["authorization"] == f"Bearer {TOKEN}-1"


async def test_token_is_reused_then_renewed_ahead_of_expiry(
    clock: FakeClock, make_client
) -> None:
    pbx = Pbx(expires_in=60)  # seconds
    async with make_client(pbx) as xapi:
        await xapi.list_active_calls()
        clock.advance(29)  # renew margin is min(30, 60/2) = 30 s: still valid
        await xapi.list_active_calls()
        assert pbx.token_calls == 1
        clock.advance(2)  # 31 s in: inside the renewal window, before expiry
        await xapi.list_active_calls()
        assert pbx.token_calls == 2
        assert pbx.auth_headers[-1] == f"Bearer {TOKEN}-2"


async def test_token_expiry_mid_run_recovers_with_one_reauth(
    clock: FakeClock, make_client
) -> None:
    pbx = Pbx(expires_in=3600)
    async with make_client(pbx) as xapi:
        await xapi.list_active_calls()
        pbx.valid_tokens = set()  # the PBX drops our token early (e.g. another login)
        calls = await xapi.list_active_calls()
    assert calls == []
    assert pbx.token_calls == 2
    # the failing request was retried exactly once with the new token
    assert pbx.auth_headers == [
        f"Bearer {TOKEN}-1",
        f"Bearer {TOKEN}-1",
        f"Bearer {TOKEN}-2",
    ]


async def test_single_flight_many_concurrent_requests_one_token(make_client) -> None:
    pbx = Pbx()

    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)  # let the other requests pile up on the lock
        return pbx(request)

    async with make_client(handler) as xapi:
        results = await asyncio.gather(*(xapi.list_active_calls() for _ in range(50)))
    assert len(results) == 50
    assert pbx.token_calls == 1


async def test_401_storm_reauths_once_per_token_then_auth_error(make_client) -> None:
    pbx = Pbx()
    pbx.routes["/ActiveCalls"] = lambda r: httpx.Response(
        401, json={"error": {"code": "401", "message": "token rejected"}}
    )

    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        return pbx(request)

    async with make_client(handler) as xapi:
        results = await asyncio.gather(
            *(xapi.list_active_calls() for _ in range(20)), return_exceptions=True
        )
    assert all(isinstance(r, AuthError) for r in results)
    # the first token, then re-auth only by requests whose token was still current
    assert pbx.token_calls == 2
    assert len(pbx.requests) == 40  # each request: one try, one retry after re-auth, no more
    assert "token rejected" in str(results[0])
    assert SECRET not in str(results[0])


async def test_single_401_gives_auth_error_after_exactly_one_reauth(make_client) -> None:
    pbx = Pbx()
    pbx.routes["/SystemStatus"] = lambda r: httpx.Response(401)
    async with make_client(pbx) as xapi:
        with pytest.raises(AuthError, match=r"GET /SystemStatus was refused \(401\)"):
            await xapi.get_system_status()
    assert pbx.token_calls == 2
    assert len(pbx.requests) == 2


async def test_token_endpoint_refusal_is_auth_error_without_secret(
    make_client, caplog: pytest.LogCaptureFixture
) -> None:
    pbx = Pbx()
    pbx.token_status = 400
    caplog.set_level(logging.DEBUG)
    async with make_client(pbx) as xapi:
        with pytest.raises(AuthError) as info:
            await xapi.list_active_calls()
    message = str(info.value)
    assert "invalid_client" in message
    assert "qp-client" in message
    assert SECRET not in message
    assert SECRET not in caplog.text
    assert pbx.token_calls == 1  # auth errors are not retried
    assert pbx.requests == []


async def test_token_endpoint_5xx_is_unavailable_and_retried(make_client, clock) -> None:
    pbx = Pbx()
    pbx.token_status = 503
    async with make_client(pbx, retry_budget_s=5.0) as xapi:
        with pytest.raises(UnavailableError, match="token request"):
            await xapi.list_active_calls()
    assert pbx.token_calls > 1
    assert clock.sleeps  # it backed off between tries


async def test_token_reply_without_access_token_is_auth_error(make_client) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"expires_in": 60, "token_type": "Bearer"})

    async with make_client(handler) as xapi:
        with pytest.raises(AuthError, match="not the expected JSON"):
            await xapi.list_active_calls()


async def test_secrets_absent_from_reprs_logs_and_errors(
    pbx: Pbx, make_client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pbx.routes["/ActiveCalls"] = lambda r: httpx.Response(500, text="boom")
    async with make_client(pbx) as xapi:
        await xapi.list_users()
        with pytest.raises(UnavailableError) as info:
            await xapi.list_active_calls()
        texts = [
            repr(xapi),
            repr(xapi.auth),
            repr(xapi.settings),
            str(xapi.settings.model_dump()),
            str(info.value),
            repr(info.value),
            caplog.text,
            repr(xapi.auth._token),
        ]
    for text in texts:
        assert SECRET not in text
        assert TOKEN not in text


def test_token_manager_requires_secretstr() -> None:
    with pytest.raises(TypeError):
        TokenManager("https://pbx", "id", "plain-secret")  # type: ignore[arg-type]
    manager = TokenManager("https://pbx/", "id", SecretStr(SECRET))
    assert manager.token_url == "https://pbx/connect/token"
    assert SECRET not in repr(manager)


def test_sync_client_is_refused_with_a_clear_error(clock: FakeClock) -> None:
    """The manager is async-only (nothing needs a sync facade): a sync client gets a clear
    error instead of unauthenticated requests."""
    pbx = Pbx()
    manager = TokenManager("https://pbx.test", "qp-client", SecretStr(SECRET), clock=clock)
    with httpx.Client(
        base_url="https://pbx.test/xapi/v1", auth=manager, transport=httpx.MockTransport(pbx)
    ) as http, pytest.raises(TypeError, match="AsyncClient only"):
        http.get("/ActiveCalls")
    assert pbx.requests == []
    assert pbx.token_calls == 0


def test_settings_never_show_the_secret() -> None:
    settings = pbx_settings()
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)
    assert XapiClient  # imported for the type; the client repr is checked above
