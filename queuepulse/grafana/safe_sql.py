"""Template variables in panel SQL, interpolated so that no value can change the statement.

Grafana splices a variable's value into the SQL text before PostgreSQL sees it, and anyone who
can open a dashboard can set any variable through the URL (``?var-sla_target=...``), whatever
the variable's list of options says. Two Grafana rules make the usual forms unsafe:

- without a format, a single-value variable is inserted *unquoted* (only ``'`` doubled), so
  ``80 UNION SELECT caller FROM queue_calls`` becomes part of the statement;
- ``${var:sqlstring}`` quotes the value, but the datasource's macro engine runs *after*
  interpolation over the whole text, string literals included: a value holding
  ``$__timeFrom()`` turns into quotes that close the literal early.

So every template variable reaches the SQL as ``${var:percentencode}`` inside a string literal
(Grafana's percent-encoding keeps only ``A-Z a-z 0-9 - _ . ~`` and ``%``: no quote, no ``$``, no
parenthesis can appear) and is decoded by the database: ``grafana_value('...')`` (text) or, for
an ``IN`` list, ``= ANY(grafana_values('...'))`` (schema/idempotent/050-grafana.sql). A
hostile value then is a string the query compares with or casts, never SQL: a bad number fails
the cast (``invalid input syntax for type numeric``), the query keeps its meaning.

:func:`safe_interpolation` does the rewriting and is applied by every query builder
(:class:`~queuepulse.grafana.sqlquery.SqlQuery`, the variable pickers), so panel authors write
plain ``IN ($queue)``, ``$sla_target::numeric`` or ``AT TIME ZONE $tz``. Forms that cannot be
made safe are refused when the dashboards are built, with the reason: a variable inside a
string literal, quoted identifier or comment, and explicit formats other than ``sqlstring``.
"""

from __future__ import annotations

import re

from queuepulse.errors import QueuepulseError

VALUE_FUNCTION = "grafana_value"
"""SQL function: percent-decoded text of one encoded variable value."""

VALUES_FUNCTION = "grafana_values"
"""SQL function: text[] of an encoded multi-value selection (``{a,b}``) or of a single value."""

SAFE_FORMAT = "percentencode"

# Grafana's own variables that the datasource or the time picker fills (never free text).
_BUILTINS = re.compile(
    r"__(interval|interval_ms|rate_interval|rate_interval_ms|range|range_s|range_ms|from|to"
    r"|time\w*|unixEpoch\w*)$"
)

# Grafana's variable syntax (the same as queuepulse.grafana.macros).
_REFERENCE = re.compile(
    r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}"
)
_DOLLAR_QUOTE = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")
_IN_OPEN = re.compile(r"(?i)(\bnot\s+)?\bin\s*\(\s*$")
_CLOSE = re.compile(r"\s*\)")
_SAFE_LITERAL = re.compile(r"\$\{(\w+):" + SAFE_FORMAT + r"\}")


class UnsafeSqlError(QueuepulseError):
    """A panel's SQL uses a template variable in a form that a value could break out of."""


def _encoded(name: str) -> str:
    return f"'${{{name}:{SAFE_FORMAT}}}'"


def value_sql(name: str) -> str:
    """The SQL text of variable ``name``'s value (text; cast it, e.g. ``::numeric``)."""
    return f"{VALUE_FUNCTION}({_encoded(name)})"


def values_sql(name: str) -> str:
    """The SQL array (text[]) of the values selected in multi-value variable ``name``."""
    return f"{VALUES_FUNCTION}({_encoded(name)})"


def _reference_parts(match: re.Match[str]) -> tuple[str, str | None, str | None]:
    """(name, field path, format) of a variable reference."""
    name = match.group(1) or match.group(2) or match.group(4)
    return name, match.group(5), match.group(3) or match.group(6)


def _end_of_quoted(sql: str, start: int, quote: str) -> int:
    """Index just past the quoted text opened at ``start`` (doubled quotes are escapes)."""
    i = start + 1
    backslash = quote == "'" and start > 0 and sql[start - 1] in "eE"
    while i < len(sql):
        char = sql[i]
        if backslash and char == "\\":
            i += 2
            continue
        if char == quote:
            if i + 1 < len(sql) and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    raise UnsafeSqlError(f"unterminated {quote}-quoted text in panel SQL: {sql[start:][:60]!r}")


