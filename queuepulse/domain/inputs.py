"""Checks for values where they enter: ranges, lengths, characters, dates within a sane window.

A PBX (or a proxy in front of it, or a damaged recording) can send any bytes. Everything the
pipeline reads from outside goes through these checks once, where it enters (the ActiveCalls
parser, the Queues/Users parser, the replay reader), so the lifecycle, the windows and the
database only ever see values they can hold:

* text: at most ``max_len`` characters (longer is cut), no NUL or other control characters and
  no lone UTF-16 surrogates (PostgreSQL text cannot hold NUL; a lone surrogate cannot be
  encoded as UTF-8) — they are removed;
* integers: within the column's range (an ``Id`` is an int32 in the XAPI, the database's
  ``integer`` columns are int32 too);
* date-times: between :data:`EARLIEST` and :data:`LATEST` (UTC), far enough from both ends of
  Python's and PostgreSQL's ranges that adding an hour, a day or a retention period never
  overflows;
* identifiers (the PBX id): 1 to :data:`MAX_ID_LEN` printable characters.

Each check returns the usable value and whether the input had to be changed or refused, so the
caller counts it (a poll's ``problems``, a skipped replay line). Nothing here raises.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

__all__ = [
    "EARLIEST",
    "INT32_MAX",
    "INT32_MIN",
    "LATEST",
    "MAX_ID_LEN",
    "MAX_TEXT_LEN",
    "check_identifier",
    "clean_text",
    "int_in_range",
    "sane_datetime",
]

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
#: Longest text field kept from a PBX (a caller name, a status, a DN); longer is cut.
MAX_TEXT_LEN = 256
#: Longest PBX id accepted (it is part of every key).
MAX_ID_LEN = 64
#: The window of date-times accepted from a PBX or a recording (UTC).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

# C0 controls (tab included: no field of ours carries one), DEL, C1 controls, lone surrogates.
_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(value: str, max_len: int = MAX_TEXT_LEN) -> tuple[str, bool]:
    """``value`` without control characters or lone surrogates, cut to ``max_len`` characters;
    and whether anything had to be changed."""
    changed = False
    if len(value) > max_len:
        value, changed = value[:max_len], True
    if _BAD_CHARS.search(value) is not None:
        value, changed = _BAD_CHARS.sub("", value), True
    return value, changed


def int_in_range(value: int, low: int = INT32_MIN, high: int = INT32_MAX) -> int | None:
    """``value`` if ``low <= value <= high``, else ``None``."""
    return value if low <= value <= high else None


def sane_datetime(value: datetime) -> datetime | None:
    """``value`` if it lies in [:data:`EARLIEST`, :data:`LATEST`), else ``None`` (an aware value
    is compared in UTC; a naive one is read as UTC)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return value if EARLIEST <= aware < LATEST else None


def check_identifier(value: object, what: str = "pbx_id") -> str | None:
    """Why ``value`` is not usable as an identifier (a PBX id), or ``None`` when it is."""
    if not isinstance(value, str) or not value:
        return f"{what} must be a non-empty string"
    if len(value) > MAX_ID_LEN:
        return f"{what} is {len(value)} characters long (at most {MAX_ID_LEN})"
    if _BAD_CHARS.search(value) is not None:
        return f"{what} contains control characters"
    return None
