"""Fakes for the XAPI client tests: a clock/sleep that never waits, a scripted PBX, settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from queuepulse.settings import PbxSettings

SECRET = "s3cr3t-Never-Show-Me"
TOKEN = "tok-abcdef-123456"
SHARED = Path(__file__).resolve().parents[2].parent / "shared"


class FakeClock:
    """A monotonic clock that only moves when told to, and a sleep that moves it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def wall(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=self.now)


def pbx_settings(**overrides: Any) -> PbxSettings:
    values: dict[str, Any] = {
        "pbx_id": "test",
        "url": "https://pbx.test",
        "client_id": "qp-client",
        "client_secret": SecretStr(SECRET),
        "timeout_s": 2.0,
        "retry_budget_s": 5.0,
        "breaker_failures": 3,
        "breaker_reset_s": 10.0,
    }
    values.update(overrides)
    return PbxSettings(**values)


class Pbx:
    """A scripted PBX for MockTransport: a token endpoint plus per-path API handlers."""

    def __init__(self, expires_in: float = 3600) -> None:
        self.expires_in = expires_in
        self.token_calls = 0
        self.token_forms: list[bytes] = []
        self.requests: list[httpx.Request] = []
        self.auth_headers: list[str] = []
        self.routes: dict[str, Callable[[httpx.Request], httpx.Response]] = {}
        self.default: Callable[[httpx.Request], httpx.Response] = lambda r: httpx.Response(
            200, json={"value": []}
        )
        self.valid_tokens: set[str] = set()
        self.token_status = 200

    def issue(self) -> str:
        self.token_calls += 1
        token = f"{TOKEN}-{self.token_calls}"
        self.valid_tokens = {token}  # a new token invalidates the old one
        return token

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/connect/token":
            self.token_forms.append(request.content)
            if self.token_status != 200:
                self.token_calls += 1
                return httpx.Response(
                    self.token_status,
                    json={"error": "invalid_client", "error_description": "bad credentials"},
                )
            return httpx.Response(
                200,
                json={
                    "token_type": "Bearer",
                    "expires_in": self.expires_in,
                    "access_token": self.issue(),
                    "refresh_token": "r",
                },
            )
        self.requests.append(request)
        auth = request.headers.get("authorization", "")
        self.auth_headers.append(auth)  # the request object is re-sent mutated: copy now
        if auth.removeprefix("Bearer ") not in self.valid_tokens:
            return httpx.Response(401)
        path = request.url.path.removeprefix("/xapi/v1")
        handler = self.routes.get(path, self.default)
        return handler(request)