def _end_of_block_comment(sql: str, start: int) -> int:
    depth, i = 0, start
    while i < len(sql):
        if sql.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif sql.startswith("*/", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    raise UnsafeSqlError("unterminated /* comment in panel SQL")


def _refuse_references(text: str, where: str, sql: str) -> None:
    for match in _REFERENCE.finditer(text):
        name = _reference_parts(match)[0]
        if not name.startswith("__"):
            raise UnsafeSqlError(
                f"template variable {match.group(0)} inside {where}: a value could end it and "
                f"run its own SQL. Use the variable as a whole value (e.g. col = ${name}, "
                f"IN (${name}), ${name}::numeric) — in: {sql.strip()[:120]!r}"
            )


def _literal(sql: str, start: int, end: int) -> None:
    """Check a string literal: only the safe encoded form may hold a variable."""
    content = sql[start + 1 : end - 1]
    if _SAFE_LITERAL.fullmatch(content) and sql[start - 1 : start] not in ("e", "E"):
        return
    _refuse_references(content, "a string literal", sql)


def _variable(sql: str, match: re.Match[str], out: list[str]) -> int:
    """Append the safe form of the reference at ``match``; return where to continue."""
    name, path, fmt = _reference_parts(match)
    if name.startswith("__"):
        if not _BUILTINS.match(name):
            raise UnsafeSqlError(
                f"Grafana variable {match.group(0)} is not allowed in panel SQL (only time "
                "range and interval variables and the $__ macros are)"
            )
        out.append(match.group(0))
        return match.end()
    if path is not None or fmt not in (None, "sqlstring"):
        raise UnsafeSqlError(
            f"template variable {match.group(0)}: write ${name} (queuepulse quotes it safely); "
            "field paths and formats other than sqlstring insert the value unquoted"
        )
    done = "".join(out)
    opened = _IN_OPEN.search(done)
    closed = _CLOSE.match(sql, match.end())
    if opened and closed:
        out[:] = [done[: opened.start()]]
        if opened.group(1):
            out.append(f"<> ALL({values_sql(name)})")
        else:
            out.append(f"= ANY({values_sql(name)})")
        return closed.end()
    out.append(value_sql(name))
    return match.end()


def safe_interpolation(sql: str) -> str:
    """``sql`` with every template variable in its safe form (idempotent).

    ``x IN ($v)`` → ``x = ANY(grafana_values('${v:percentencode}'))`` (``NOT IN`` →
    ``<> ALL``), any other ``$v`` / ``${v}`` / ``${v:sqlstring}`` / ``[[v]]`` →
    ``grafana_value('${v:percentencode}')``. Grafana's ``$__`` macros and time/interval
    variables stay as they are. Raises :class:`UnsafeSqlError` for forms that stay unsafe.
    """
    out: list[str] = []
    i = 0
    while i < len(sql):
        char = sql[i]
        if char in "'\"":
            end = _end_of_quoted(sql, i, char)
            if char == "'":
                _literal(sql, i, end)
            else:
                _refuse_references(sql[i:end], "a quoted identifier", sql)
            out.append(sql[i:end])
            i = end
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = len(sql) if end < 0 else end
            _refuse_references(sql[i:end], "a comment", sql)
            out.append(sql[i:end])
            i = end
        elif sql.startswith("/*", i):
            end = _end_of_block_comment(sql, i)
            _refuse_references(sql[i:end], "a comment", sql)
            out.append(sql[i:end])
            i = end
        elif char in "$[":
            dollar = _DOLLAR_QUOTE.match(sql, i) if char == "$" else None
            if dollar and not (i > 0 and (sql[i - 1].isalnum() or sql[i - 1] == "_")):
                tag = dollar.group(0)
                end = sql.find(tag, dollar.end())
                if end < 0:
                    raise UnsafeSqlError(f"unterminated {tag} quote in panel SQL")
                _refuse_references(sql[dollar.end() : end], "a dollar-quoted string", sql)
                out.append(sql[i : end + len(tag)])
                i = end + len(tag)
                continue
            reference = _REFERENCE.match(sql, i)
            if reference is None:
                out.append(char)
                i += 1
            else:
                i = _variable(sql, reference, out)
        else:
            out.append(char)
            i += 1
    return "".join(out)
