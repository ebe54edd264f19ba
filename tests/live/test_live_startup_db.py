"""Before the live flow starts (queuepulse.live.startup): clean errors for a missing secret, an
unusable PBX or database; the initial configuration written in its own transaction, so the
flow's first Queues/Users fetch writes nothing more (the first polls' batch stays small)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest
from pydantic import SecretStr

from queuepulse.domain.rules import Rules
from queuepulse.errors import ConfigError, SetupError
from queuepulse.live.items import ConfigItem, KnownConfigItem
from queuepulse.live.pbx_step import PbxStepper
from queuepulse.live.runner import free_ports
from queuepulse.live.startup import prepare_targets
from queuepulse.settings import PbxSettings
from queuepulse.store.config_writer import ConfigStore
from queuepulse.xapi.client import XapiClient

pytestmark = pytest.mark.db

QUEUES = [
    {"Id": 1, "Number": "800", "Name": "Sales", "SLATime": 20,
     "Agents": [{"Id": 11, "Number": "101", "Name": "Ann A"},
                {"Id": 12, "Number": "102", "Name": "Bob B"}]},
    {"Id": 2, "Number": "801", "Name": "Support", "SLATime": 30,
     "Agents": [{"Id": 12, "Number": "102", "Name": "Bob B"}]},
]
USERS = [
    {"Id": 11, "Number": "101", "FirstName": "Ann", "LastName": "A", "DisplayName": "Ann A",
     "IsRegistered": True, "QueueStatus": "LoggedIn", "CurrentProfileName": "Available"},
    {"Id": 12, "Number": "102", "FirstName": "Bob", "LastName": "B", "DisplayName": "Bob B",
     "IsRegistered": False, "QueueStatus": "LoggedOut", "CurrentProfileName": "Away"},
]


class FakePbx:
    """/connect/token, /Queues, /Users; ``status`` makes every XAPI call fail with it."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests = 0

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if request.url.path == "/connect/token":
            return httpx.Response(200, json={"access_token": "tok", "token_type": "Bearer",
                                             "expires_in": 3600})
        if self.status != 200:
            return httpx.Response(self.status, text="<html>down</html>")
        body = QUEUES if request.url.path.endswith("/Queues") else USERS
        return httpx.Response(200, json={"value": body})


def _pbx(secret: str = "startup-test-secret") -> PbxSettings:  # noqa: S107 (a test's)
    return PbxSettings(pbx_id=f"pbx-{uuid.uuid4().hex[:8]}", url="http://pbx.test",
                       client_secret=SecretStr(secret), retry_budget_s=0.05,
                       breaker_failures=100)


def _factory(fake: FakePbx) -> Any:
    return lambda pbx: XapiClient(pbx, transport=httpx.MockTransport(fake.handler),
                                  jitter=False)


def _count(dsn: str, table: str, pbx_id: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table} WHERE pbx_id = %s", (pbx_id,)
                           ).fetchone()
    assert row is not None
    return int(row[0])


def test_no_client_secret_is_a_config_error_before_any_request() -> None:
    fake = FakePbx()
    good, missing = _pbx(), _pbx(secret="")
    with pytest.raises(ConfigError, match=f"{missing.pbx_id}.*QUEUEPULSE_PBX__CLIENT_SECRET"):
        prepare_targets((good, missing), None, client_factory=_factory(fake))
    assert fake.requests == 0


@pytest.mark.parametrize("status", [401, 503])
def test_an_unusable_pbx_is_a_setup_error_naming_it(status: int) -> None:
    pbx = _pbx()
    with pytest.raises(SetupError, match=f"{pbx.pbx_id}.*http://pbx.test.*QUEUEPULSE_PBX__URL"):
        prepare_targets((pbx,), None, client_factory=_factory(FakePbx(status)))


def test_an_unreachable_database_is_a_setup_error() -> None:
    pbx = _pbx()
    nobody = f"postgresql://queuepulse@127.0.0.1:{free_ports(1)[0]}/queuepulse"
    with pytest.raises(SetupError, match=f"{pbx.pbx_id}.*cannot connect to PostgreSQL"):
        prepare_targets((pbx,), nobody, client_factory=_factory(FakePbx()))


def test_initial_configuration_is_written_before_polling_and_not_again(pg_dsn: str) -> None:
    pbx = _pbx()
    prepare_targets((pbx,), pg_dsn, client_factory=_factory(FakePbx()))
    written = {t: _count(pg_dsn, t, pbx.pbx_id)
               for t in ("queues", "agents", "queue_agents", "agent_states")}
    assert written == {"queues": 2, "agents": 2, "queue_agents": 3, "agent_states": 2}

    # The flow as the poller feeds it: the known configuration read back, then its own first
    # Queues/Users fetch of the same PBX. Nothing changed: no dimension or state rows.
    store = ConfigStore.from_dsn(pg_dsn)
    try:
        known = store.load(pbx.pbx_id)
    finally:
        store.close()
    stepper = PbxStepper(Rules())
    state, _ = stepper(None, KnownConfigItem(pbx.pbx_id, known))
    state, out = stepper(state, ConfigItem(pbx.pbx_id, datetime.now(UTC), tuple(QUEUES),
                                           tuple(USERS)))
    assert out.config_rows == 0
    assert out.rows == ()
    assert state.directory.queues  # the directory knows the queues for the first poll

    # A second start writes nothing new either (history continues, no duplicate SCD-2 rows).
    prepare_targets((pbx,), pg_dsn, client_factory=_factory(FakePbx()))
    assert _count(pg_dsn, "queues", pbx.pbx_id) == 2
    assert _count(pg_dsn, "agent_states", pbx.pbx_id) == 2


def test_no_sync_checks_the_database_but_writes_nothing(pg_dsn: str) -> None:
    pbx = _pbx()
    prepare_targets((pbx,), pg_dsn, write_config=False, client_factory=_factory(FakePbx()))
    assert _count(pg_dsn, "queues", pbx.pbx_id) == 0


def test_validity_times_come_from_the_given_clock(pg_dsn: str) -> None:
    pbx = _pbx()
    pbx_time = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)  # a simulated PBX ahead of us
    prepare_targets((pbx,), pg_dsn, client_factory=_factory(FakePbx()), clock=lambda: pbx_time)
    with psycopg.connect(pg_dsn) as conn:
        stamps = conn.execute(
            "SELECT DISTINCT valid_from FROM queues WHERE pbx_id = %s UNION "
            "SELECT DISTINCT ts FROM agent_states WHERE pbx_id = %s",
            (pbx.pbx_id, pbx.pbx_id)).fetchall()
    assert stamps == [(pbx_time,)]
