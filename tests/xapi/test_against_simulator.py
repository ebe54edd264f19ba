"""Every XapiClient method against the simulated PBX over real HTTP (127.0.0.1, a free port).

The simulator serves the XAPI as the official OpenAPI document shapes it, with a manual clock
(time moves only when the test says so) and optional fault injection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from xapi_fakes import FakeClock

from queuepulse.domain.snapshot import poll_from_body
from queuepulse.settings import PbxSettings
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.faults import parse_fault_spec
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import RunningSimulator, run_simulator
from queuepulse.xapi.client import XapiClient
from queuepulse.xapi.errors import AuthError, NotFoundError, PayloadError, UnavailableError
from queuepulse.xapi.models import USER_MONITORING_FIELDS
from queuepulse.xapi.odata import ODataQuery
from queuepulse.xapi.reports import REPORTS

pytestmark = pytest.mark.e2e

START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    config = SimulatorConfig(
        model=ModelConfig(seed=7, queues=4, agents=20, calls_per_min_per_queue=3.0),
        start=START,
        warmup_s=600,
        manual_clock=True,
        background_tick_s=0.0,
    )
    with run_simulator(config) as running:
        yield running


@pytest.fixture
async def xapi(sim: RunningSimulator, clock: FakeClock) -> AsyncIterator[XapiClient]:
    """A client whose retry waits go to ``clock.sleeps`` instead of passing."""
    sim.simulator.faults.set_rules(())
    settings = PbxSettings(
        url=sim.base_url,
        client_id=sim.client_id,
        client_secret=SecretStr(sim.client_secret),
        timeout_s=10.0,
        retry_budget_s=5.0,
    )
    async with XapiClient(settings, sleep=clock.sleep, jitter=False) as client:
        yield client
    sim.simulator.faults.set_rules(())


async def test_active_calls_match_the_simulator(sim: RunningSimulator, xapi: XapiClient) -> None:
    sim.advance(30)
    poll = await xapi.poll_active_calls()
    parsed = poll_from_body("sim", poll.received_at, poll.body)
    assert parsed.ok
    assert parsed.problems == 0
    assert len(parsed.calls) == len(poll.rows) == len(sim.simulator.engine.active) > 0
    assert poll.count is None  # not asked for
    assert poll.rows[0]["Id"] == parsed.calls[0].id
    assert all(c.server_now is not None and c.established_at is not None for c in parsed.calls)
    assert {c.id for c in await xapi.list_active_calls()} == {c.id for c in parsed.calls}
    counted = await xapi.list_active_calls(ODataQuery(count=True, top=1))
    assert len(counted) == 1


async def test_drop_call(sim: RunningSimulator, xapi: XapiClient) -> None:
    calls = await xapi.list_active_calls()
    victim = calls[0].id
    assert victim is not None
    await xapi.drop_call(victim)
    assert victim not in {c.id for c in await xapi.list_active_calls()}


async def test_queues_agents_managers(xapi: XapiClient) -> None:
    queues = await xapi.list_queues(expand_agents=True)
    assert len(queues) == 4
    first = queues[0]
    assert first.id is not None
    assert first.number
    assert first.agents
    assert all(a.number for a in first.agents)
    assert first.sla_time is not None
    plain = await xapi.list_queues()
    assert plain[0].agents == []  # navigation property only with $expand
    by_id = await xapi.get_queue(first.id)
    by_number = await xapi.get_queue_by_number(first.number, expand_agents=True)
    assert by_id.number == by_number.number == first.number
    assert [a.number for a in by_number.agents] == [a.number for a in first.agents]
    agents = await xapi.list_queue_agents(first.id)
    assert {a.number for a in agents} == {a.number for a in first.agents}
    managers = await xapi.list_queue_managers(first.id)
    assert isinstance(managers, list)
    paged = await xapi.list_queues(page_size=3)
    assert [q.id for q in paged] == [q.id for q in plain]


async def test_users_carry_only_monitoring_fields(xapi: XapiClient) -> None:
    poll = await xapi.poll_users()
    assert poll.rows
    for raw in poll.rows:
        assert set(raw) <= set(USER_MONITORING_FIELDS)
        assert "AuthPassword" not in raw
    user = next(u for u in poll.rows if u.get("Number"))
    assert user["QueueStatus"] in {"LoggedIn", "LoggedOut"}
    assert (await xapi.get_user_by_number(user["Number"])).id == user["Id"]
    assert (await xapi.get_user(user["Id"])).number == user["Number"]
    assert len(await xapi.list_users(page_size=7)) == len(poll.rows)


async def test_system_status(xapi: XapiClient) -> None:
    status = await xapi.get_system_status()
    assert status.version == "20.0.10.1000"
    assert status.calls_active is not None


async def test_pbx_time_zone(xapi: XapiClient) -> None:
    """The simulator's default zone (UTC) through the typed methods and the lookup."""
    hours = await xapi.get_office_hours(ODataQuery(select=("TimeZoneId",)))
    zones = await xapi.list_time_zones()
    (utc,) = [z for z in zones if z.id == hours.time_zone_id]
    assert (utc.iana_name, utc.windows_name) == ("UTC", "UTC")
    assert await xapi.get_pbx_time_zone() == "UTC"
    assert not xapi.stats.skips


