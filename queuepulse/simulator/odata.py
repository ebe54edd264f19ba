"""The OData subset XAPI clients use: ``$filter/$orderby/$select/$top/$skip/$count`` over rows
(plain dicts in wire format), function-call parameters and literals.

``$filter`` understands ``eq ne gt ge lt le``, ``and or not``, parentheses, ``contains``,
``startswith``, ``endswith``, ``tolower``/``toupper``, string literals (``'it''s'``), numbers,
``true/false/null`` and bare date-times (compared as instants).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from queuepulse.simulator.formats import parse_datetime_ms

Row = dict[str, Any]
Predicate = Callable[[Row], bool]
Getter = Callable[[Row], Any]


class ODataError(Exception):
    """A request the server rejects with an OData error body."""

    def __init__(self, status: int, code: str, message: str, *, target: str | None = None,
                 details: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        #: (target, message) of every problem, as ``ErrorDetails``.
        self.details = tuple(details)

    def body(self) -> dict[str, Any]:
        """The ``ODataErrors.ODataError`` JSON object."""
        main: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "details": [{"code": self.code, "message": m, "target": t or None}
                        for t, m in self.details],
        }
        if self.target is not None:
            main["target"] = self.target
        return {"error": main}


def bad_request(message: str) -> ODataError:
    """A 400 with OData error code ``BadRequest``."""
    return ODataError(400, "BadRequest", message)


_DT_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?")
_NUM_RE = re.compile(r"-?\d+(\.\d+)?")
_IDENT_RE = re.compile(r"[A-Za-z_@][A-Za-z0-9_./@]*")
_OPS = {"eq", "ne", "gt", "ge", "lt", "le"}


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # str, num, dt, ident, op, punct, kw, end
    value: Any


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in "(),":
            toks.append(_Tok("punct", c))
            i += 1
            continue
        if c == "'":
            j, buf = i + 1, []
            while True:
                if j >= n:
                    raise bad_request(f"unterminated string literal in $filter: {text!r}")
                if text[j] == "'":
                    if j + 1 < n and text[j + 1] == "'":
                        buf.append("'")
                        j += 2
                        continue
                    break
                buf.append(text[j])
                j += 1
            toks.append(_Tok("str", "".join(buf)))
            i = j + 1
            continue
        m = _DT_RE.match(text, i)
        if m:
            toks.append(_Tok("dt", parse_datetime_ms(m.group(0))))
            i = m.end()
            continue
        m = _NUM_RE.match(text, i)
        if m:
            raw = m.group(0)
            toks.append(_Tok("num", float(raw) if "." in raw else int(raw)))
            i = m.end()
            continue
        m = _IDENT_RE.match(text, i)
        if m:
            word = m.group(0)
            low = word.lower()
            if low in _OPS:
                toks.append(_Tok("op", low))
            elif low in ("and", "or", "not"):
                toks.append(_Tok("kw", low))
            elif low in ("true", "false"):
                toks.append(_Tok("bool", low == "true"))
            elif low == "null":
                toks.append(_Tok("null", None))
            else:
                toks.append(_Tok("ident", word))
            i = m.end()
            continue
        raise bad_request(f"unexpected character {c!r} at {i} in $filter: {text!r}")
    toks.append(_Tok("end", None))
    return toks


def _as_instant(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return parse_datetime_ms(value)
        except ValueError:
            return value
    return value


def _compare(op: str, left: Any, right: Any, instants: bool) -> bool:
    if instants:
        left, right = _as_instant(left), _as_instant(right)
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if left is None or right is None:
        return False
    try:
        if op == "gt":
            return bool(left > right)
        if op == "ge":
            return bool(left >= right)
        if op == "lt":
            return bool(left < right)
        return bool(left <= right)
    except TypeError:
        return False


class _Parser:
    def __init__(self, text: str, fields: frozenset[str] | None) -> None:
        self.text = text
        self.toks = _tokenize(text)
        self.pos = 0
        self.fields = fields

    def peek(self) -> _Tok:
        return self.toks[self.pos]

    def take(self) -> _Tok:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def expect(self, kind: str, value: Any = None) -> _Tok:
        tok = self.take()
        if tok.kind != kind or (value is not None and tok.value != value):
            want = value if value is not None else kind
            raise bad_request(f"expected {want!r} in $filter {self.text!r}, found {tok.value!r}")
        return tok

    def parse(self) -> Predicate:
        pred = self.or_expr()
        if self.peek().kind != "end":
            raise bad_request(f"unexpected {self.peek().value!r} in $filter {self.text!r}")
        return pred

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.peek() == _Tok("kw", "or"):
            self.take()
            parts.append(self.and_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda row: any(p(row) for p in parts)

    def and_expr(self) -> Predicate:
        parts = [self.not_expr()]
        while self.peek() == _Tok("kw", "and"):
            self.take()
            parts.append(self.not_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda row: all(p(row) for p in parts)

    def not_expr(self) -> Predicate:
        if self.peek() == _Tok("kw", "not"):
            self.take()
            inner = self.not_expr()
            return lambda row: not inner(row)
        return self.comparison()

    def comparison(self) -> Predicate:
        tok = self.peek()
        if tok == _Tok("punct", "(") :
            self.take()
            inner = self.or_expr()
            self.expect("punct", ")")
            return inner
        left, left_dt = self.operand()
        nxt = self.peek()
        if nxt.kind != "op":
            return lambda row: bool(left(row))
        op = self.take().value
        right, right_dt = self.operand()
        instants = left_dt or right_dt
        return lambda row: _compare(op, left(row), right(row), instants)

    def operand(self) -> tuple[Getter, bool]:
        tok = self.take()
        if tok.kind in ("str", "num", "bool", "null"):
            value = tok.value
            return (lambda _row: value), False
        if tok.kind == "dt":
            value = tok.value
            return (lambda _row: value), True
        if tok.kind == "ident":
            if self.peek() == _Tok("punct", "("):
                return self.function(tok.value), False
            name = tok.value
            if self.fields is not None and name not in self.fields:
                raise bad_request(f"could not find a property named '{name}' ($filter)")
            return (lambda row: row.get(name)), False
        raise bad_request(f"unexpected {tok.value!r} in $filter {self.text!r}")

    def function(self, name: str) -> Getter:
        self.expect("punct", "(")
        args: list[Getter] = []
        while True:
            getter, _ = self.operand()
            args.append(getter)
            if self.peek() == _Tok("punct", ","):
                self.take()
                continue
            self.expect("punct", ")")
            break
        low = name.lower()

        def text(value: Any) -> str:
            return "" if value is None else str(value)

        if low in ("contains", "startswith", "endswith") and len(args) == 2:
            a, b = args
            if low == "contains":
                return lambda row: text(b(row)) in text(a(row))
            if low == "startswith":
                return lambda row: text(a(row)).startswith(text(b(row)))
            return lambda row: text(a(row)).endswith(text(b(row)))
        if low in ("tolower", "toupper") and len(args) == 1:
            (a,) = args
            if low == "tolower":
                return lambda row: None if a(row) is None else text(a(row)).lower()
            return lambda row: None if a(row) is None else text(a(row)).upper()
        raise bad_request(f"unsupported function {name}() in $filter")


def compile_filter(text: str, fields: frozenset[str] | None = None) -> Predicate:
    """Compile a ``$filter`` expression into a row predicate (400 ``ODataError`` if invalid)."""
    return _Parser(text, fields).parse()


def _split_list(text: str) -> list[str]:
    """Split a comma list at top level (``Agents($select=Number,Name),Managers`` is two items)."""
    items: list[str] = []
    depth = 0
    buf: list[str] = []
    for c in text:
        if c == "," and depth == 0:
            items.append("".join(buf).strip())
            buf = []
            continue
        depth += (c == "(") - (c == ")")
        buf.append(c)
    items.append("".join(buf).strip())
    return [item for item in items if item]


def _bool_option(params: Mapping[str, str], name: str) -> bool:
    raw = params.get(name)
    if raw is None:
        return False
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise bad_request(f"{name} must be true or false, got {raw!r}")


def int_option(params: Mapping[str, str], name: str) -> int | None:
    """A non-negative integer query option, or None when absent."""
    raw = params.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name} must be a non-negative integer, got {raw!r}") from None
    if value < 0:
        raise bad_request(f"{name} must be a non-negative integer, got {raw!r}")
    return value


@dataclass(frozen=True, slots=True)
class QueryOptions:
    """The parsed ``$``-options of one request."""

    filter: Predicate | None = None
    orderby: tuple[tuple[str, bool], ...] = ()
    select: tuple[str, ...] = ()
    top: int | None = None
    skip: int | None = None
    count: bool = False
    expand: tuple[str, ...] = ()

    @property
    def plain(self) -> bool:
        """No option that changes which rows or fields are returned."""
        return self.filter is None and not self.orderby and not self.select

    @property
    def projection(self) -> tuple[str, ...]:
        """The properties a ``$select`` keeps: the selected ones plus every expanded navigation
        property (OData v4: ``$expand`` adds to ``$select``); empty without ``$select``."""
        if not self.select:
            return ()
        return (*self.select, *(e for e in self.expand if e not in self.select))


def parse_options(params: Mapping[str, str], fields: frozenset[str] | None = None) -> QueryOptions:
    """Parse ``$filter, $orderby, $select, $top, $skip, $count, $expand`` (unknown fields → 400)."""
    flt = params.get("$filter")
    orderby: list[tuple[str, bool]] = []
    for item in _split_list(params.get("$orderby", "")):
        parts = item.split()
        name = parts[0]
        direction = parts[1].lower() if len(parts) > 1 else "asc"
        if direction not in ("asc", "desc") or len(parts) > 2:
            raise bad_request(f"bad $orderby item {item!r}: use 'Field' or 'Field asc|desc'")
        if fields is not None and name not in fields:
            raise bad_request(f"could not find a property named '{name}' ($orderby)")
        orderby.append((name, direction == "desc"))
    select = tuple(_split_list(params.get("$select", "")))
    if fields is not None:
        for name in select:
            if name != "*" and name not in fields:
                raise bad_request(f"could not find a property named '{name}' ($select)")
    return QueryOptions(
        filter=compile_filter(flt, fields) if flt else None,
        orderby=tuple(orderby),
        select=tuple(s for s in select if s != "*"),
        top=int_option(params, "$top"),
        skip=int_option(params, "$skip"),
        count=_bool_option(params, "$count"),
        # nested options (``Agents($select=Number)``) are accepted and ignored
        expand=tuple(item.split("(", 1)[0].strip()
                     for item in _split_list(params.get("$expand", ""))),
    )


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, value)
    return (2, str(value))


def apply_options(rows: Iterable[Row], opts: QueryOptions) -> tuple[list[Row], int]:
    """Filter, count, order, page and project rows; return (page, count before paging)."""
    selected = [r for r in rows if opts.filter(r)] if opts.filter else list(rows)
    total = len(selected)
    for name, desc in reversed(opts.orderby):
        selected.sort(key=lambda r, n=name: _sort_key(r.get(n)), reverse=desc)  # type: ignore[misc]
    start = opts.skip or 0
    end = start + opts.top if opts.top is not None else None
    page = selected[start:end]
    if opts.select:
        keep = opts.projection
        page = [{k: r[k] for k in keep if k in r} for r in page]
    return page, total


def collection(rows: Sequence[Row], total: int, opts: QueryOptions) -> dict[str, Any]:
    """The ``{"@odata.count"?, "value": [...]}`` envelope."""
    body: dict[str, Any] = {}
    if opts.count:
        body["@odata.count"] = total
    body["value"] = list(rows)
    return body


_PARAM_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$", re.S)


def parse_function_params(text: str) -> dict[str, Any]:
    """Parse ``a=1,b='x,y',c=2026-01-01T00:00:00Z,d=null`` into a dict (strings unquoted).

    Bare values stay strings (date-times, numbers, booleans) except ``null`` → None.
    """
    parts: list[str] = []
    buf: list[str] = []
    quoted = False
    i = 0
    while i < len(text):
        c = text[i]
        if c == "'":
            if quoted and i + 1 < len(text) and text[i + 1] == "'":
                buf.append("''")
                i += 2
                continue
            quoted = not quoted
        if c == "," and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(c)
        i += 1
    if quoted:
        raise bad_request(f"unterminated string literal in function parameters: {text!r}")
    if buf or parts:
        parts.append("".join(buf))
    out: dict[str, Any] = {}
    for part in parts:
        if not part.strip():
            continue
        m = _PARAM_RE.match(part)
        if not m:
            raise bad_request(f"function parameter {part!r} is not name=value")
        name, raw = m.group(1), m.group(2).strip()
        if raw.startswith("'") and raw.endswith("'") and len(raw) >= 2:
            out[name] = raw[1:-1].replace("''", "'")
        elif raw == "null":
            out[name] = None
        else:
            out[name] = raw
    return out
