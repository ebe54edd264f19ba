"""OAuth2 client-credentials token manager, as an :class:`httpx.Auth` generator flow.

3CX keeps one active access token per API client (a new token presumably invalidates the old),
so a process must share **one** manager per client among all its requests: the manager fetches
single-flight behind a lock, renews a little before ``expires_in`` (seconds) runs out, and on a
401 re-authenticates once — unless another request already did — and retries the request once.
A second 401 is returned to the caller, which turns it into :class:`AuthError`.

The token request (``POST {pbx}/connect/token``, form-encoded ``client_id``, ``client_secret``,
``grant_type=client_credentials``) is yielded through the same client as the API requests, so it
shares their transport, TLS settings and timeouts. Neither the secret nor the token ever appears
in a repr, a log line or an exception message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from queuepulse.xapi.errors import AuthError, UnavailableError, excerpt, parse_odata_error

log = logging.getLogger(__name__)

DEFAULT_EXPIRES_IN_S = 60.0
"""Assumed token lifetime when the reply has no ``expires_in``."""


@dataclass(frozen=True)
class _Token:
    value: str
    expires_at: float  # on the manager's clock
    renew_at: float

    def __repr__(self) -> str:
        return f"_Token(expires_at={self.expires_at:.1f}, renew_at={self.renew_at:.1f})"


class TokenManager(httpx.Auth):
    """Bearer tokens for one API client, shared by every request of the process.

    ``clock`` is a monotonic clock in seconds (inject a fake one in tests). A token is renewed
    ``renew_margin_s`` before it expires, or at half its lifetime if that is sooner.
    """

    requires_response_body = False

    def __init__(
        self,
        pbx_url: str,
        client_id: str,
        client_secret: SecretStr,
        *,
        clock: Callable[[], float] = time.monotonic,
        renew_margin_s: float = 30.0,
    ) -> None:
        if not isinstance(client_secret, SecretStr):
            raise TypeError("client_secret must be a pydantic SecretStr")
        self.token_url = pbx_url.rstrip("/") + "/connect/token"
        self.client_id = client_id
        self._secret = client_secret
        self._clock = clock
        self._renew_margin_s = renew_margin_s
        self._token: _Token | None = None
        self._alock: asyncio.Lock | None = None
        self._alock_loop: asyncio.AbstractEventLoop | None = None
        self.token_requests = 0
        """How many token requests were sent (for metrics and tests)."""
        self.token_failures = 0
        """How many token requests failed."""
        self.token_conflicts = 0
        """How many unexpired tokens the PBX rejected (401): another token was issued for this
        client since, i.e. another process uses the same credentials."""

    def __repr__(self) -> str:
        return f"TokenManager(token_url={self.token_url!r}, client_id={self.client_id!r})"

    # --- state ---------------------------------------------------------------------------

    @property
    def has_valid_token(self) -> bool:
        """A token is held and not yet due for renewal."""
        return self._token is not None and self._clock() < self._token.renew_at

    def invalidate(self) -> None:
        """Forget the token: the next request fetches a new one."""
        self._token = None

    def _needs_token(self) -> bool:
        return not self.has_valid_token

    def _async_lock(self) -> asyncio.Lock:
        # An asyncio.Lock belongs to one event loop; a manager reused under a new loop
        # (e.g. successive asyncio.run calls) gets a fresh one.
        loop = asyncio.get_running_loop()
        if self._alock is None or self._alock_loop is not loop:
            self._alock = asyncio.Lock()
            self._alock_loop = loop
        return self._alock

    # --- the token request -----------------------------------------------------------------

    def build_token_request(self, for_request: httpx.Request | None = None) -> httpx.Request:
        """The form-encoded client-credentials request (with ``for_request``'s timeouts)."""
        self.token_requests += 1
        extensions = {}
        if for_request is not None and "timeout" in for_request.extensions:
            extensions["timeout"] = for_request.extensions["timeout"]
        return httpx.Request(
            "POST",
            self.token_url,
            data={
                "client_id": self.client_id,
                "client_secret": self._secret.get_secret_value(),
                "grant_type": "client_credentials",
            },
            headers={"Accept": "application/json"},
            extensions=extensions,
        )

    def accept_token_response(self, response: httpx.Response) -> None:
        """Store the token from a reply, or raise :class:`AuthError`/:class:`UnavailableError`."""
        status = response.status_code
        where = f"POST {httpx.URL(self.token_url).path}"
        if status != 200:
            self.token_failures += 1
            reason = _token_error_reason(response)
            if status >= 500 or status == 429:
                raise UnavailableError(
                    f"token request {where} failed on the PBX ({status}): {reason}",
                    endpoint=where,
                    status=status,
                )
            raise AuthError(
                f"token request {where} for client_id {self.client_id!r} was refused ({status}): "
                f"{reason}. Check the client id and secret of the 3CX API client "
                "(Admin > Integrations > API).",
                endpoint=where,
                status=status,
            )
        try:
            doc = response.json()
            token = doc["access_token"]
            if not isinstance(token, str) or not token:
                raise TypeError("access_token is not a non-empty string")
            raw_expires = doc.get("expires_in")
            expires_in = float(raw_expires) if raw_expires is not None else DEFAULT_EXPIRES_IN_S
        except (ValueError, KeyError, TypeError) as exc:
            self.token_failures += 1
            # Never quote the body here: it may hold a token.
            raise AuthError(
                f"token reply from {where} is not the expected JSON "
                f"({type(exc).__name__}: access_token / expires_in missing or malformed)",
                endpoint=where,
                status=status,
            ) from None
        now = self._clock()
        margin = min(self._renew_margin_s, expires_in / 2)
        self._token = _Token(token, expires_at=now + expires_in, renew_at=now + expires_in - margin)
        log.info(
            "xapi token acquired",
            extra={"client_id": self.client_id, "expires_in_s": expires_in},
        )

    def _note_rejected(self, token: _Token | None) -> None:
        """A 401 for ``token``: a conflict when it had not expired (3CX keeps one token per
        client, so a newer one issued to another process revoked it) — said once, plainly,
        then only counted; otherwise an ordinary re-authentication."""
        if token is not None and self._clock() < token.expires_at:
            self.token_conflicts += 1
            if self.token_conflicts == 1:
                log.warning(
                    "another process uses this XAPI client: 3CX keeps one token per API client, "
                    "so each side's re-authentication logs the other out. Give each process its "
                    "own API client (3CX Admin > Integrations > API); further conflicts are "
                    "only counted (queuepulse_token_conflicts_total)",
                    extra={"client_id": self.client_id},
                )
            else:
                log.debug("xapi token revoked by another process; re-authenticating",
                          extra={"client_id": self.client_id, "conflicts": self.token_conflicts})
            return
        log.warning("xapi 401: re-authenticating once", extra={"client_id": self.client_id})

    def _authorize(self, request: httpx.Request) -> str:
        assert self._token is not None
        request.headers["Authorization"] = f"Bearer {self._token.value}"
        return self._token.value

    # --- httpx.Auth flows --------------------------------------------------------------------

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if self._needs_token():
            async with self._async_lock():
                if self._needs_token():  # another request may have fetched it meanwhile
                    reply = yield self.build_token_request(request)
                    await reply.aread()
                    self.accept_token_response(reply)
        used = self._authorize(request)
        response = yield request
        if response.status_code != 401:
            return
        await response.aread()
        async with self._async_lock():
            if self._token is None or self._token.value == used:
                self._note_rejected(self._token)
                self._token = None
                reply = yield self.build_token_request(request)
                await reply.aread()
                self.accept_token_response(reply)
        self._authorize(request)
        yield request

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """Refused: the manager serves the async :class:`~queuepulse.xapi.client.XapiClient`."""
        raise TypeError(
            "TokenManager works with httpx.AsyncClient only; use XapiClient (async) "
            "instead of a sync httpx.Client"
        )
        yield request  # pragma: no cover - makes this a generator, as httpx expects


def _token_error_reason(response: httpx.Response) -> str:
    """``error_description``/``error`` of an OAuth2 error reply, the OData error, or an excerpt."""
    try:
        doc = response.json()
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        description = doc.get("error_description")
        error = doc.get("error")
        if isinstance(error, str) and error:
            return f"{error}" + (f" ({description})" if description else "")
    odata = parse_odata_error(response.content)
    if odata is not None:
        return odata.describe()
    return excerpt(response.content) or response.reason_phrase
