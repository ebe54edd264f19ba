"""ISO-8601 durations as the XAPI spells them, and back.

The OpenAPI document's pattern is ``^-?P([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+([.][0-9]+)?S)?)?$``:
days, hours, minutes and (fractional) seconds only — no years, months or weeks — and the bare
``P`` and ``PT`` are valid (zero).
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<d>[0-9]+)D)?"
    r"(?:T(?:(?P<h>[0-9]+)H)?(?:(?P<m>[0-9]+)M)?(?:(?P<s>[0-9]+(?:\.[0-9]+)?)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    """Parse an XAPI duration (``PT1M30.5S``, ``P1DT2H``, ``PT``, ``-PT5S``) into a timedelta.

    Raises :class:`ValueError` naming the input when it does not match the spec's pattern.
    Fractions of a second beyond microseconds are truncated.
    """
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(
            f"not an XAPI duration: {text!r} "
            "(expected e.g. 'PT1M30S'; pattern -?P[nD][T[nH][nM][n[.f]S]])"
        )
    seconds = Decimal(match["s"] or 0)
    whole = int(seconds)
    micros = int((seconds - whole) * 1_000_000)
    value = timedelta(
        days=int(match["d"] or 0),
        hours=int(match["h"] or 0),
        minutes=int(match["m"] or 0),
        seconds=whole,
        microseconds=micros,
    )
    return -value if match["sign"] else value


def format_duration(value: timedelta) -> str:
    """Format a timedelta the way the spec's pattern accepts (``PT0S`` for zero)."""
    sign = "-" if value < timedelta(0) else ""
    value = abs(value)
    days = value.days
    rest = value.seconds
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    out = f"{sign}P"
    if days:
        out += f"{days}D"
    time_part = ""
    if hours:
        time_part += f"{hours}H"
    if minutes:
        time_part += f"{minutes}M"
    if secs or value.microseconds or not (days or hours or minutes):
        frac = f".{value.microseconds:06d}".rstrip("0") if value.microseconds else ""
        time_part += f"{secs}{frac}S"
    if time_part:
        out += "T" + time_part
    return out