async def test_call_history_view_pages_match_one_request(
    sim: RunningSimulator, xapi: XapiClient
) -> None:
    end = datetime.fromtimestamp(sim.now_ms() / 1000, UTC)
    start = end - timedelta(minutes=20)
    paged = [s async for s in xapi.iter_call_history_view(start, end, page_size=25)]
    whole = [s async for s in xapi.iter_call_history_view(start, end, page_size=100_000)]
    assert len(paged) > 25
    assert [s.segment_id for s in paged] == [s.segment_id for s in whole]
    assert all(start <= s.segment_start_time < end for s in paged if s.segment_start_time)
    assert all(isinstance(s.call_time, timedelta) for s in paged)


async def test_call_log_data(sim: RunningSimulator, xapi: XapiClient) -> None:
    end = datetime.fromtimestamp(sim.now_ms() / 1000, UTC)
    rows = await xapi.get_call_log_data(end - timedelta(minutes=20), end)
    assert rows
    assert all(r.cdr_id for r in rows)
    assert any(r.talking_duration is not None for r in rows)


REPORT_CALLS: dict[str, Any] = {
    "QueuePerformanceOverview": lambda x, a, b: x.get_queue_performance_overview(a, b),
    "QueuePerformanceTotals": lambda x, a, b: x.get_queue_performance_totals(a, b),
    "AbandonedQueueCalls": lambda x, a, b: x.get_abandoned_queue_calls(a, b),
    "StatisticSla": lambda x, a, b: x.get_statistic_sla(a, b),
    "BreachesSla": lambda x, a, b: x.get_breaches_sla(a, b),
    "AgentsInQueueStatistics": lambda x, a, b: x.get_agents_in_queue_statistics(a, b),
    "TeamQueueGeneralStatistics": lambda x, a, b: x.get_team_queue_general_statistics(a, b),
    "DetailedQueueStatistics": lambda x, a, b: x.get_detailed_queue_statistics(a, b),
    "QueueAnsweredCallsByWaitTime": lambda x, a, b: x.get_queue_answered_calls_by_wait_time(a, b),
    "QueueCallbacks": lambda x, a, b: x.get_queue_callbacks(a, b),
    "QueueFailedCallbacks": lambda x, a, b: x.get_queue_failed_callbacks(a, b),
    "AgentLoginHistory": lambda x, a, b: x.get_agent_login_history(a, b),
    "AverageQueueWaitingTime": lambda x, a, b: x.get_average_queue_waiting_time(a),
    "QueueAnUnCalls": lambda x, a, b: x.get_queue_an_un_calls(a),
}


def test_every_report_has_a_typed_method() -> None:
    assert set(REPORT_CALLS) == set(REPORTS)


@pytest.mark.parametrize("name", sorted(REPORT_CALLS))
async def test_report(sim: RunningSimulator, xapi: XapiClient, name: str) -> None:
    end = datetime.fromtimestamp(sim.now_ms() / 1000, UTC)
    rows = await REPORT_CALLS[name](xapi, end - timedelta(minutes=20), end)
    assert isinstance(rows, list)
    assert all(isinstance(r, REPORTS[name].row) for r in rows)
    if name in ("QueuePerformanceTotals", "StatisticSla", "DetailedQueueStatistics"):
        assert rows  # one row per queue at least


