"""Ctrl-C / SIGTERM while a flow runs: the first signal ends every source partition at its next
read (the flow commits and returns, no Rust panic); a second one, or one outside a flow,
raises KeyboardInterrupt."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bytewax.testing import TestingSink, run_main

from flows.live import build_flow
from flows.sources import FeedPartition
from queuepulse.domain.snapshot import Poll
from queuepulse.live import runner
from queuepulse.live.config import LiveFlowConfig
from queuepulse.live.items import PollItem
from queuepulse.settings import PbxSettings

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    runner._STOP.clear()
    runner._FLOW_RUNNING.clear()
    yield
    runner._STOP.clear()
    runner._FLOW_RUNNING.clear()


class EndlessFeed:
    """A feed that never runs dry (a live poller's shape); asks to stop after ``stop_after``
    reads, as a signal handler would."""

    def __init__(self, stop_after: int) -> None:
        self.reads = 0
        self.stop_after = stop_after
        self.closed = False

    def read(self, limit: int) -> list[Any]:
        self.reads += 1
        if self.reads == self.stop_after:
            runner.request_stop()
        at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC) + timedelta(seconds=self.reads)
        return [PollItem(Poll("p1", at, ()))]

    def wait_s(self) -> float:
        return 0.0

    @property
    def finished(self) -> bool:
        return False

    def snapshot(self) -> Any:
        return None

    def close(self) -> None:
        self.closed = True


def test_first_signal_in_a_flow_stops_gracefully_second_forces() -> None:
    runner._FLOW_RUNNING.set()
    runner._interrupt(signal.SIGINT, None)
    assert runner.stop_requested()
    with pytest.raises(KeyboardInterrupt):
        runner._interrupt(signal.SIGINT, None)


def test_a_signal_outside_a_flow_interrupts_at_once() -> None:
    with pytest.raises(KeyboardInterrupt):
        runner._interrupt(signal.SIGTERM, None)
    assert not runner.stop_requested()


def test_a_stop_request_ends_an_endless_flow_after_committing_what_it_read() -> None:
    from bytewax.inputs import FixedPartitionedSource

    feed = EndlessFeed(stop_after=5)

    class Source(FixedPartitionedSource[Any, Any]):
        def list_parts(self) -> list[str]:
            return ["p1"]

        def build_part(self, step_id: str, for_part: str, resume_state: Any) -> FeedPartition:
            return FeedPartition(feed)

    out: list[Any] = []
    config = LiveFlowConfig(targets=(PbxSettings(pbx_id="p1"),))
    run_main(build_flow(config, sink=TestingSink(out), source=Source()))  # returns: stopped
    health = [row for table, row in out if table == "pipeline_health"]
    assert len(health) == feed.reads == 5  # every poll read before the stop reached the sink
    assert feed.closed


def test_closing_the_terminal_stops_like_ctrl_c() -> None:
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        runner.stop_on_signals()
        for sig in saved:
            assert signal.getsignal(sig) is runner._interrupt, sig.name
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def test_a_step_failing_with_our_error_surfaces_as_that_error() -> None:
    from queuepulse.xapi.errors import ReplayFormatError

    inner = ReplayFormatError("r.jsonl:3: not JSON")
    wrapped = RuntimeError("error calling next_batch in step snapshots")
    wrapped.__cause__ = inner
    assert runner._our_error(wrapped) is inner
    assert runner._our_error(RuntimeError("plain")) is None
