"""The background poller with a fake client and a fake clock: items in order, failures as gap
markers, exact tick times (fixed rate, overrun ticks skipped), holding when the sink is behind,
config first, known configuration before anything else."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from queuepulse.domain.pbx_config import KnownConfig
from queuepulse.live.feeds import PollerFeed
from queuepulse.live.items import ConfigItem, KnownConfigItem, PollItem, PresenceItem
from queuepulse.live.metrics import LiveMetrics
from queuepulse.live.poller import PbxPoller
from queuepulse.settings import PbxSettings
from queuepulse.xapi.errors import UnavailableError

pytestmark = pytest.mark.unit


@dataclass
class _Raw:
    received_at: datetime
    body: Any = None

    @property
    def rows(self) -> list[Any]:
        return list(self.body["value"])


@dataclass
class _Stats:
    errors: Counter[str] = field(default_factory=Counter)


class FakeTime:
    """A monotonic clock that only moves when the poller sleeps (or a poll takes time)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class FakeClient:
    """Answers polls from a script: an int n = n calls, 'fail' = UnavailableError, a float
    s = no calls, after taking s seconds. Remembers when each request started."""

    def __init__(self, script: list[Any], time: FakeTime | None = None) -> None:
        self.script = list(script)
        self.time = time or FakeTime()
        self.stats = _Stats()
        self.breaker_state = 0
        self.closed = False
        self.polled_at: list[float] = []
        self.synced_at: list[float] = []
        self.presence_at: list[float] = []

    async def poll_active_calls(self) -> _Raw:
        self.polled_at.append(self.time.now)
        step = self.script.pop(0) if self.script else 0
        if step == "fail":
            raise UnavailableError("PBX down (503)")
        if isinstance(step, float):
            self.time.now += step
            step = 0
        calls = [{"Id": i, "Status": "Talking"} for i in range(step)]
        return _Raw(datetime.now(UTC), body={"value": calls})

    async def poll_queues(self, *, expand_agents: bool = True) -> _Raw:
        self.synced_at.append(self.time.now)
        return _Raw(datetime.now(UTC), body={"value": [{"Number": "800"}]})

    async def poll_users(self) -> _Raw:
        return _Raw(datetime.now(UTC), body={"value": [{"Number": "1001"}]})

    async def poll_presence(self) -> _Raw:
        self.presence_at.append(self.time.now)
        return _Raw(datetime.now(UTC), body={"value": [{"Number": "1001",
                                                         "CurrentProfileName": "Away"}]})

    async def aclose(self) -> None:
        self.closed = True


def _poller(pbx: PbxSettings, client: FakeClient, **kwargs: Any) -> PbxPoller:
    kwargs.setdefault("metrics", LiveMetrics())
    return PbxPoller(pbx, client_factory=lambda _: client, clock=client.time,
                     sleep=client.time.sleep, queue_size=64, **kwargs)


def _run_here(poller: PbxPoller) -> list[Any]:
    """Run the poller's loop in this thread to its end (fake time: no waiting)."""
    asyncio.run(poller._main())
    assert poller.error is None
    return poller.drain(1000)


def test_poller_yields_known_config_then_polls_with_failures_as_gaps() -> None:
    client = FakeClient([2, "fail", 3])
    pbx = PbxSettings(pbx_id="p1", poll_interval_s=1.0, sync_interval_s=60)
    poller = _poller(pbx, client, run_for_s=3.0, known_loader=lambda pbx_id: KnownConfig())
    feed = PollerFeed(poller.start())  # on the shared poller loop, read through the feed
    items: list[Any] = []
    deadline = time.monotonic() + 10
    while not feed.finished:
        assert time.monotonic() < deadline, "the poller did not finish"
        items.extend(feed.read(100))
        time.sleep(0.005)
    items.extend(feed.read(100))
    assert isinstance(items[0], KnownConfigItem)
    assert isinstance(items[1], ConfigItem)
    assert items[1].queues == ({"Number": "800"},)
    polls = [i for i in items if isinstance(i, PollItem)]
    assert [len(p.poll.calls) for p in polls] == [2, 0, 3]
    assert [p.poll.ok for p in polls] == [True, False, True]
    assert polls[1].error_kind == "UnavailableError"
    assert polls[0].breaker_state == "closed"
    assert client.polled_at == [1000.0, 1001.0, 1002.0]  # one a second, run_for_s = 3
    assert client.time.sleeps == [1.0, 1.0, 1.0]
    assert client.closed


