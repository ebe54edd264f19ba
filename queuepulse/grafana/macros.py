"""Expand a panel's SQL the way Grafana does before it reaches PostgreSQL.

Three stages, in Grafana's order:

1. **Template variables** (Grafana's frontend ``templateSrv.replace`` with the PostgreSQL
   datasource's ``interpolateVariable``): ``$var``, ``${var}``, ``${var:format}`` and
   ``[[var]]``. Without a format, a multi-value or include-All variable has each value quoted
   as a SQL literal and joined with ``,``; a single-value variable is inserted with quotes
   doubled but unquoted. ``All`` means every option (or the variable's custom all value,
   inserted verbatim). Unknown variables and Grafana's own macros are left alone.
2. **Global SQL substitutions** (``sqleng.Interpolate``): ``$__interval_ms``, ``$__interval``,
   ``$__unixEpochFrom()``, ``$__unixEpochTo()``.
3. **PostgreSQL macros** (``postgresMacroEngine``): ``$__time``, ``$__timeEpoch``,
   ``$__timeFilter``, ``$__timeFrom``, ``$__timeTo``, ``$__timeGroup`` (``time_bucket`` with
   TimescaleDB), ``$__timeGroupAlias``, ``$__unixEpochFilter``, ``$__unixEpochNanoFilter``,
   ``$__unixEpochNanoFrom``/``To``, ``$__unixEpochGroup``/``Alias``. An unknown ``$__name(...)``
   is an error, as in Grafana.

Time ranges are formatted like Go's RFC 3339 with nanoseconds (trailing zeros dropped, UTC as
``Z``), intervals like Grafana's ``gtime.FormatInterval``.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from queuepulse.errors import QueuepulseError

ALL_VALUE = "$__all"


class MacroError(QueuepulseError):
    """A macro could not be expanded (bad arguments or an unknown macro)."""


@dataclass(frozen=True)
class Variable:
    """A dashboard template variable as the panel sees it at query time.

    ``value`` is the current selection: a string, a list of strings (multi-value), or
    ``[ALL_VALUE]`` / ``ALL_VALUE`` for All. ``options`` are the variable's option values
    (without All), used to expand All when there is no ``all_value``.
    """

    name: str
    value: str | Sequence[str]
    multi: bool = False
    include_all: bool = False
    options: Sequence[str] = ()
    all_value: str | None = None


@dataclass(frozen=True)
class FillMode:
    """A ``$__timeGroup(col, interval, fill)`` fill request (applied by Grafana, not SQL)."""

    interval: timedelta
    mode: str
    value: float | None = None


@dataclass
class Expansion:
    """The SQL Grafana would send, plus the fill mode a ``$__timeGroup`` asked for."""

    sql: str
    fill: FillMode | None = field(default=None)


# ----------------------------------------------------------------------------- formatting


def format_rfc3339_nano(moment: datetime) -> str:
    """Go's ``time.RFC3339Nano`` of ``moment`` in UTC (``2024-05-01T10:00:00.5Z``)."""
    if moment.tzinfo is None:
        raise MacroError(f"time {moment!r} has no time zone; pass an aware datetime")
    utc = moment.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += "." + f"{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def format_interval(interval: timedelta) -> str:
    """Grafana's ``gtime.FormatInterval``: the largest whole unit (``1d``, ``5m``, ``100ms``)."""
    ms = int(interval / timedelta(milliseconds=1))
    for unit, size in (
        ("y", 365 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
    ):
        if ms >= size:
            return f"{ms // size}{unit}"
    return "1ms"


_GO_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DATE_UNIT = re.compile(r"^(\d+)([dwMy])$")
_GO_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_interval(text: str) -> timedelta:
    """Grafana's ``gtime.ParseInterval``: ``5m``, ``1h30m``, ``500ms``, ``1d``, ``2w``, ``1M``."""
    value = text.strip()
    date = _DATE_UNIT.match(value)
    if date:
        number, unit = int(date.group(1)), date.group(2)
        day = 86400.0
        year = day * 365.25
        seconds = {"d": day, "w": 7 * day, "M": year / 12, "y": year}[unit]
        return timedelta(seconds=number * seconds)
    pos = 0
    total = 0.0
    for part in _GO_PART.finditer(value):
        if part.start() != pos:
            break
        total += float(part.group(1)) * _GO_UNITS[part.group(2)]
        pos = part.end()
    if pos != len(value) or not value:
        raise MacroError(f"error parsing interval {text!r}: use e.g. 30s, 5m, 1h, 1d")
    return timedelta(seconds=total)


def _seconds_repr(interval: timedelta) -> str:
    """Go's ``%v`` of a float64 number of seconds (``60``, ``0.5``)."""
    seconds = interval.total_seconds()
    return str(int(seconds)) if seconds == int(seconds) else repr(seconds)


# ----------------------------------------------------------------------------- variables

_VARIABLE = re.compile(
    r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}"
)


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _values(variable: Variable) -> tuple[list[str], bool]:
    """The selected values and whether the selection is All with a custom all value."""
    raw = [variable.value] if isinstance(variable.value, str) else list(variable.value)
    if ALL_VALUE in raw:
        if variable.all_value is not None:
            return [variable.all_value], True
        return list(variable.options), False
    return raw, False


