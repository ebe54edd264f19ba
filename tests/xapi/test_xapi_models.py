"""Models against the official OpenAPI subset: names, durations, CallCost, nullability."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from xapi_fakes import SHARED

from queuepulse.xapi import models as m
from queuepulse.xapi.durations import format_duration, parse_duration
from queuepulse.xapi.reports import REPORTS

pytestmark = pytest.mark.unit

SUBSET = SHARED / "xapi" / "queue-subset.json"
DURATION_PATTERN = r"^-?P([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+([.][0-9]+)?S)?)?$"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    if not SUBSET.exists():
        pytest.skip(f"{SUBSET} not found: the shared XAPI documents sit beside the project root")
    return json.loads(SUBSET.read_text())


def _props(spec: dict[str, Any], name: str) -> dict[str, Any]:
    schema = spec["components"]["schemas"][name]
    props = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        if "$ref" in part:
            props.update(_props(spec, part["$ref"].rsplit("/", 1)[-1]))
        props.update(part.get("properties", {}))
    return props


def _aliases(model: type[BaseModel]) -> set[str]:
    return {f.alias or n for n, f in model.model_fields.items()}


FULL = {
    "Pbx.ActiveCall": m.ActiveCall,
    "Pbx.CallHistoryView": m.CallHistoryView,
    "Pbx.CallLogData": m.CallLogData,
    "Pbx.QueueAgent": m.QueueAgent,
    "Pbx.QueueManager": m.QueueManager,
    "Pbx.SystemStatus": m.SystemStatus,
    "Pbx.XReportRecording": m.XReportRecording,
    **{f"Pbx.{name}": spec.row for name, spec in REPORTS.items() if name != "QueueAnUnCalls"},
}
FULL["Pbx.TimeReportData"] = FULL.pop("Pbx.AverageQueueWaitingTime")
SUBSETS = {"Pbx.Queue": m.Queue, "Pbx.User": m.User}


@pytest.mark.parametrize("schema", sorted(FULL))
def test_models_carry_every_spec_field_by_exact_name(spec: dict[str, Any], schema: str) -> None:
    assert _aliases(FULL[schema]) == set(_props(spec, schema))


@pytest.mark.parametrize("schema", sorted(SUBSETS))
def test_subset_models_only_use_spec_names(spec: dict[str, Any], schema: str) -> None:
    assert _aliases(SUBSETS[schema]) <= set(_props(spec, schema))


def test_duration_and_datetime_fields_match_the_spec_formats(spec: dict[str, Any]) -> None:
    for schema, model in {**FULL, **SUBSETS}.items():
        props = _props(spec, schema)
        for name, field in model.model_fields.items():
            fmt = props[field.alias or name].get("format")
            hint = str(field.annotation)
            if fmt == "duration":
                assert "timedelta" in hint, (schema, name)
            if fmt == "date-time":
                assert "datetime" in hint, (schema, name)


def test_user_select_holds_no_secret(spec: dict[str, Any]) -> None:
    assert set(m.USER_MONITORING_FIELDS) <= set(_props(spec, "Pbx.User"))
    assert not {"AuthPassword", "AccessPassword", "VMPIN", "DeskphonePassword"} & set(
        m.USER_MONITORING_FIELDS
    )


def test_report_parameters_match_the_spec_paths(spec: dict[str, Any]) -> None:
    paths = {p.split("(", 1)[0]: p for p in spec["paths"] if "/Pbx.Get" in p}
    for report in REPORTS.values():
        template = paths[report.base_path]
        names = re.findall(r"(\w+)=\{\1\}", template)
        assert tuple(names) == report.params, report.name
        assert spec["paths"][template]["get"]["operationId"] == report.operation_id
    assert len(REPORTS) == 14


# --- durations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("P", timedelta(0)),
        ("PT", timedelta(0)),
        ("PT0S", timedelta(0)),
        ("PT20S", timedelta(seconds=20)),
        ("PT1M30.5S", timedelta(minutes=1, seconds=30.5)),
        ("P1DT2H3M4S", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("P2D", timedelta(days=2)),
        ("PT36H", timedelta(hours=36)),
        ("-PT5S", timedelta(seconds=-5)),
        ("PT0.000001S", timedelta(microseconds=1)),
        ("PT1.1234567S", timedelta(seconds=1, microseconds=123456)),
    ],
)
def test_parse_duration(text: str, value: timedelta) -> None:
    assert parse_duration(text) == value
    assert re.match(DURATION_PATTERN, text)


@pytest.mark.parametrize(
    "text", ["", "1S", "P1Y", "P1W", "PT1.S", "PT-1S", "P1H", "PTS", "00:00:20"]
)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not an XAPI duration"):
        parse_duration(text)


@given(st.timedeltas(min_value=timedelta(days=-999), max_value=timedelta(days=999)))
def test_format_duration_round_trips_and_matches_the_spec_pattern(value: timedelta) -> None:
    text = format_duration(value)
    assert re.match(DURATION_PATTERN, text), text
    assert parse_duration(text) == value


# --- model behaviour ---------------------------------------------------------------------


def test_every_field_is_optional_and_arrays_default_empty() -> None:
    q = m.Queue.model_validate({})
    assert q.id is None
    assert q.agents == []
    assert m.CallLogData.model_validate({}).recordings == []


def test_extra_fields_are_kept_and_round_trip() -> None:
    raw = {"Id": 3, "Number": "800", "SLATime": 20, "GreetingFile": "x.wav", "Agents": []}
    q = m.Queue.model_validate(raw)
    assert q.sla_time == 20
    assert m.to_jsonable(q) == raw


def test_call_cost_may_be_fractional_or_integer() -> None:
    assert m.CallLogData.model_validate({"CallCost": 2}).call_cost == Decimal(2)
    assert m.CallLogData.model_validate({"CallCost": 0.125}).call_cost == Decimal("0.125")
    assert m.CallLogData.model_validate({"CallCost": None}).call_cost is None
    assert m.to_jsonable(m.CallLogData.model_validate({"CallCost": 0.5})) == {"CallCost": 0.5}
    with pytest.raises(ValidationError):
        m.CallLogData.model_validate({"CallCost": True})


def test_lower_camel_names() -> None:
    row = m.CallLogData.model_validate({"actionDnDn": "101"})
    assert row.action_dn_dn == "101"
    from queuepulse.xapi.reports import AgentLoginHistory

    hist = AgentLoginHistory.model_validate(
        {"loggedInDt": "2025-01-01T08:00:00Z", "LoggedOutDt": "2025-01-01T17:00:00+01:00"}
    )
    assert hist.logged_in_dt == datetime(2025, 1, 1, 8, tzinfo=UTC)
    assert hist.logged_out_dt is not None
    assert hist.logged_out_dt.utcoffset() == timedelta(hours=1)
    assert "loggedInDt" in m.to_jsonable(hist)


def test_naive_datetimes_are_taken_as_utc_and_12_fraction_digits_parse() -> None:
    call = m.ActiveCall.model_validate(
        {"ServerNow": "2025-01-01T00:00:00.123456789012Z", "EstablishedAt": "2025-01-01T00:00:00"}
    )
    assert call.server_now == datetime(2025, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)
    assert call.established_at == datetime(2025, 1, 1, tzinfo=UTC)


def test_call_time_is_a_duration_in_history_but_a_datetime_in_reports() -> None:
    seg = m.CallHistoryView.model_validate({"CallTime": "PT45S"})
    assert seg.call_time == timedelta(seconds=45)
    breach = REPORTS["BreachesSla"].row.model_validate({"CallTime": "2025-01-01T00:00:00Z"})
    assert breach.call_time == datetime(2025, 1, 1, tzinfo=UTC)  # type: ignore[attr-defined]


def test_unknown_enum_values_are_kept() -> None:
    user = m.User.model_validate({"QueueStatus": "SomethingNew", "Tags": ["AI", "Future"]})
    assert user.queue_status == "SomethingNew"
    assert m.User.model_validate({"QueueStatus": "LoggedIn"}).queue_status == (
        m.QueueStatusType.LOGGED_IN
    )


def test_models_are_immutable_and_picklable() -> None:
    import pickle

    call = m.ActiveCall.model_validate({"Id": 1, "Status": "Talking"})
    with pytest.raises(ValidationError):
        call.status = "x"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(call)) == call  # noqa: S301 - our own bytes


def test_collection_envelope() -> None:
    env = m.Collection[m.ActiveCall].model_validate({"@odata.count": 2, "value": [{"Id": 1}]})
    assert env.odata_count == 2
    assert env.value[0].id == 1
