"""The Queues/Users sync end to end through the real XAPI client (recorded JSON over an httpx
transport) into a migrated TimescaleDB: SCD-2 history and change-only agent states."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from pydantic import SecretStr

from queuepulse.config_sync import ConfigSync
from queuepulse.settings import PbxSettings
from queuepulse.store.config_writer import ConfigStore
from queuepulse.xapi.client import XapiClient

pytestmark = pytest.mark.db

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

QUEUES: list[dict[str, Any]] = [
    {"Id": 1, "Number": "800", "Name": "Sales", "SLATime": 20, "PollingStrategy": "RingAll",
     "MaxCallersInQueue": 10, "RingTimeout": 15, "MasterTimeout": 300, "WrapUpTime": 5,
     "PriorityQueue": False,
     "Agents": [{"Id": 11, "Number": "101", "Name": "Ann A", "SkillGroup": None, "Tags": []},
                {"Id": 12, "Number": "102", "Name": "Bob B", "SkillGroup": None, "Tags": []}]},
    {"Id": 2, "Number": "801", "Name": "Support", "SLATime": 30, "PollingStrategy": "Hunt",
     "Agents": [{"Id": 12, "Number": "102", "Name": "Bob B", "Tags": []}]},
]
USERS: list[dict[str, Any]] = [
    {"Id": 11, "Number": "101", "FirstName": "Ann", "LastName": "A", "DisplayName": "Ann A",
     "Enabled": True, "IsRegistered": True, "QueueStatus": "LoggedIn",
     "CurrentProfileName": "Available"},
    {"Id": 12, "Number": "102", "FirstName": "Bob", "LastName": "B", "DisplayName": "Bob B",
     "Enabled": True, "IsRegistered": False, "QueueStatus": "LoggedOut",
     "CurrentProfileName": "Away"},
]


class FakePbx:
    """Serves /connect/token, /Queues and /Users from mutable recorded JSON."""

    def __init__(self) -> None:
        self.queues = copy.deepcopy(QUEUES)
        self.users = copy.deepcopy(USERS)
        self.paths: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if request.url.path == "/connect/token":
            return httpx.Response(200, json={"access_token": "tok", "token_type": "Bearer",
                                             "expires_in": 3600, "refresh_token": ""})
        assert request.headers["Authorization"] == "Bearer tok"
        if request.url.path == "/xapi/v1/Queues":
            assert "Agents" in request.url.params.get("$expand", "")
            return httpx.Response(200, json={"value": self.queues})
        if request.url.path == "/xapi/v1/Users":
            assert "QueueStatus" in request.url.params.get("$select", "")
            return httpx.Response(200, json={"value": self.users})
        return httpx.Response(404, json={"error": {"code": "404", "message": "no"}})


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def pbx() -> str:
    return f"pbx-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def fake() -> FakePbx:
    return FakePbx()


@pytest.fixture
def store(pg_dsn: str) -> Iterator[ConfigStore]:
    s = ConfigStore.from_dsn(pg_dsn)
    yield s
    s.close()


def make_sync(pbx: str, fake: FakePbx, store: ConfigStore, clock: Clock) -> ConfigSync:
    settings = PbxSettings(pbx_id=pbx, url="http://pbx.test",
                           client_secret=SecretStr("sync-db-test-secret"))
    client = XapiClient(settings, transport=httpx.MockTransport(fake.handler), jitter=False)
    return ConfigSync(pbx, client, store, clock=clock)


def fetch(dsn: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, params).fetchall()


def counts(dsn: str, pbx: str) -> dict[str, int]:
    return {
        t: fetch(dsn, f"SELECT count(*) FROM {t} WHERE pbx_id = %s", pbx)[0][0]
        for t in ("queues", "agents", "queue_agents", "agent_states")
    }


def test_first_sync_then_unchanged_sync_writes_nothing(pg_dsn: str, pbx: str, fake: FakePbx,
                                                       store: ConfigStore) -> None:
    clock = Clock()
    sync = make_sync(pbx, fake, store, clock)
    result = sync.run_once()
    assert (result.queues, result.agents, result.memberships) == (2, 2, 3)
    assert counts(pg_dsn, pbx) == {"queues": 2, "agents": 2, "queue_agents": 3,
                                   "agent_states": 2}
    row = fetch(pg_dsn, "SELECT queue_id, name, sla_time_s, polling_strategy, max_callers, "
                "ring_timeout_s, master_timeout_s, wrap_up_time_s, priority_queue, valid_from, "
                "valid_to FROM queues WHERE pbx_id = %s AND queue_dn = '800'", pbx)
    assert row == [(1, "Sales", 20, "RingAll", 10, 15, 300, 5, False, T0, None)]
    clock.now = T0 + timedelta(minutes=1)
    again = sync.run_once()
    assert (again.opened, again.closed, again.state_rows, again.rows_written) == (0, 0, 0, 0)
    assert counts(pg_dsn, pbx)["queues"] == 2
    directory = sync.directory
    assert directory.kind("800") == "queue"
    assert directory.sla_s("801", 99) == 30
    assert directory.members("801") == ("102",)


def test_sla_change_closes_old_row_and_opens_new(pg_dsn: str, pbx: str, fake: FakePbx,
                                                 store: ConfigStore) -> None:
    clock = Clock()
    sync = make_sync(pbx, fake, store, clock)
    sync.run_once()
    t1 = T0 + timedelta(minutes=5)
    clock.now = t1
    fake.queues[0]["SLATime"] = 45
    result = sync.run_once()
    assert (result.opened, result.closed) == (1, 1)
    rows = fetch(pg_dsn, "SELECT sla_time_s, valid_from, valid_to FROM queues "
                 "WHERE pbx_id = %s AND queue_dn = '800' ORDER BY valid_from", pbx)
    assert rows == [(20, T0, t1), (45, t1, None)]
    # Untouched queue and every other dimension keep their single open row.
    assert fetch(pg_dsn, "SELECT valid_from, valid_to FROM queues WHERE pbx_id = %s "
                 "AND queue_dn = '801'", pbx) == [(T0, None)]
    assert counts(pg_dsn, pbx)["agents"] == 2
    assert sync.directory.sla_s("800", 99) == 45
    # "history joins to the configuration of its day"
    at = fetch(pg_dsn, "SELECT sla_time_s FROM queues WHERE pbx_id = %s AND queue_dn = '800' "
               "AND valid_from <= %s AND (valid_to IS NULL OR valid_to > %s)",
               pbx, t1 - timedelta(seconds=1), t1 - timedelta(seconds=1))
    assert at == [(20,)]


def test_membership_removed_and_added(pg_dsn: str, pbx: str, fake: FakePbx,
                                      store: ConfigStore) -> None:
    clock = Clock()
    sync = make_sync(pbx, fake, store, clock)
    sync.run_once()
    t1 = T0 + timedelta(minutes=1)
    clock.now = t1
    fake.queues[1]["Agents"] = [{"Number": "101", "Tags": []}]
    sync.run_once()
    rows = fetch(pg_dsn, "SELECT agent_dn, valid_from, valid_to FROM queue_agents "
                 "WHERE pbx_id = %s AND queue_dn = '801' ORDER BY agent_dn", pbx)
    assert rows == [("101", t1, None), ("102", T0, t1)]


def test_agent_states_only_on_change(pg_dsn: str, pbx: str, fake: FakePbx,
                                     store: ConfigStore) -> None:
    clock = Clock()
    sync = make_sync(pbx, fake, store, clock)
    sync.run_once()
    for minute in (1, 2):
        clock.now = T0 + timedelta(minutes=minute)
        sync.run_once()
    assert counts(pg_dsn, pbx)["agent_states"] == 2
    t3 = T0 + timedelta(minutes=3)
    clock.now = t3
    fake.users[1].update(QueueStatus="LoggedIn", IsRegistered=True,
                         CurrentProfileName="Available")
    result = sync.run_once()
    assert result.state_rows == 1
    assert (result.opened, result.closed) == (0, 0)  # state is not a dimension change
    rows = fetch(pg_dsn, "SELECT ts, queue_status, profile, registered FROM agent_states "
                 "WHERE pbx_id = %s AND agent_dn = '102' ORDER BY ts", pbx)
    assert rows == [(T0, "LoggedOut", "Away", False), (t3, "LoggedIn", "Available", True)]
    assert sync.directory.agents["102"].logged_in


def test_restarted_sync_continues_history(pg_dsn: str, pbx: str, fake: FakePbx,
                                          store: ConfigStore) -> None:
    clock = Clock()
    make_sync(pbx, fake, store, clock).run_once()
    before = counts(pg_dsn, pbx)
    clock.now = T0 + timedelta(hours=1)
    restarted = make_sync(pbx, fake, ConfigStore.from_dsn(pg_dsn), clock)
    known = restarted.load()
    assert known.queues["800"].valid_from == T0
    assert restarted.directory.sla_s("800", 99) == 20  # usable before the first fetch
    result = restarted.run_once()
    assert result.rows_written == 0
    assert counts(pg_dsn, pbx) == before
    fake.queues = fake.queues[:1]  # queue 801 deleted on the PBX
    clock.now = T0 + timedelta(hours=2)
    restarted.run_once()
    assert fetch(pg_dsn, "SELECT valid_to FROM queues WHERE pbx_id = %s AND queue_dn = '801'",
                 pbx) == [(T0 + timedelta(hours=2),)]
    assert json.dumps(sorted(restarted.directory.queues)) == '["800"]'
