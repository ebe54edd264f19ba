"""Every error the XAPI client raises, as one tree under :class:`QueuepulseError`.

::

    QueuepulseError
    └── XapiError                  anything that went wrong talking to the PBX
        ├── AuthError              token request rejected, or 401 after one re-authentication
        ├── ForbiddenError         403: the API client lacks the rights for this endpoint
        ├── NotFoundError          404: no such entity / endpoint
        ├── BadRequestError        any other 4xx (the PBX refused the request as sent)
        ├── RateLimitedError       429, with ``retry_after`` seconds when the PBX said so
        ├── UnavailableError       5xx, transport error, timeout
        │   └── CircuitOpenError   the breaker is open: the call was not even tried
        └── PayloadError           2xx but not the documented JSON (HTML page, truncated, schema)
    ReplayFormatError              a replay (JSON Lines) file is not in the documented format

The PBX answers errors with the OData error body (``{"error": {"code", "message", ...}}``);
:func:`error_from_response` parses it when present. Messages name the endpoint (method and path,
never the query string's values or any header) and never carry a secret or call data: body
excerpts are redacted (:func:`excerpt`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from queuepulse.domain.privacy import redact_digits, redact_excerpt
from queuepulse.errors import QueuepulseError

EXCERPT_CHARS = 160


def excerpt(content: bytes | str, limit: int = EXCERPT_CHARS) -> str:
    """A short, single-line, printable excerpt of a body for an error message.

    Redacted (:func:`queuepulse.domain.privacy.redact_excerpt`): the body's shape stays, string
    values and long digit runs — caller numbers and names — never reach an error text, a log
    line or a table, whatever the privacy mode.
    """
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    text = redact_excerpt(" ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class ODataErrorInfo:
    """The parsed OData error body (``ODataErrors.MainError``)."""

    code: str
    message: str
    target: str | None = None
    details: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        """``code: message`` plus the detail messages."""
        text = f"{self.code}: {self.message}" if self.code else self.message
        if self.target:
            text += f" (target {self.target})"
        for code, message in self.details:
            text += f"; {code}: {message}" if code else f"; {message}"
        return text


class XapiError(QueuepulseError):
    """Base of every XAPI failure. ``endpoint`` is e.g. ``GET /ActiveCalls``."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        status: int | None = None,
        odata: ODataErrorInfo | None = None,
    ) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.status = status
        self.odata = odata


class AuthError(XapiError):
    """The PBX refused our credentials (token endpoint) or our token (401 after a re-auth)."""


class ForbiddenError(XapiError):
    """403: the API client is authenticated but may not use this endpoint."""


class NotFoundError(XapiError):
    """404: the entity or endpoint does not exist."""


class BadRequestError(XapiError):
    """Any other 4xx: the PBX rejected the request itself (a bad filter, a bad parameter)."""


class RateLimitedError(XapiError):
    """429: the PBX asked us to slow down; ``retry_after`` is in seconds when it said so."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        endpoint: str | None = None,
        status: int | None = None,
        odata: ODataErrorInfo | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, status=status, odata=odata)
        self.retry_after = retry_after


class UnavailableError(XapiError):
    """The PBX could not be reached or failed (5xx, connection error, timeout)."""


class CircuitOpenError(UnavailableError):
    """The circuit breaker is open: the PBX failed repeatedly, so the call was not attempted."""


class PayloadError(XapiError):
    """A 2xx response whose body is not the documented JSON; ``excerpt`` shows its start."""

    def __init__(
        self,
        message: str,
        *,
        excerpt: str = "",
        endpoint: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, endpoint=endpoint, status=status)
        self.excerpt = excerpt


class ReplayFormatError(QueuepulseError):
    """A replay file line is not ``{"kind", "pbx_id", "received_at", "body"}`` JSON."""


def parse_odata_error(content: bytes) -> ODataErrorInfo | None:
    """Parse an OData error body; ``None`` when the body is not one."""
    try:
        doc = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("error"), dict):
        return None
    main = doc["error"]
    details: list[tuple[str, str]] = []
    for item in main.get("details") or []:
        if isinstance(item, dict):
            details.append((str(item.get("code") or ""), str(item.get("message") or "")))
    target = main.get("target")
    return ODataErrorInfo(
        code=str(main.get("code") or ""),
        message=str(main.get("message") or ""),
        target=str(target) if target is not None else None,
        details=tuple(details),
    )


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (delta-seconds or an HTTP date); ``None`` if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def endpoint_of(request: httpx.Request) -> str:
    """``METHOD /path`` of a request, relative to the API base, without the query string."""
    path = request.url.path
    marker = "/xapi/v1"
    if marker in path:
        path = path.split(marker, 1)[1] or "/"
    return f"{request.method} {path}"


def error_from_response(response: httpx.Response, endpoint: str) -> XapiError:
    """Turn a non-2xx response into the matching :class:`XapiError`."""
    status = response.status_code
    odata = parse_odata_error(response.content)
    if odata is not None:
        reason = redact_digits(odata.describe())  # a PBX message may echo a number
    else:
        body = excerpt(response.content)
        reason = f"HTTP {status} {response.reason_phrase}" + (f": {body}" if body else "")

    def make(cls: type[XapiError], message: str) -> XapiError:
        return cls(message, endpoint=endpoint, status=status, odata=odata)

    if status == 401:
        return make(
            AuthError,
            f"{endpoint} was refused (401) even after re-authenticating: {reason}. "
            "Check that the API client exists, is enabled and its secret is current.",
        )
    if status == 403:
        return make(
            ForbiddenError,
            f"{endpoint} is forbidden (403) for this API client: {reason}. "
            "Give the client's role access to it in the 3CX admin console.",
        )
    if status == 404:
        return make(NotFoundError, f"{endpoint} not found (404): {reason}")
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        wait = f"; retry after {retry_after:g} s" if retry_after is not None else ""
        return RateLimitedError(
            f"{endpoint} was rate limited (429){wait}: {reason}",
            retry_after=retry_after,
            endpoint=endpoint,
            status=status,
            odata=odata,
        )
    if status >= 500:
        return make(UnavailableError, f"{endpoint} failed on the PBX ({status}): {reason}")
    return make(BadRequestError, f"{endpoint} was rejected ({status}): {reason}")
