"""Parsing ActiveCalls bodies, date-times, parties, the directory, and caller privacy."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from queuepulse.domain.parties import AgentInfo, Directory, QueueInfo, parse_party, party_dn
from queuepulse.domain.pbx_config import collection_rows, parse_config
from queuepulse.domain.privacy import CallerPolicy, hash_number, mask_number, protect_caller
from queuepulse.domain.snapshot import (
    format_datetime,
    parse_active_calls,
    parse_datetime,
    poll_from_body,
)

pytestmark = pytest.mark.unit

SUBSET = Path(__file__).resolve().parents[2].parent / "shared" / "xapi" / "queue-subset.json"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-05T09:00:01Z", datetime(2026, 1, 5, 9, 0, 1, tzinfo=UTC)),
        ("2026-01-05T09:00:01.123456789012Z", datetime(2026, 1, 5, 9, 0, 1, 123456, tzinfo=UTC)),
        ("2026-01-05T10:00:01.5+01:00", datetime(2026, 1, 5, 9, 0, 1, 500000, tzinfo=UTC)),
        ("2026-01-05T04:30:01-04:30", datetime(2026, 1, 5, 9, 0, 1, tzinfo=UTC)),
        ("2026-01-05 09:00:01", datetime(2026, 1, 5, 9, 0, 1, tzinfo=UTC)),  # no offset: UTC
    ],
)
def test_parse_datetime_accepts_the_spec_format(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed is not None
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "bad", ["", "yesterday", "2026-13-01T00:00:00Z", "2026-01-05T09:00Z", 17, None,
            "2026-02-30T00:00:00Z", "99999-01-01T00:00:00Z"],
)
def test_parse_datetime_rejects_without_raising(bad: object) -> None:
    assert parse_datetime(bad) is None


def test_format_datetime_round_trips() -> None:
    dt = datetime(2026, 1, 5, 10, 0, 1, 250000, tzinfo=timezone(timedelta(hours=1)))
    text = format_datetime(dt)
    assert text == "2026-01-05T09:00:01.250000Z"
    assert parse_datetime(text) == dt


def _body(*rows: object) -> dict[str, Any]:
    return {"@odata.count": len(rows), "value": list(rows)}


FULL = {
    "Id": 42, "Caller": "+4930123 Bob", "Callee": "800 Sales", "Status": "Ringing",
    "LastChangeStatus": "2026-01-05T09:00:00.5Z", "EstablishedAt": "2026-01-05T09:00:00Z",
    "ServerNow": "2026-01-05T09:00:03Z",
}


def test_parse_active_calls_full_row() -> None:
    (r,) = parse_active_calls(_body(FULL)).rows
    assert r.id == 42
    assert r.callee == "800 Sales"
    assert r.last_change_status == datetime(2026, 1, 5, 9, 0, 0, 500000, tzinfo=UTC)
    assert r.server_now == datetime(2026, 1, 5, 9, 0, 3, tzinfo=UTC)


def test_missing_and_bad_fields_are_counted_not_fatal() -> None:
    parsed = parse_active_calls(_body(
        {"Id": 1},  # after $select, say: six fields missing
        {**FULL, "Id": 2, "ServerNow": "not a time", "Status": 5},
        {"Caller": "x"},  # no Id: skipped
        "garbage",  # not an object: skipped
        {**FULL, "Id": True},  # a boolean is not an int32
    ))
    assert [r.id for r in parsed.rows] == [1, 2]
    assert parsed.rows[0].caller is None
    assert parsed.rows[1].server_now is None
    assert parsed.rows[1].status == "5"
    assert parsed.missing_fields == 6
    assert parsed.bad_values == 2
    assert parsed.skipped_rows == 3
    assert parsed.problem_count == 11
    assert any("ServerNow" in p for p in parsed.problems)


@pytest.mark.parametrize("body", [None, 5, "x", {"value": None}, {"value": {}}, {}])
def test_unusable_bodies_give_a_failed_poll(body: object) -> None:
    p = poll_from_body("pbx", datetime(2026, 1, 5, tzinfo=UTC), body)
    assert p.ok is False
    assert p.error
    assert parse_active_calls(body).rows == ()


def test_poll_from_body_counts_problems() -> None:
    p = poll_from_body("pbx", datetime(2026, 1, 5, tzinfo=UTC), _body(FULL, {"Id": 3}))
    assert p.ok
    assert len(p.calls) == 2
    assert p.problems == 6


def test_example_rows_conform_to_the_official_schema() -> None:
    if not SUBSET.exists():
        pytest.skip(f"the OpenAPI subset is not at {SUBSET}")
    from jsonschema import Draft4Validator

    schema = json.loads(SUBSET.read_text())["components"]["schemas"]["Pbx.ActiveCall"]
    props = schema["properties"]
    assert set(props) == {"Id", "Caller", "Callee", "Status", "LastChangeStatus",
                          "EstablishedAt", "ServerNow"}
    pattern_schema = {"type": "string", "pattern": props["ServerNow"]["pattern"]}
    Draft4Validator(pattern_schema).validate(format_datetime(datetime.now(UTC)))
    Draft4Validator(pattern_schema).validate(FULL["LastChangeStatus"])


@pytest.mark.parametrize(
    ("text", "dn", "name"),
    [
        ("800 Sales Queue", "800", "Sales Queue"),
        ("101", "101", None),
        ("  +4930123   Bob  ", "+4930123", "Bob"),
        ("", None, None),
        (None, None, None),
        ("   ", None, None),
    ],
)
def test_parse_party(text: str | None, dn: str | None, name: str | None) -> None:
    party = parse_party(text)
    assert (party.dn, party.name) == (dn, name)
    assert party_dn(text) == dn


def test_directory_from_the_decoded_queues_and_users_bodies() -> None:
    queues = {"value": [
        {"Id": 1, "Number": "800", "Name": "Sales", "SLATime": 15,
         "Agents": [{"Number": "101"}, {"Number": "102"}]},
        {"Id": 2, "Number": "801", "Name": "Support", "SLATime": None, "Agents": []},
        {"Id": 3, "Number": None},
    ]}
    users = {"value": [
        {"Number": "101", "FirstName": "Alice", "LastName": "A", "QueueStatus": "LoggedIn",
         "CurrentProfileName": "Available", "IsRegistered": True},
        {"Number": "103", "DisplayName": "Cleo", "QueueStatus": "LoggedOut"},
    ]}
    d = Directory.from_config(parse_config(collection_rows(queues), collection_rows(users)))
    assert d.kind("800") == "queue"
    assert d.kind("101") == "agent"
    assert d.kind("102") == "agent"  # listed in a queue but not among the users
    assert d.kind("5555") == "other"
    assert d.kind(None) == "other"
    assert d.sla_s("800", 20) == 15
    assert d.sla_s("801", 20) == 20
    assert d.members("800") == ("101", "102")
    assert d.agents["101"].queues == ("800",)
    assert d.agents["101"].name == "Alice A"
    assert d.agents["101"].logged_in
    assert d.agents["102"].queue_status is None


def test_directory_build_merges_memberships_both_ways() -> None:
    d = Directory.build(
        [QueueInfo("800", agents=("101",)), QueueInfo("801")],
        [AgentInfo("101"), AgentInfo("102", queues=("801",))],
    )
    assert d.members("801") == ("102",)
    assert d.agents["101"].queues == ("800",)


def test_mask_and_hash() -> None:
    assert mask_number("+49 30 123456", 3) == "+** ** ***456"
    assert mask_number("12", 3) == "12"
    hashed = hash_number("+4930123456", "salt")
    assert hashed.startswith("sha256:")
    assert hashed != hash_number("+4930123456", "other")
    assert protect_caller("+4930123456 Bob", CallerPolicy("hash", "salt")) == (hashed, None)
    assert protect_caller("+4930123456 Bob", CallerPolicy()) == ("+4930123456", "Bob")
    assert protect_caller(None, CallerPolicy("mask")) == (None, None)
    assert "salt" not in repr(CallerPolicy("hash", "salt"))


def test_caller_policy_from_settings_keeps_the_salt_secret() -> None:
    from pydantic import SecretStr

    from queuepulse.settings import PrivacySettings

    policy = CallerPolicy.from_settings(
        PrivacySettings(caller_mode="hash", hash_salt=SecretStr("pepper"), mask_keep_digits=2)
    )
    assert policy.salt == "pepper"
    assert "pepper" not in repr(policy)
