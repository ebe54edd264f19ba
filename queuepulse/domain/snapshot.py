"""Domain input types: one ActiveCalls poll, independent of the HTTP client.

``ActiveCallRow`` mirrors the XAPI ``Pbx.ActiveCall`` schema (every field but ``Id`` nullable),
``Poll`` is one poll of one PBX (a failed poll is a gap marker, not an empty PBX). Parsing is
tolerant: a missing or malformed field becomes ``None`` and is counted in a
:class:`ParsedActiveCalls` report; a row without a usable ``Id`` is skipped and counted. Every
value is checked as it enters (:mod:`queuepulse.domain.inputs`): an ``Id`` outside int32 skips
its row, text is cut to 256 characters and loses control characters (NUL included), a date-time
outside 2000-2100 is ``None``; each is counted. Nothing here raises on bad input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from queuepulse.domain.inputs import clean_text, int_in_range, sane_datetime

__all__ = [
    "ActiveCallRow",
    "ParsedActiveCalls",
    "Poll",
    "format_datetime",
    "parse_active_calls",
    "parse_datetime",
    "poll_from_body",
]

# The spec's date-time pattern: seconds required, up to 12 fractional digits, Z or ±hh:mm.
# Tolerated beyond it: a space instead of 'T', a lowercase 'z', ±hhmm, and no offset (read as UTC).
_DT_RE = re.compile(
    r"^(\d{4,})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,12}))?"
    r"(?:([Zz])|([+-])(\d\d):?(\d\d))?$"
)
# The shape 3CX sends (UTC, 'Z'): read by datetime.fromisoformat, four times faster than the
# general pattern above, with the same result.
_UTC_Z_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,12})?Z")


def parse_datetime(value: object) -> datetime | None:
    """Parse an XAPI ``date-time`` string into an aware UTC datetime; ``None`` if unusable.

    Fractional digits beyond microseconds are truncated (the spec allows up to 12). A value
    without an offset is read as UTC. Non-strings, out-of-range fields and years beyond 9999
    give ``None`` rather than an exception.
    """
    if not isinstance(value, str):
        return None
    if _UTC_Z_RE.fullmatch(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    m = _DT_RE.match(value.strip())
    if m is None:
        return None
    year, month, day, hour, minute, second, frac, zulu, sign, off_h, off_m = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        tz: timezone = UTC
        if sign is not None:
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
            tz = timezone(-offset if sign == "-" else offset)
        dt = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz
        )
    except (ValueError, OverflowError):
        return None
    if zulu is None and sign is None:
        return dt
    return dt.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """Format an aware datetime as the spec's date-time (UTC, ``Z``, microseconds if any)."""
    v = value.astimezone(UTC)
    text = v.strftime("%Y-%m-%dT%H:%M:%S")
    if v.microsecond:
        text += f".{v.microsecond:06d}"
    return text + "Z"


@dataclass(frozen=True, slots=True)
class ActiveCallRow:
    """One row of ``GET /ActiveCalls`` (the ``Pbx.ActiveCall`` schema), times in UTC."""

    id: int
    caller: str | None
    callee: str | None
    status: str | None
    last_change_status: datetime | None
    established_at: datetime | None
    server_now: datetime | None


@dataclass(frozen=True, slots=True)
class Poll:
    """One ActiveCalls poll of one PBX.

    ``received_at`` is the local (aware) time the response arrived. ``ok=False`` marks a failed
    poll (PBX down, token failure, malformed body): a gap, never "all calls ended".
    ``problems`` counts fields that were missing or malformed in the body (see
    :func:`parse_active_calls`).
    """

    pbx_id: str
    received_at: datetime
    calls: tuple[ActiveCallRow, ...] = ()
    ok: bool = True
    error: str | None = None
    problems: int = 0


@dataclass(frozen=True, slots=True)
class ParsedActiveCalls:
    """The rows of one ActiveCalls body and what was wrong with it."""

    rows: tuple[ActiveCallRow, ...]
    skipped_rows: int = 0
    missing_fields: int = 0
    bad_values: int = 0
    problems: tuple[str, ...] = ()

    @property
    def problem_count(self) -> int:
        """Skipped rows plus missing and malformed fields."""
        return self.skipped_rows + self.missing_fields + self.bad_values


_MAX_MESSAGES = 20


class _Report:
    __slots__ = ("bad", "messages", "missing", "skipped")

    def __init__(self) -> None:
        self.skipped = 0
        self.missing = 0
        self.bad = 0
        self.messages: list[str] = []

    def note(self, message: str) -> None:
        if len(self.messages) < _MAX_MESSAGES:
            self.messages.append(message)


