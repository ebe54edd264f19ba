"""Pure configuration: the one Queues/Users parser, SCD-2 diffing and change-only agent states,
and the lifecycle's directory built from a configuration."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from queuepulse.domain.parties import Directory
from queuepulse.domain.pbx_config import (
    KnownConfig,
    PbxConfig,
    collection_rows,
    diff_config,
    parse_config,
)

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=1)
T2 = T0 + timedelta(minutes=2)

QUEUES = [
    {
        "Id": 1, "Number": "800", "Name": "Sales", "SLATime": 20, "PollingStrategy": "RingAll",
        "MaxCallersInQueue": 10, "Agents": [{"Number": "101", "SkillGroup": None},
                                            {"Number": "102", "SkillGroup": "A"}],
    },
    {"Id": 2, "Number": "801", "Name": "Support", "SLATime": None, "Agents": []},
]
USERS = [
    {"Id": 11, "Number": "101", "FirstName": "Ann", "LastName": "A", "QueueStatus": "LoggedIn",
     "CurrentProfileName": "Available", "IsRegistered": True},
    {"Id": 12, "Number": "102", "FirstName": "Bob", "LastName": "B", "QueueStatus": "LoggedOut",
     "CurrentProfileName": "Away", "IsRegistered": False},
]


def _config(queues=QUEUES, users=USERS, on_call=None) -> PbxConfig:
    return parse_config(queues, users, on_call)


def test_first_sync_opens_everything_and_writes_all_states() -> None:
    changes, known = diff_config("p", KnownConfig(), _config(), T0)
    assert [r["queue_dn"] for r in changes.queues] == ["800", "801"]
    assert all(r["valid_from"] == T0 and r["valid_to"] is None for r in changes.queues)
    assert {(r["queue_dn"], r["agent_dn"]) for r in changes.queue_agents} == {
        ("800", "101"), ("800", "102")}
    assert len(changes.agents) == 2
    assert {r["agent_dn"]: r["queue_status"] for r in changes.agent_states} == {
        "101": "LoggedIn", "102": "LoggedOut"}
    assert changes.opened == 6
    assert changes.closed == 0
    assert known.queues["800"].valid_from == T0
    row = changes.queues[0]
    assert row["sla_time_s"] == 20
    assert row["polling_strategy"] == "RingAll"
    assert row["max_callers"] == 10
    assert row["pbx_id"] == "p"


def test_unchanged_sync_writes_nothing() -> None:
    _, known = diff_config("p", KnownConfig(), _config(), T0)
    changes, known2 = diff_config("p", known, _config(), T1)
    assert changes.empty
    assert known2.queues["800"].valid_from == T0


def test_sla_change_closes_old_row_and_opens_new() -> None:
    _, known = diff_config("p", KnownConfig(), _config(), T0)
    queues = [dict(QUEUES[0], SLATime=30), QUEUES[1]]
    changes, known2 = diff_config("p", known, _config(queues=queues), T1)
    assert changes.agents == []
    assert changes.queue_agents == []
    assert changes.agent_states == []
    closed, opened = changes.queues
    assert (closed["sla_time_s"], closed["valid_from"], closed["valid_to"]) == (20, T0, T1)
    assert (opened["sla_time_s"], opened["valid_from"], opened["valid_to"]) == (30, T1, None)
    assert known2.queues["800"] .valid_from == T1
    assert known2.queues["801"].valid_from == T0


def test_removed_queue_and_membership_are_closed_only() -> None:
    _, known = diff_config("p", KnownConfig(), _config(), T0)
    queues = [dict(QUEUES[0], Agents=[{"Number": "101"}])]
    changes, known2 = diff_config("p", known, _config(queues=queues), T1)
    assert [(r["queue_dn"], r["valid_to"]) for r in changes.queues] == [("801", T1)]
    assert [(r["agent_dn"], r["valid_to"]) for r in changes.queue_agents] == [("102", T1)]
    assert "801" not in known2.queues
    assert changes.closed == 2
    assert changes.opened == 0


def test_change_at_same_instant_rewrites_open_row() -> None:
    _, known = diff_config("p", KnownConfig(), _config(), T0)
    queues = [dict(QUEUES[0], Name="Sales EU"), QUEUES[1]]
    changes, _ = diff_config("p", known, _config(queues=queues), T0)
    assert len(changes.queues) == 1
    assert changes.queues[0]["valid_to"] is None
    assert changes.queues[0]["name"] == "Sales EU"


def test_agent_state_rows_only_on_change() -> None:
    _, known = diff_config("p", KnownConfig(), _config(), T0)
    users = [dict(USERS[0], CurrentProfileName="Away"), USERS[1]]
    changes, known2 = diff_config("p", known, _config(users=users), T1)
    assert changes.agents == []  # profile is state, not dimension
    assert [(r["agent_dn"], r["profile"], r["ts"]) for r in changes.agent_states] == [
        ("101", "Away", T1)]
    changes3, _ = diff_config("p", known2, _config(users=users), T2)
    assert changes3.agent_states == []


def test_on_call_is_state() -> None:
    _, known = diff_config("p", KnownConfig(), _config(on_call=frozenset()), T0)
    changes, _ = diff_config("p", known, _config(on_call=frozenset({"102"})), T1)
    assert [(r["agent_dn"], r["on_call"]) for r in changes.agent_states] == [("102", True)]


def test_directory() -> None:
    d = Directory.from_config(_config())
    assert d.kind("800") == "queue"
    assert d.kind("101") == "agent"
    assert d.kind("555") == "other"
    assert d.sla_s("800", 25) == 20
    assert d.sla_s("801", 25) == 25
    assert set(d.members("800")) == {"101", "102"}
    assert d.agents["101"].logged_in
    assert not d.agents["102"].logged_in


def test_malformed_fields_are_none_and_bad_rows_are_left_out() -> None:
    queues = [
        {"Number": "800", "SLATime": "soon", "MaxCallersInQueue": True, "PriorityQueue": "yes",
         "Agents": [{"Number": "101"}, "not an object", {"Name": "no number"}]},
        {"Number": 801, "SLATime": "30", "Agents": None},
        "not an object",
        {"Number": "", "Name": "empty number"},
    ]
    users = [{"Number": "101", "IsRegistered": "true", "Enabled": 1, "Id": "x"}, 7]
    cfg = parse_config(queues, users)
    assert set(cfg.queues) == {"800", "801"}
    assert cfg.queues["800"].sla_time_s is None
    assert cfg.queues["800"].max_callers is None
    assert cfg.queues["800"].priority_queue is None
    assert cfg.queues["801"].sla_time_s == 30
    assert set(cfg.memberships) == {("800", "101")}
    assert cfg.agents["101"].enabled is None
    assert cfg.agents["101"].user_id is None
    assert cfg.states["101"].registered is None
    assert cfg.states["101"].on_call is None


def test_collection_rows_reads_envelopes_and_lists_only() -> None:
    assert collection_rows({"value": [{"Number": "1"}, 3]}) == ({"Number": "1"},)
    assert collection_rows([{"Number": "1"}]) == ({"Number": "1"},)
    assert collection_rows({"value": None}) == ()
    assert collection_rows("junk") == ()


def test_queue_without_number_is_ignored() -> None:
    cfg = _config(queues=[{"Id": 9, "Name": "x"}], users=[])
    assert cfg.queues == {}
    assert replace(cfg).agents == {}


def test_directory_from_config_has_names_states_and_memberships() -> None:
    d = Directory.from_config(_config())
    assert d.queues["800"].sla_s == 20
    assert set(d.queues["800"].agents) == {"101", "102"}
    assert d.agents["101"].logged_in
    assert d.agents["102"].queues == ("800",)
    assert d.agents["101"].name == "Ann A"
