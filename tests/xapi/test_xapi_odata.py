"""OData literals, function paths, query options and paging."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queuepulse.xapi.errors import PayloadError
from queuepulse.xapi.odata import (
    ODataQuery,
    function_path,
    iter_pages,
    key_path,
    odata_literal,
    path_literal,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("800", "'800'"),
        ("O'Neil", "'O''Neil'"),
        ("''", "''''''"),
        ("", "''"),
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (-12, "-12"),
        (Decimal("1.50"), "1.50"),
        (datetime(2025, 1, 1, tzinfo=UTC), "2025-01-01T00:00:00Z"),
        (datetime(2025, 1, 1, 0, 0, 0, 250000, tzinfo=UTC), "2025-01-01T00:00:00.250000Z"),
        (datetime(2025, 1, 1, 3, tzinfo=timezone(timedelta(hours=2))), "2025-01-01T03:00:00+02:00"),
        (datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=-5))), "2025-01-01T00:00:00-05:00"),
        (date(2025, 1, 31), "2025-01-31"),
    ],
)
def test_odata_literal(value: object, literal: str) -> None:
    assert odata_literal(value) == literal


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        odata_literal(datetime(2025, 1, 1))


def test_unknown_type_is_refused() -> None:
    with pytest.raises(TypeError, match="no OData literal"):
        odata_literal(object())


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (
            datetime(2025, 1, 1, 3, tzinfo=timezone(timedelta(hours=2))),
            "2025-01-01T03:00:00%2B02:00",
        ),
        (datetime(2025, 1, 1, tzinfo=UTC), "2025-01-01T00:00:00Z"),
        ("a b/c?d#e%f", "'a%20b%2Fc%3Fd%23e%25f'"),
        ("x,y=z", "'x%2Cy%3Dz'"),
        ("it's", "'it''s'"),
        ("0:00:0", "'0:00:0'"),
        (None, "null"),
    ],
)
def test_path_literal_percent_encodes(value: object, encoded: str) -> None:
    assert path_literal(value) == encoded


@given(st.text())
def test_string_literal_round_trips(text: str) -> None:
    literal = odata_literal(text)
    assert literal.startswith("'")
    assert literal.endswith("'")
    assert literal[1:-1].replace("''", "'") == text


def test_function_path_keeps_every_parameter_in_order() -> None:
    path = function_path(
        "/ReportX/Pbx.GetXData", [("a", None), ("b", "q"), ("c", 3), ("d", False)]
    )
    assert path == "/ReportX/Pbx.GetXData(a=null,b='q',c=3,d=false)"


def test_key_paths() -> None:
    assert key_path("/Queues", 12) == "/Queues(12)"
    assert key_path("/Queues", "800", "Number") == "/Queues(Number='800')"


def test_query_to_params_comma_joins_and_dedups() -> None:
    q = ODataQuery(
        filter="Status eq 'Ringing'",
        select=("Id", "Status", "Id"),
        orderby=("Id desc",),
        expand=("Agents",),
        top=10,
        skip=20,
        count=True,
        search="x",
    )
    assert q.to_params() == {
        "$filter": "Status eq 'Ringing'",
        "$search": "x",
        "$select": "Id,Status",
        "$orderby": "Id desc",
        "$expand": "Agents",
        "$top": "10",
        "$skip": "20",
        "$count": "true",
    }
    assert q.single_entity_params() == {"$select": "Id,Status", "$expand": "Agents"}
    assert ODataQuery().to_params() == {}
    assert ODataQuery(select="Id").select == ("Id",)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [{"top": -1}, {"skip": -5}, {"top": True}])
def test_query_rejects_negative_paging(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must be an integer"):
        ODataQuery(**bad)  # type: ignore[arg-type]


def _server(n: int, *, with_count: bool = True, cap: int | None = None):
    seen: list[tuple[int, int]] = []

    async def fetch(q: ODataQuery) -> tuple[list[int], int | None]:
        assert q.count is True
        top = q.top if cap is None else min(q.top or 0, cap)
        seen.append((q.top or 0, q.skip or 0))
        skip = q.skip or 0
        return list(range(n))[skip : skip + top], (n if with_count else None)

    return fetch, seen


@pytest.mark.parametrize("n", [0, 1, 9, 10, 11, 25])
async def test_iter_pages_reads_everything(n: int) -> None:
    fetch, seen = _server(n, with_count=False)
    got = [x async for x in iter_pages(fetch, page_size=10)]
    assert got == list(range(n))
    assert len(seen) == n // 10 + 1  # without a count, stops at the first short page


async def test_iter_pages_stops_at_count_without_extra_request() -> None:
    fetch, seen = _server(20)
    got = [x async for x in iter_pages(fetch, page_size=10)]
    assert got == list(range(20))
    assert seen == [(10, 0), (10, 10)]


async def test_iter_pages_limit_and_start_offset() -> None:
    fetch, seen = _server(100)
    got = [x async for x in iter_pages(fetch, ODataQuery(skip=5), page_size=10, limit=15)]
    assert got == list(range(5, 20))
    assert seen == [(10, 5), (5, 15)]


async def test_iter_pages_handles_a_server_side_page_cap() -> None:
    fetch, _ = _server(30, cap=7, with_count=True)
    got = [x async for x in iter_pages(fetch, page_size=10)]
    # fewer than asked, but @odata.count says there is more: keep going
    assert got == list(range(30))


async def test_iter_pages_refuses_a_collection_that_ends_before_its_count() -> None:
    calls = 0

    async def fetch(q: ODataQuery) -> tuple[list[int], int | None]:
        nonlocal calls
        calls += 1
        skip = q.skip or 0
        # @odata.count says 25, but the server has lost everything past item 10
        return list(range(10))[skip : skip + (q.top or 0)], 25

    got: list[int] = []

    async def read_all() -> None:
        async for x in iter_pages(fetch, page_size=10, endpoint="GET /Users"):
            got.append(x)

    expected = r"ended at item 10 although @odata\.count said 25"
    with pytest.raises(PayloadError, match=expected) as err:
        await read_all()
    assert got == list(range(10))  # what was read came through before the error
    assert err.value.endpoint == "GET /Users"
    assert calls == 2


@given(st.text())
def test_path_literal_decodes_back_and_keeps_separators_out(text: str) -> None:
    from urllib.parse import unquote

    encoded = path_literal(text)
    assert unquote(encoded) == odata_literal(text)
    assert not set(encoded) & set(",=+/?#& ")  # cannot break the function-call syntax


@given(
    n=st.integers(0, 60),
    page_size=st.integers(1, 25),
    cap=st.one_of(st.none(), st.integers(1, 25)),
    with_count=st.booleans(),
)
async def test_iter_pages_property(
    n: int, page_size: int, cap: int | None, with_count: bool
) -> None:
    fetch, seen = _server(n, with_count=with_count, cap=cap)
    got = [x async for x in iter_pages(fetch, page_size=page_size)]
    if with_count or cap is None or cap >= page_size:
        assert got == list(range(n))  # everything, once, in order
    else:
        assert got == list(range(min(n, cap)))  # no count and a capped page: stops early
    assert len(seen) <= n + 1