def _format(values: list[str], variable: Variable, fmt: str | None) -> str:
    is_list = len(values) != 1 or not isinstance(variable.value, str)
    if fmt is None:
        # PostgreSQL datasource interpolateVariable
        if not is_list:
            single = values[0]
            if variable.multi or variable.include_all:
                return _quote_literal(single)
            return single.replace("'", "''")
        return ",".join(_quote_literal(v) for v in values)
    if fmt == "csv":
        return ",".join(values)
    if fmt == "sqlstring":
        return ",".join(_quote_literal(v) for v in values)
    if fmt in ("raw", "text"):
        return ",".join(values)
    if fmt == "singlequote":
        return ",".join("'" + v.replace("'", "\\'") + "'" for v in values)
    if fmt == "doublequote":
        return ",".join('"' + v.replace('"', '\\"') + '"' for v in values)
    if fmt == "pipe":
        return "|".join(values)
    if fmt == "json":
        return json.dumps(values if is_list else values[0], separators=(",", ":"))
    if fmt == "percentencode":
        # encodeURIComponentStrict: only A-Z a-z 0-9 - _ . ~ stay as they are
        text = "{" + ",".join(values) + "}" if is_list else values[0]
        return urllib.parse.quote(text, safe="")
    raise MacroError(f"unsupported variable format {fmt!r} for ${variable.name}")


def interpolate_variables(
    sql: str, variables: Mapping[str, Variable], builtins: Mapping[str, str] | None = None
) -> str:
    """Stage 1: replace template variables (and Grafana's scoped built-ins like ``__interval``)."""
    scoped = dict(builtins or {})

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(4)
        fmt = match.group(3) or match.group(6)
        if name in scoped:
            return scoped[name]
        variable = variables.get(name)
        if variable is None:
            return match.group(0)
        values, custom_all = _values(variable)
        if custom_all:
            # a custom all value is inserted verbatim, formatted only by text/percentencode
            if fmt not in ("text", "percentencode"):
                return values[0]
            return _format(values, Variable(variable.name, values[0]), fmt)
        return _format(values, variable, fmt)

    return _VARIABLE.sub(replace, sql)


# ----------------------------------------------------------------------------- macros

_MACRO = re.compile(r"\$([_a-zA-Z0-9]+)\(([^)]*)\)")


def _fill(args: list[str], interval: timedelta) -> FillMode:
    mode = args[2]
    if mode.upper() == "NULL":
        return FillMode(interval, "null")
    if mode == "previous":
        return FillMode(interval, "previous")
    try:
        return FillMode(interval, "value", float(mode))
    except ValueError:
        raise MacroError(
            f"error parsing fill value {mode!r}: use NULL, previous or a number"
        ) from None


