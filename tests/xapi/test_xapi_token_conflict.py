"""Two processes on one API client (3CX keeps one token per client): each side's token is
revoked by the other's next one. Said once, plainly, as a warning; then only counted
(``token_conflicts``, exported as ``queuepulse_token_conflicts_total``) — not a warning per
second forever. Against the simulator over real HTTP, which revokes a client's previous token
when it issues a new one, as 3CX does."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from queuepulse.settings import PbxSettings
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import RunningSimulator, run_simulator
from queuepulse.xapi.client import XapiClient

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    config = SimulatorConfig(model=ModelConfig(seed=4, queues=1, agents=2), manual_clock=True,
                             client_id="shared", client_secret="shared-secret")
    with run_simulator(config) as running:
        yield running


def _pbx(sim: RunningSimulator) -> PbxSettings:
    return PbxSettings(url=sim.base_url, client_id="shared",
                       client_secret=SecretStr("shared-secret"))


async def test_two_processes_on_one_client_warn_once_and_count(
    sim: RunningSimulator, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="queuepulse.xapi.auth")
    async with XapiClient(_pbx(sim)) as a, XapiClient(_pbx(sim)) as b:
        for _ in range(10):  # one "second" each: a polls, then b polls
            await a.poll_active_calls()
            await b.poll_active_calls()
    conflicts = a.auth.token_conflicts + b.auth.token_conflicts
    assert conflicts >= 18  # every poll after the first two met a revoked token
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2, [r.getMessage() for r in warnings]  # once per process
    assert all("another process uses this XAPI client" in r.getMessage() for r in warnings)
    assert all("own API client" in r.getMessage() for r in warnings)
    assert "shared-secret" not in caplog.text


async def test_an_expired_token_is_not_a_conflict(
    sim: RunningSimulator, caplog: pytest.LogCaptureFixture,
) -> None:
    """One process alone: a token the PBX dropped after its lifetime is an ordinary
    re-authentication, not another process."""
    now = [0.0]
    async with XapiClient(_pbx(sim), clock=lambda: now[0]) as client:
        await client.poll_active_calls()
        assert client.auth._token is not None
        now[0] = client.auth._token.expires_at + 1  # expired on our clock ...
        client.auth._token = client.auth._token.__class__(  # ... though still renewable
            client.auth._token.value, expires_at=now[0] - 0.5, renew_at=now[0] + 100)
        sim.simulator.tokens.revoke("shared")
        await client.poll_active_calls()
        assert client.auth.token_conflicts == 0
    assert "another process" not in caplog.text