async def test_queue_performance_totals_count_received_calls(
    sim: RunningSimulator, xapi: XapiClient
) -> None:
    end = datetime.fromtimestamp(sim.now_ms() / 1000, UTC)
    rows = await xapi.get_queue_performance_totals(end - timedelta(minutes=20), end)
    assert sum(r.queue_received_count or 0 for r in rows) > 0


# --- faults over real HTTP ---------------------------------------------------------------


async def test_5xx_and_429_and_reset_are_retried(
    sim: RunningSimulator, xapi: XapiClient, clock: FakeClock
) -> None:
    sim.simulator.faults.set_rules(
        parse_fault_spec("ActiveCalls:status=503@n1; ActiveCalls:429=1.5@n2; ActiveCalls:reset@n3")
    )
    calls = await xapi.list_active_calls()
    assert len(calls) == len(sim.simulator.engine.active)
    assert xapi.stats.retries == 3
    assert sim.simulator.faults.fired == {"status": 1, "429": 1, "reset": 1}
    assert len(clock.sleeps) == 3
    assert clock.sleeps[1] == 1.5  # the simulator's Retry-After, honoured
    assert clock.sleeps[0] < 1.0  # backoff, not Retry-After
    assert clock.sleeps[2] < 1.0


async def test_401_reauthenticates_once(sim: RunningSimulator, xapi: XapiClient) -> None:
    await xapi.get_system_status()
    before = xapi.auth.token_requests
    sim.simulator.faults.set_rules(parse_fault_spec("SystemStatus:401@n1"))
    await xapi.get_system_status()
    assert xapi.auth.token_requests == before + 1


@pytest.mark.parametrize(
    ("fault", "error", "match"),
    [
        ("malformed", PayloadError, "not valid JSON|truncated"),
        ("html", UnavailableError, "502 Bad Gateway"),
        ("truncated", UnavailableError, "GET /ActiveCalls"),
        ("status=500", UnavailableError, r"\(500\)"),
    ],
)
async def test_faults_become_clear_errors(
    sim: RunningSimulator, xapi: XapiClient, fault: str, error: type[Exception], match: str
) -> None:
    sim.simulator.faults.set_rules(parse_fault_spec(f"ActiveCalls:{fault}"))
    with pytest.raises(error, match=match) as info:
        await xapi.list_active_calls()
    assert "GET /ActiveCalls" in str(info.value)


async def test_not_found_and_bad_credentials(sim: RunningSimulator, xapi: XapiClient) -> None:
    with pytest.raises(NotFoundError):
        await xapi.get_queue(987654)
    bad = PbxSettings(
        url=sim.base_url, client_id=sim.client_id, client_secret=SecretStr("wrong-secret")
    )
    async with XapiClient(bad) as client:
        with pytest.raises(AuthError) as info:
            await client.get_system_status()
    assert "wrong-secret" not in str(info.value)


def test_one_client_serves_successive_event_loops(sim: RunningSimulator) -> None:
    """``asyncio.run`` per call (a sync caller) must not hit "Event loop is closed"."""
    import asyncio

    settings = PbxSettings(
        url=sim.base_url, client_id=sim.client_id, client_secret=SecretStr(sim.client_secret)
    )
    client = XapiClient(settings)
    sizes = [len(asyncio.run(client.list_queues())) for _ in range(3)]
    assert sizes == [4, 4, 4]
    assert client.auth.token_requests == 1  # the token outlives the loops
    asyncio.run(client.aclose())


async def test_slow_pbx_times_out_within_the_poll_budget(sim: RunningSimulator) -> None:
    sim.simulator.faults.set_rules(parse_fault_spec("ActiveCalls:latency=2.0"))
    settings = PbxSettings(
        url=sim.base_url,
        client_id=sim.client_id,
        client_secret=SecretStr(sim.client_secret),
        timeout_s=5.0,
        retry_budget_s=0.3,
    )
    try:
        async with XapiClient(settings) as client:
            await client.get_system_status()  # token first: only the poll is budgeted
            # the timeout the request ran with is in the message: the 0.3 s budget capped the
            # 5 s timeout (no wall-clock assertion; the PBX answers after 2 s)
            with pytest.raises(UnavailableError, match=r"timed out after 0\.[0-3]\d s"):
                await client.list_active_calls()
    finally:
        sim.simulator.faults.set_rules(())
    assert client.stats.errors["UnavailableError"] == 1
