"""The sync loop's control flow with an in-memory client and store (no network, no database)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from queuepulse.config_sync import ConfigSync
from queuepulse.domain.pbx_config import KnownConfig, SyncChanges
from queuepulse.store.db import DatabaseUnavailableError
from queuepulse.xapi.errors import UnavailableError

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Body:
    rows: list[Any]


class Client:
    def __init__(self) -> None:
        self.sla = 20
        self.fail = False
        self.calls = 0

    async def poll_queues(self, *, expand_agents: bool = False) -> Body:
        assert expand_agents
        self.calls += 1
        if self.fail:
            raise UnavailableError("GET /Queues failed: 503")
        return Body([{"Number": "800", "SLATime": self.sla, "Agents": [{"Number": "101"}]}])

    async def poll_users(self) -> Body:
        return Body([{"Number": "101", "QueueStatus": "LoggedIn"}])


class Store:
    def __init__(self) -> None:
        self.written: list[SyncChanges] = []
        self.down = False

    def load(self, pbx_id: str) -> KnownConfig:
        return KnownConfig()

    def write(self, changes: SyncChanges) -> int:
        if self.down:
            raise DatabaseUnavailableError("cannot connect to the database: refused")
        self.written.append(changes)
        return sum(len(v) for v in changes.table_rows().values())


class Mono:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make(client: Client, store: Store, mono: Mono) -> ConfigSync:
    clock = iter(T0 + timedelta(minutes=i) for i in range(1000))
    return ConfigSync("p", client, store, clock=lambda: next(clock),  # type: ignore[arg-type]
                      monotonic=mono)


def test_failed_write_does_not_advance_and_is_redone() -> None:
    client, store, mono = Client(), Store(), Mono()
    sync = make(client, store, mono)
    sync.run_once()
    client.sla = 30
    store.down = True
    with pytest.raises(DatabaseUnavailableError):
        sync.run_once()
    assert sync.directory.sla_s("800", 99) == 20  # still the committed configuration
    store.down = False
    result = sync.run_once()
    assert (result.opened, result.closed) == (1, 1)
    assert sync.directory.sla_s("800", 99) == 30


async def test_run_if_due_schedules_and_retries_sooner_after_failure() -> None:
    client, store, mono = Client(), Store(), Mono()
    sync = make(client, store, mono)
    assert await sync.run_if_due(60) is not None
    mono.now = 59
    assert await sync.run_if_due(60) is None
    assert client.calls == 1
    mono.now = 60
    client.fail = True
    assert await sync.run_if_due(60, retry_s=5) is None  # failure swallowed, counted
    assert sync.stats.errors == 1
    assert "503" in (sync.stats.last_error or "")
    mono.now = 64
    assert await sync.run_if_due(60, retry_s=5) is None
    assert client.calls == 2
    client.fail = False
    mono.now = 65
    assert await sync.run_if_due(60, retry_s=5) is not None
    assert sync.stats.runs == 2


async def test_run_forever_stops_on_event() -> None:
    client, store, mono = Client(), Store(), Mono()
    sync = make(client, store, mono)
    stop = asyncio.Event()

    async def stopper() -> None:
        while sync.stats.runs < 1:
            await asyncio.sleep(0)
        stop.set()

    await asyncio.wait_for(asyncio.gather(sync.run_forever(3600, stop), stopper()), timeout=5)
    assert sync.stats.runs == 1
    assert len(store.written) == 1
