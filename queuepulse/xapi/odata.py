"""OData v4 helpers: query options, function-path literals, paging.

* :class:`ODataQuery` holds the eight system query options the XAPI accepts (``$filter``,
  ``$search``, ``$select``, ``$orderby``, ``$expand``, ``$top``, ``$skip``, ``$count``); the list
  options are comma-joined (``explode: false``).
* Function and alternate-key parameters go in the **path** (``/Queues(Number='800')``,
  ``Pbx.GetCallLogData(periodFrom=2025-01-01T00:00:00Z,...)``), and the caller must format them
  as OData literals: strings quoted with ``'`` doubled, date-times bare, integers and booleans
  bare, null as ``null``. :func:`odata_literal` does that and :func:`path_literal` also
  percent-encodes the result for a URL path (``+`` becomes ``%2B``).
* :func:`iter_pages` walks a collection with ``$top``/``$skip`` until a short page: the spec
  declares no next link, no default page size and no maximum ``$top``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeVar
from urllib.parse import quote

from queuepulse.xapi.errors import PayloadError

T = TypeVar("T")

# encodeURIComponent keeps A-Z a-z 0-9 - _ . ! ~ * ' ( ); ':' is kept too so that date-times stay
# readable (it is a valid path character). Everything else, '+' and ',' included, is encoded.
_PATH_SAFE = "!*'():"


@dataclass(frozen=True)
class ODataQuery:
    """System query options for one request; ``None`` / empty means "not sent"."""

    filter: str | None = None
    select: tuple[str, ...] = ()
    orderby: tuple[str, ...] = ()
    expand: tuple[str, ...] = ()
    top: int | None = None
    skip: int | None = None
    count: bool | None = None
    search: str | None = None

    def __post_init__(self) -> None:
        for name in ("top", "skip"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or value < 0):
                raise ValueError(f"${name} must be an integer >= 0, got {value!r}")
        for name in ("select", "orderby", "expand"):
            value = getattr(self, name)
            if isinstance(value, str):  # a lone string would be split into characters
                object.__setattr__(self, name, (value,))
            elif not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))

    def replace(self, **changes: object) -> ODataQuery:
        """A copy with some options changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def to_params(self) -> dict[str, str]:
        """The options as query-string parameters (only those set)."""
        params: dict[str, str] = {}
        if self.filter:
            params["$filter"] = self.filter
        if self.search:
            params["$search"] = self.search
        if self.select:
            params["$select"] = ",".join(_unique(self.select))
        if self.orderby:
            params["$orderby"] = ",".join(_unique(self.orderby))
        if self.expand:
            params["$expand"] = ",".join(_unique(self.expand))
        if self.top is not None:
            params["$top"] = str(self.top)
        if self.skip is not None:
            params["$skip"] = str(self.skip)
        if self.count is not None:
            params["$count"] = "true" if self.count else "false"
        return params

    def single_entity_params(self) -> dict[str, str]:
        """Only ``$select``/``$expand``: all that single-entity and singleton GETs take."""
        return {k: v for k, v in self.to_params().items() if k in ("$select", "$expand")}


def _unique(items: Iterable[str]) -> list[str]:
    """The spec declares these arrays ``uniqueItems``: drop repeats, keep order."""
    return list(dict.fromkeys(items))


def format_datetime(value: datetime) -> str:
    """A date-time as an OData literal: ISO-8601 with seconds and an offset (``Z`` for UTC).

    A naive datetime is refused: the PBX would guess its zone, and so would we.
    """
    if value.tzinfo is None:
        raise ValueError(
            f"naive datetime {value.isoformat()} given as an OData parameter; "
            "pass a timezone-aware datetime (e.g. datetime.now(UTC))"
        )
    text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    if value.utcoffset() == UTC.utcoffset(None):
        text = text.removesuffix("+00:00") + "Z"
    return text


def odata_literal(value: object) -> str:
    """Format a Python value as an OData v4 literal for a function or key parameter.

    ``str`` → ``'it''s'``; ``datetime`` → bare ISO-8601; ``date`` → ``2025-01-31``;
    ``bool`` → ``true``/``false``; ``int``/``Decimal``/``float`` → bare; ``None`` → ``null``.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        return format(value, "f") if isinstance(value, Decimal) else repr(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no OData literal for {type(value).__name__} value {value!r}")


def path_literal(value: object) -> str:
    """:func:`odata_literal`, percent-encoded for a URL path (``+`` → ``%2B``, space → ``%20``)."""
    return quote(odata_literal(value), safe=_PATH_SAFE)


def function_path(base: str, params: Sequence[tuple[str, object]]) -> str:
    """``base(name=literal,...)`` with every parameter present, in the given order."""
    inner = ",".join(f"{name}={path_literal(value)}" for name, value in params)
    return f"{base}({inner})"


def key_path(entity_set: str, key: object, name: str | None = None) -> str:
    """``/Queues(12)`` or, with an alternate key name, ``/Queues(Number='800')``."""
    if name is None:
        return f"{entity_set}({path_literal(key)})"
    return f"{entity_set}({name}={path_literal(key)})"


async def iter_pages(
    fetch: Callable[[ODataQuery], Awaitable[tuple[list[T], int | None]]],
    query: ODataQuery | None = None,
    *,
    page_size: int = 500,
    limit: int | None = None,
    endpoint: str | None = None,
) -> AsyncIterator[T]:
    """Yield every item of a collection, one ``$top``/``$skip`` page at a time.

    ``fetch(query)`` returns ``(items, @odata.count)``. Paging stops once ``@odata.count``
    items were seen (so a server that caps ``$top`` below ``page_size`` is still read to the
    end), at a short or empty page when no count came back, or after ``limit``. An empty page
    before ``@odata.count`` items were seen raises :class:`PayloadError`: the collection changed
    under the reader or the server lost pages, and a silently short read would look like rows
    that no longer exist (agents removed, calls missing from the history). ``$count=true`` is
    sent so the total is known; ``query.skip`` is the starting offset.
    """
    if page_size < 1:
        raise ValueError(f"page_size must be >= 1, got {page_size}")
    base = query or ODataQuery()
    skip = base.skip or 0
    seen = 0
    while True:
        top = page_size if limit is None else min(page_size, limit - seen)
        if top <= 0:
            return
        items, total = await fetch(base.replace(top=top, skip=skip, count=True))
        for item in items:
            yield item
        seen += len(items)
        skip += len(items)
        if not items:
            if total is not None and skip < total:
                raise PayloadError(
                    f"the collection ended at item {skip} although @odata.count said {total}; "
                    "the data changed while paging or the server dropped pages — retry later",
                    endpoint=endpoint,
                )
            return
        if total is not None:
            if skip >= total:
                return
        elif len(items) < top:
            return
