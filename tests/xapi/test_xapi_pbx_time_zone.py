"""XapiClient.get_pbx_time_zone over MockTransport: the PBX's own zone from /OfficeHours
TimeZoneId and /Defs/TimeZones IanaName; every unusable answer a counted skip (None), never a
crash; a PBX that is away still raises."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from xapi_fakes import Pbx

from queuepulse.xapi.errors import UnavailableError

pytestmark = pytest.mark.unit

ZONES = [
    {"Id": "1", "Name": "(UTC) Coordinated Universal Time", "WindowsName": "UTC",
     "IanaName": "UTC"},
    {"Id": "3", "Name": "(UTC+01:00) Amsterdam, Berlin", "WindowsName": "W. Europe Standard Time",
     "IanaName": "Europe/Berlin"},
    {"Id": "8", "Name": "(UTC+05:30) Chennai, Kolkata", "WindowsName": "India Standard Time",
     "IanaName": "Asia/Kolkata"},
    {"Id": "99", "Name": "Somewhere", "WindowsName": "Somewhere Standard Time",
     "IanaName": "Mars/Olympus_Mons"},
    {"Id": "100", "Name": "No IANA name", "WindowsName": "Nowhere Standard Time"},
]


def _serve(pbx: Pbx, hours: Any, zones: Any = None, *, hours_status: int = 200,
           zones_status: int = 200) -> None:
    def reply(status: int, body: Any) -> Callable[[httpx.Request], httpx.Response]:
        def handler(_: httpx.Request) -> httpx.Response:
            if status != 200:
                return httpx.Response(status, json={"error": {"code": str(status),
                                                              "message": "no"}})
            return httpx.Response(200, json=body)
        return handler

    pbx.routes["/OfficeHours"] = reply(hours_status, hours)
    pbx.routes["/Defs/TimeZones"] = reply(zones_status, {"value": ZONES if zones is None
                                                         else zones})


async def test_the_zone_is_the_iana_name_of_the_office_hours_time_zone_id(
    pbx: Pbx, make_client: Any
) -> None:
    _serve(pbx, {"TimeZoneId": "8"})
    async with make_client(pbx) as xapi:
        assert await xapi.get_pbx_time_zone() == "Asia/Kolkata"
        assert not xapi.stats.skips
    paths = [unquote(r.url.raw_path.decode()).removeprefix("/xapi/v1") for r in pbx.requests]
    assert paths == ["/OfficeHours?$select=TimeZoneId", "/Defs/TimeZones"]


@pytest.mark.parametrize(("hours", "zones", "reason"), [
    ({"TimeZoneId": None}, None, "pbx_time_zone_unset"),
    ({}, None, "pbx_time_zone_unset"),
    ({"TimeZoneId": "  "}, None, "pbx_time_zone_unset"),
    ({"TimeZoneId": "42"}, None, "pbx_time_zone_unknown_id"),
    ({"TimeZoneId": "8"}, [], "pbx_time_zone_unknown_id"),
    ({"TimeZoneId": "99"}, None, "pbx_time_zone_not_iana"),
    ({"TimeZoneId": "100"}, None, "pbx_time_zone_not_iana"),
], ids=["null", "absent", "blank", "unknown-id", "empty-list", "not-iana", "no-iana-name"])
async def test_an_unusable_answer_is_a_counted_skip(
    pbx: Pbx, make_client: Any, hours: Any, zones: Any, reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _serve(pbx, hours, zones)
    async with make_client(pbx) as xapi:
        assert await xapi.get_pbx_time_zone() is None
        assert dict(xapi.stats.skips) == {reason: 1}
    assert any(r.getMessage() == "PBX time zone not used" and r.__dict__["reason"] == reason
               for r in caplog.records)


@pytest.mark.parametrize(("hours_status", "zones_status"), [(404, 200), (200, 404), (403, 200)],
                         ids=["office-hours-404", "time-zones-404", "forbidden"])
async def test_an_absent_or_forbidden_endpoint_is_a_counted_skip(
    pbx: Pbx, make_client: Any, hours_status: int, zones_status: int
) -> None:
    _serve(pbx, {"TimeZoneId": "8"}, hours_status=hours_status, zones_status=zones_status)
    async with make_client(pbx) as xapi:
        assert await xapi.get_pbx_time_zone() is None
        assert dict(xapi.stats.skips) == {"pbx_time_zone_unavailable": 1}


async def test_a_pbx_that_is_away_still_raises(pbx: Pbx, make_client: Any) -> None:
    _serve(pbx, {"TimeZoneId": "8"}, hours_status=503)
    async with make_client(pbx, retry_budget_s=0.1, bulk_budget_s=0.1) as xapi:
        with pytest.raises(UnavailableError):
            await xapi.get_pbx_time_zone()
        assert not xapi.stats.skips
