"""``POST /connect/token``: client credentials, one active token per client, expiry on wall time."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass


class TokenError(Exception):
    """A refused token request, rendered as ``{"error", "error_description"}``."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


@dataclass(slots=True)
class _Issued:
    client_id: str
    expires_at: float


class TokenStore:
    """Issues and checks bearer tokens; a new token for a client revokes its previous one."""

    def __init__(self, clients: Mapping[str, str], ttl_s: int,
                 wall: Callable[[], float] = time.monotonic) -> None:
        self._clients = dict(clients)
        self.ttl_s = ttl_s
        self._wall = wall
        self._tokens: dict[str, _Issued] = {}
        self._active: dict[str, str] = {}
        self._lock = threading.Lock()
        self.issued = 0

    def issue(self, form: Mapping[str, str]) -> dict[str, object]:
        """Check the form fields and return the token reply (``TokenError`` when refused)."""
        grant = form.get("grant_type")
        client_id = form.get("client_id")
        secret = form.get("client_secret")
        if not grant:
            raise TokenError(400, "invalid_request", "grant_type is missing")
        if grant != "client_credentials":
            raise TokenError(400, "unsupported_grant_type",
                             f"grant_type {grant!r} is not supported; use client_credentials")
        if not client_id or secret is None:
            raise TokenError(400, "invalid_request", "client_id and client_secret are required")
        expected = self._clients.get(client_id)
        if expected is None or not secrets.compare_digest(expected, secret):
            raise TokenError(401, "invalid_client", "unknown client or wrong secret")
        token = secrets.token_urlsafe(32)
        with self._lock:
            old = self._active.get(client_id)
            if old is not None:
                self._tokens.pop(old, None)
            self._tokens[token] = _Issued(client_id, self._wall() + self.ttl_s)
            self._active[client_id] = token
            self.issued += 1
        return {
            "token_type": "Bearer",
            "expires_in": self.ttl_s,
            "access_token": token,
            "refresh_token": secrets.token_urlsafe(24),
        }

    def check(self, token: str) -> str | None:
        """The client id a live token belongs to, or None (unknown, revoked or expired)."""
        with self._lock:
            issued = self._tokens.get(token)
            if issued is None:
                return None
            if self._wall() >= issued.expires_at:
                self._tokens.pop(token, None)
                if self._active.get(issued.client_id) == token:
                    del self._active[issued.client_id]
                return None
            return issued.client_id

    def revoke(self, client_id: str | None = None) -> int:
        """Revoke one client's token (or all tokens); return how many were revoked."""
        with self._lock:
            if client_id is None:
                n = len(self._tokens)
                self._tokens.clear()
                self._active.clear()
                return n
            token = self._active.pop(client_id, None)
            if token is None:
                return 0
            self._tokens.pop(token, None)
            return 1