def _parse_id(raw: object) -> int | None:
    """An ``Id``: an int32 (the XAPI's type), or a string of one; anything else is None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return int_in_range(raw)
    if isinstance(raw, str) and re.fullmatch(r"-?\d{1,10}", raw.strip()):
        return int_in_range(int(raw))
    return None


def _short(raw: object) -> str:
    """A short, safe description of a refused value for a problem message (never ``repr`` of a
    whole nested structure: that may be deep or huge)."""
    if isinstance(raw, str):
        return repr(clean_text(raw, 40)[0])
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        text = str(raw) if not isinstance(raw, int) or raw.bit_length() < 128 else "<huge int>"
        return text[:40]
    return type(raw).__name__


def _text(item: Mapping[str, Any], name: str, index: int, report: _Report) -> str | None:
    if name not in item:
        report.missing += 1
        report.note(f"row {index}: field {name} missing")
        return None
    raw = item[name]
    if raw is None:
        return None
    if isinstance(raw, str):
        text, changed = clean_text(raw)
        if changed:
            report.bad += 1
            report.note(f"row {index}: field {name} had control characters or was too long")
        return text
    report.bad += 1
    report.note(f"row {index}: field {name} is {type(raw).__name__}, expected a string")
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return _short(raw)
    return None


def _when(item: Mapping[str, Any], name: str, index: int, report: _Report) -> datetime | None:
    if name not in item:
        report.missing += 1
        report.note(f"row {index}: field {name} missing")
        return None
    raw = item[name]
    if raw is None:
        return None
    parsed = parse_datetime(raw)
    if parsed is None:
        report.bad += 1
        report.note(f"row {index}: field {name}={_short(raw)} is not an ISO-8601 date-time")
        return None
    if sane_datetime(parsed) is None:
        report.bad += 1
        report.note(f"row {index}: field {name}={format_datetime(parsed)} is outside 2000-2100")
        return None
    return parsed


def parse_active_calls(body: object) -> ParsedActiveCalls:
    """Parse a ``GET /ActiveCalls`` body (the collection envelope, or a bare list of rows).

    Never raises: a body that is not an envelope gives no rows and one problem; a row that is
    not an object or has no integer ``Id`` is skipped; missing fields are ``None`` and counted.
    """
    report = _Report()
    items: object
    if isinstance(body, Mapping):
        items = body.get("value")
        if items is None:
            report.skipped += 1
            report.note("body has no 'value' array")
            items = []
    else:
        items = body
    if not isinstance(items, list):
        report.skipped += 1
        report.note(f"'value' is {type(items).__name__}, expected an array")
        items = []
    rows: list[ActiveCallRow] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            report.skipped += 1
            report.note(f"row {index}: not an object")
            continue
        call_id = _parse_id(item.get("Id"))
        if call_id is None:
            report.skipped += 1
            report.note(f"row {index}: Id {_short(item.get('Id'))} is not an int32")
            continue
        rows.append(
            ActiveCallRow(
                id=call_id,
                caller=_text(item, "Caller", index, report),
                callee=_text(item, "Callee", index, report),
                status=_text(item, "Status", index, report),
                last_change_status=_when(item, "LastChangeStatus", index, report),
                established_at=_when(item, "EstablishedAt", index, report),
                server_now=_when(item, "ServerNow", index, report),
            )
        )
    return ParsedActiveCalls(
        rows=tuple(rows),
        skipped_rows=report.skipped,
        missing_fields=report.missing,
        bad_values=report.bad,
        problems=tuple(report.messages),
    )


def poll_from_body(pbx_id: str, received_at: datetime, body: object) -> Poll:
    """Build a successful :class:`Poll` from a raw ActiveCalls body, counting its problems.

    A body that is not a collection envelope at all gives a failed poll (a gap), since an
    unreadable answer says nothing about which calls exist.
    """
    if not isinstance(body, Mapping | list):
        return Poll(
            pbx_id, received_at, (), ok=False,
            error=f"ActiveCalls body is {type(body).__name__}, expected an object", problems=1,
        )
    if isinstance(body, Mapping) and not isinstance(body.get("value"), list):
        return Poll(
            pbx_id, received_at, (), ok=False,
            error="ActiveCalls body has no 'value' array", problems=1,
        )
    parsed = parse_active_calls(body)
    return Poll(pbx_id, received_at, parsed.rows, ok=True, problems=parsed.problem_count)
