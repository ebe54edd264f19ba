"""OData helpers and wire formats of the simulator."""

from __future__ import annotations

import pytest

from queuepulse.simulator.formats import fmt_duration, fmt_ms, ms_to_datetime, parse_datetime_ms
from queuepulse.simulator.odata import (
    ODataError,
    apply_options,
    compile_filter,
    parse_function_params,
    parse_options,
)

pytestmark = pytest.mark.unit

ROWS = [
    {"Id": 1, "Status": "Ringing", "Caller": "+4930111 O'Brien", "At": "2026-01-05T09:00:00.000Z"},
    {"Id": 2, "Status": "Talking", "Caller": "1001 Anna", "At": "2026-01-05T09:00:05.500Z"},
    {"Id": 3, "Status": None, "Caller": None, "At": "2026-01-05T10:00:00.000Z"},
]


@pytest.mark.parametrize(("expr", "ids"), [
    ("Id eq 2", [2]),
    ("Id ne 2", [1, 3]),
    ("Id gt 1 and Id lt 3", [2]),
    ("Id le 1 or Status eq 'Talking'", [1, 2]),
    ("not (Id ge 2)", [1]),
    ("Status eq null", [3]),
    ("contains(Caller,'O''Brien')", [1]),
    ("startswith(Caller,'1001')", [2]),
    ("endswith(Caller,'Anna')", [2]),
    ("tolower(Status) eq 'talking'", [2]),
    ("At ge 2026-01-05T09:00:05Z", [2, 3]),
    ("At lt 2026-01-05T11:00:00+01:00", [1, 2]),
    ("At lt 2026-01-05T09:00:00.001Z", [1]),
    ("(Status eq 'Ringing' or Status eq 'Talking') and Id ne 1", [2]),
])
def test_filter_forms(expr: str, ids: list[int]) -> None:
    pred = compile_filter(expr, frozenset(ROWS[0]))
    assert [r["Id"] for r in ROWS if pred(r)] == ids


@pytest.mark.parametrize("expr", ["Id eq", "Id eq 'x", "Nope eq 1", "Id eq 1 2", "frob(Id)",
                                  "Id ~ 2"])
def test_bad_filters_are_400(expr: str) -> None:
    with pytest.raises(ODataError) as info:
        compile_filter(expr, frozenset(ROWS[0]))
    assert info.value.status == 400
    assert info.value.body()["error"]["message"]


def test_options_order_page_select_count() -> None:
    opts = parse_options({"$orderby": "Status desc,Id", "$top": "2", "$skip": "0",
                          "$select": "Id", "$count": "true"}, frozenset(ROWS[0]))
    page, total = apply_options(ROWS, opts)
    assert total == 3
    assert page == [{"Id": 2}, {"Id": 1}]
    with pytest.raises(ODataError):
        parse_options({"$count": "yes"})


def test_function_params_by_name() -> None:
    got = parse_function_params(
        "periodFrom=2026-01-01T00:00:00+01:00,queueDns='800,801',waitInterval=null,"
        "name='it''s, ok',hidePcalls=true")
    assert got == {"periodFrom": "2026-01-01T00:00:00+01:00", "queueDns": "800,801",
                   "waitInterval": None, "name": "it's, ok", "hidePcalls": "true"}
    assert parse_function_params("") == {}
    with pytest.raises(ODataError):
        parse_function_params("a='open")
    with pytest.raises(ODataError):
        parse_function_params("justvalue")


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "PT0S"), (5.5, "PT5.5S"), (65.5, "PT1M5.5S"), (3600, "PT1H"), (90061.25, "PT25H1M1.25S"),
    (0.001, "PT0.001S"), (120, "PT2M"),
])
def test_durations(seconds: float, text: str) -> None:
    assert fmt_duration(seconds) == text


def test_datetimes_round_trip() -> None:
    ms = 1_767_603_605_123
    assert fmt_ms(ms) == "2026-01-05T09:00:05.123Z"
    assert parse_datetime_ms(fmt_ms(ms)) == ms
    assert parse_datetime_ms("2026-01-05T10:00:05.123+01:00") == ms
    assert ms_to_datetime(ms).microsecond == 123_000
    with pytest.raises(ValueError, match="not an ISO-8601"):
        parse_datetime_ms("yesterday")