def test_poller_keeps_the_grid_and_skips_ticks_a_slow_poll_overran() -> None:
    client = FakeClient([1, 2.5, 1, 1])  # the second poll takes 2.5 intervals
    pbx = PbxSettings(pbx_id="p3", poll_interval_s=1.0, sync_interval_s=3.0)
    poller = _poller(pbx, client, run_for_s=6.0)
    items = _run_here(poller)
    # 1002 and 1003 were overrun: skipped, not made up for with polls in a burst
    assert client.polled_at == [1000.0, 1001.0, 1004.0, 1005.0]
    assert client.time.sleeps == [1.0, 0.5, 1.0, 1.0]
    assert client.synced_at == [1000.0, 1004.0]  # every 3 s, at the next tick after it is due
    assert [type(i).__name__ for i in items] == [
        "ConfigItem", "PollItem", "PollItem", "ConfigItem", "PollItem", "PollItem"]
    assert poller.polls == 4


def test_poller_holds_while_the_sink_is_behind() -> None:
    metrics = LiveMetrics()
    client = FakeClient([])
    pbx = PbxSettings(pbx_id="p2", poll_interval_s=0.5, sync_interval_s=60)
    poller = _poller(pbx, client, run_for_s=2.5, hold=lambda: True, metrics=metrics)
    items = _run_here(poller)
    assert not [i for i in items if isinstance(i, PollItem)]
    assert client.polled_at == []
    assert poller.held == 5  # every tick of 2.5 s at 0.5 s
    assert client.time.sleeps == [0.5] * 5
    assert metrics.held_polls.labels("p2")._value.get() == 5


def test_feed_sleeps_until_the_next_poll_and_briefly_while_one_is_in_flight() -> None:
    class Stub:
        def __init__(self, due_in_s: float) -> None:
            self.due = datetime.now(UTC).timestamp() + due_in_s

        def has_items(self) -> bool:
            return False

        def next_due(self) -> datetime:
            return datetime.fromtimestamp(self.due, UTC)

    far = PollerFeed(Stub(5.0), max_wait_s=0.25, in_flight_wait_s=0.01)  # type: ignore[arg-type]
    assert far.wait_s() == 0.25
    near = PollerFeed(Stub(0.1), max_wait_s=0.25)  # type: ignore[arg-type]
    assert 0.05 < near.wait_s() <= 0.1
    in_flight = PollerFeed(Stub(-0.5), in_flight_wait_s=0.01)  # type: ignore[arg-type]
    assert in_flight.wait_s() == 0.01


def test_presence_is_polled_on_its_own_interval_between_full_syncs() -> None:
    client = FakeClient([])
    pbx = PbxSettings(pbx_id="p4", poll_interval_s=1.0, sync_interval_s=6.0,
                      presence_interval_s=2.0)
    items = _run_here(_poller(pbx, client, run_for_s=9.0))
    assert client.synced_at == [1000.0, 1006.0]
    assert client.presence_at == [1002.0, 1004.0, 1008.0]  # restarted by the full sync at 1006
    presence = [i for i in items if isinstance(i, PresenceItem)]
    assert [i.users for i in presence] == [({"Number": "1001", "CurrentProfileName": "Away"},)] * 3
    assert len([i for i in items if isinstance(i, PollItem)]) == 9  # polling never waits


def test_presence_off() -> None:
    client = FakeClient([])
    pbx = PbxSettings(pbx_id="p5", poll_interval_s=1.0, sync_interval_s=60.0,
                      presence_interval_s=0)
    _run_here(_poller(pbx, client, run_for_s=12.0))
    assert client.presence_at == []
