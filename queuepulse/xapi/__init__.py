"""queuepulse.xapi: the 3CX v20 XAPI client (OAuth2, OData, typed models, resilience, record).

Start here: :class:`XapiClient` (one per PBX and process), its errors in
:mod:`queuepulse.xapi.errors`, its models in :mod:`queuepulse.xapi.models` and
:mod:`queuepulse.xapi.reports`, and the replay file format in :mod:`queuepulse.xapi.replay_file`.
"""

from queuepulse.xapi.client import ClientStats, RawPoll, XapiClient
from queuepulse.xapi.errors import (
    AuthError,
    BadRequestError,
    CircuitOpenError,
    ForbiddenError,
    NotFoundError,
    PayloadError,
    RateLimitedError,
    UnavailableError,
    XapiError,
)
from queuepulse.xapi.odata import ODataQuery

__all__ = [
    "AuthError",
    "BadRequestError",
    "CircuitOpenError",
    "ClientStats",
    "ForbiddenError",
    "NotFoundError",
    "ODataQuery",
    "PayloadError",
    "RateLimitedError",
    "RawPoll",
    "UnavailableError",
    "XapiClient",
    "XapiError",
]
