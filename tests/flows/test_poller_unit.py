"""The background poller with a fake client: items in order, failures as gap markers, holding
when the sink is behind, config first, known configuration before anything else."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from queuepulse.domain.sync import KnownConfig
from queuepulse.live.feeds import PollerFeed
from queuepulse.live.items import ConfigItem, KnownConfigItem, PollItem
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


class FakeClient:
    """Answers polls from a script: an int n = n calls, 'fail' = UnavailableError."""

    def __init__(self, script: list[Any]) -> None:
        self.script = list(script)
        self.stats = _Stats()
        self.breaker_state = 0
        self.closed = False

    async def poll_active_calls(self) -> _Raw:
        step = self.script.pop(0) if self.script else 0
        if step == "fail":
            raise UnavailableError("PBX down (503)")
        calls = [{"Id": i, "Status": "Talking"} for i in range(step)]
        return _Raw(datetime.now(UTC), body={"value": calls})

    async def poll_queues(self, *, expand_agents: bool = True) -> _Raw:
        return _Raw(datetime.now(UTC), body={"value": [{"Number": "800"}]})

    async def poll_users(self) -> _Raw:
        return _Raw(datetime.now(UTC), body={"value": [{"Number": "1001"}]})

    async def aclose(self) -> None:
        self.closed = True


def _run(poller: PbxPoller) -> list[Any]:
    feed = PollerFeed(poller.start())
    items: list[Any] = []
    deadline = time.monotonic() + 10
    while not feed.finished:
        assert time.monotonic() < deadline, "the poller did not finish"
        items.extend(feed.read(100))
        time.sleep(0.005)
    items.extend(feed.read(100))
    return items


def test_poller_yields_known_config_then_polls_with_failures_as_gaps() -> None:
    client = FakeClient([2, "fail", 3])
    pbx = PbxSettings(pbx_id="p1", poll_interval_s=0.02, sync_interval_s=60)
    poller = PbxPoller(pbx, client_factory=lambda _: client, run_for_s=0.1,
                       known_loader=lambda pbx_id: KnownConfig(), metrics=LiveMetrics())
    items = _run(poller)
    assert isinstance(items[0], KnownConfigItem)
    assert isinstance(items[1], ConfigItem)
    assert items[1].queues == ({"Number": "800"},)
    polls = [i for i in items if isinstance(i, PollItem)]
    assert [len(p.poll.calls) for p in polls[:3]] == [2, 0, 3]
    assert [p.poll.ok for p in polls[:3]] == [True, False, True]
    assert polls[1].error_kind == "UnavailableError"
    assert polls[0].breaker_state == "closed"
    assert client.closed


def test_poller_holds_while_the_sink_is_behind() -> None:
    metrics = LiveMetrics()
    pbx = PbxSettings(pbx_id="p2", poll_interval_s=0.02, sync_interval_s=60)
    poller = PbxPoller(pbx, client_factory=lambda _: FakeClient([]), run_for_s=0.15,
                       hold=lambda: True, metrics=metrics)
    items = _run(poller)
    assert not [i for i in items if isinstance(i, PollItem)]
    assert poller.held >= 3
    assert metrics.held_polls.labels("p2")._value.get() == poller.held


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