def _evaluate(
    name: str, args: list[str], start: datetime, end: datetime, timescaledb: bool, result: Expansion
) -> str:
    def need_column() -> str:
        if not args or not args[0]:
            raise MacroError(f"missing time column argument for macro {name}")
        return args[0]

    def group_interval() -> timedelta:
        if len(args) < 2:
            raise MacroError(f"macro {name} needs time column and interval and optional fill value")
        try:
            interval = parse_interval(args[1].strip("'"))
        except MacroError:
            raise MacroError(f"error parsing interval {args[1]}") from None
        if len(args) == 3:
            result.fill = _fill(args, interval)
        return interval

    if name == "__time":
        return f'{need_column()} AS "time"'
    if name == "__timeEpoch":
        return f'extract(epoch from {need_column()}) as "time"'
    if name == "__timeFilter":
        col = need_column()
        return f"{col} BETWEEN '{format_rfc3339_nano(start)}' AND '{format_rfc3339_nano(end)}'"
    if name == "__timeFrom":
        return f"'{format_rfc3339_nano(start)}'"
    if name == "__timeTo":
        return f"'{format_rfc3339_nano(end)}'"
    if name in ("__timeGroup", "__timeGroupAlias"):
        interval = group_interval()
        if timescaledb:
            group = f"time_bucket('{interval.total_seconds():.3f}s',{args[0]})"
        else:
            secs = _seconds_repr(interval)
            group = f"floor(extract(epoch from {args[0]})/{secs})*{secs}"
        return group + (' AS "time"' if name == "__timeGroupAlias" else "")
    if name == "__unixEpochFilter":
        col = need_column()
        return f"{col} >= {int(start.timestamp())} AND {col} <= {int(end.timestamp())}"
    if name == "__unixEpochNanoFilter":
        col = need_column()
        return f"{col} >= {_nanos(start)} AND {col} <= {_nanos(end)}"
    if name == "__unixEpochNanoFrom":
        return str(_nanos(start))
    if name == "__unixEpochNanoTo":
        return str(_nanos(end))
    if name in ("__unixEpochGroup", "__unixEpochGroupAlias"):
        secs = _seconds_repr(group_interval())
        group = f"floor(({args[0]})/{secs})*{secs}"
        return group + (' AS "time"' if name == "__unixEpochGroupAlias" else "")
    raise MacroError(f'unknown macro "{name}"')


def _nanos(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def interpolate_macros(
    sql: str, start: datetime, end: datetime, *, timescaledb: bool = True
) -> Expansion:
    """Stage 3: the PostgreSQL datasource's macro engine."""
    result = Expansion(sql=sql)
    original = sql

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "__timeGroup":
            # pre-5.3 compatibility: "$__timeGroup(...)," is treated as the alias form
            index = original.find(match.group(0))
            if index >= 0:
                after = index + len(match.group(0))
                if after < len(original) and original[after] == ",":
                    name = "__timeGroupAlias"
        args = [arg.strip(" ") for arg in match.group(2).split(",")]
        return _evaluate(name, args, start, end, timescaledb, result)

    result.sql = _MACRO.sub(replace, sql)
    return result


def expand(
    sql: str,
    *,
    start: datetime,
    end: datetime,
    interval: timedelta = timedelta(minutes=1),
    variables: Mapping[str, Variable] | None = None,
    timescaledb: bool = True,
) -> Expansion:
    """All three stages: the SQL Grafana's PostgreSQL datasource would execute."""
    interval_text = format_interval(interval)
    interval_ms = str(int(interval / timedelta(milliseconds=1)))
    builtins = {
        "__interval": interval_text,
        "__interval_ms": interval_ms,
        "__from": str(int(start.timestamp() * 1000)),
        "__to": str(int(end.timestamp() * 1000)),
    }
    text = interpolate_variables(sql, variables or {}, builtins)
    text = text.replace("$__interval_ms", interval_ms).replace("$__interval", interval_text)
    text = text.replace("$__unixEpochFrom()", str(int(start.timestamp())))
    text = text.replace("$__unixEpochTo()", str(int(end.timestamp())))
    return interpolate_macros(text, start, end, timescaledb=timescaledb)
