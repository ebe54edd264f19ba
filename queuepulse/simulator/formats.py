"""Wire formats of the XAPI: date-times and ISO-8601 durations, from integer milliseconds.

The simulator keeps every instant as integer milliseconds since the Unix epoch (UTC), so that
times are exact and seeded runs compare equal; these helpers render them as the OpenAPI document
wants (``2026-01-05T08:00:01.250Z``, ``PT1M5.5S``) and parse OData literals back.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

_second_cache: dict[int, str] = {}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def fmt_ms(ms: int) -> str:
    """Render epoch milliseconds as an XAPI date-time (UTC, millisecond precision, ``Z``)."""
    sec, milli = divmod(ms, 1000)
    prefix = _second_cache.get(sec)
    if prefix is None:
        if len(_second_cache) > 4096:
            _second_cache.clear()
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
        _second_cache[sec] = prefix
    return f"{prefix}.{milli:03d}Z"


def fmt_duration(seconds: float) -> str:
    """Render a non-negative number of seconds as an ISO-8601 duration (``PT1M5.5S``).

    Hours are not folded into days (``PT25H``), which the spec's pattern allows.
    """
    negative = seconds < 0
    total_ms = round(abs(seconds) * 1000)
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    out = "-PT" if negative else "PT"
    if hours:
        out += f"{hours}H"
    if minutes:
        out += f"{minutes}M"
    if secs or millis or (not hours and not minutes):
        if millis:
            frac = f"{millis:03d}".rstrip("0")
            out += f"{secs}.{frac}S"
        else:
            out += f"{secs}S"
    return out


def parse_datetime_ms(text: str) -> int:
    """Parse an ISO-8601 date-time (``Z`` or offset; naive means UTC) into epoch milliseconds.

    Raises ``ValueError`` naming the input when it is not a date-time.
    """
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ValueError(f"not an ISO-8601 date-time: {text!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return (parsed - _EPOCH) // timedelta(milliseconds=1)


def ms_to_datetime(ms: int) -> datetime:
    """Epoch milliseconds as an aware UTC datetime (exact, no float rounding)."""
    return _EPOCH + timedelta(milliseconds=ms)


def datetime_to_ms(value: datetime) -> int:
    """An aware (or naive = UTC) datetime as epoch milliseconds."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EPOCH) // timedelta(milliseconds=1)
