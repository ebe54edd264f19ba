"""Bytewax sources of the live flow: one partition per PBX (polling) or per recording (replay).

Wiring only: the feeds in :mod:`queuepulse.live.feeds` do the work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

from queuepulse.domain.pbx_config import KnownConfig
from queuepulse.live.feeds import PollerFeed, ReplayFeed, SnapshotFeed
from queuepulse.live.items import SourceItem
from queuepulse.live.poller import PbxPoller
from queuepulse.live.recording import RecordingClient, recording_writer
from queuepulse.live.replay_reader import ReplayPosition, ReplayReader
from queuepulse.live.runner import current_member, mark_joined, stop_requested
from queuepulse.settings import PbxSettings

__all__ = ["FeedPartition", "PollingSource", "ReplaySource"]

log = logging.getLogger(__name__)


class FeedPartition(StatefulSourcePartition[SourceItem, Any]):
    """A non-blocking partition over a :class:`SnapshotFeed`."""

    def __init__(self, feed: SnapshotFeed, batch_size: int = 64) -> None:
        self.feed = feed
        self.batch_size = batch_size
        self._awake: datetime | None = None

    def next_batch(self) -> list[SourceItem]:
        if stop_requested():  # Ctrl-C / SIGTERM: end the partition, the flow commits and stops
            raise StopIteration
        items = self.feed.read(self.batch_size)
        if not items and self.feed.finished:
            raise StopIteration
        wait = 0.0 if items else self.feed.wait_s()
        self._awake = None if wait <= 0 else datetime.now(UTC) + timedelta(seconds=wait)
        return items

    def next_awake(self) -> datetime | None:
        return self._awake

    def snapshot(self) -> Any:
        return self.feed.snapshot()

    def close(self) -> None:
        self.feed.close()


class PollingSource(FixedPartitionedSource[SourceItem, Any]):
    """Polls each PBX in ``targets`` (partition = ``pbx_id``) through a :class:`PbxPoller`.

    With ``record_dir``, every ActiveCalls, Queues and Users body the pollers receive is also
    written there in the replay format (``<pbx_id>-00001.jsonl``, ...; see
    :mod:`queuepulse.live.recording`): replaying that directory repeats the run's polls.
    """

    def __init__(
        self,
        targets: tuple[PbxSettings, ...],
        *,
        hold: Callable[[], bool] = lambda: False,
        known_loader: Callable[[str], KnownConfig] | None = None,
        client_factory: Callable[[PbxSettings], Any] | None = None,
        run_for_s: float | None = None,
        queue_size: int = 16,
        record_dir: Path | None = None,
    ) -> None:
        self.targets = {t.pbx_id: t for t in targets}
        self.hold = hold
        self.known_loader = known_loader
        self.client_factory = client_factory
        self.run_for_s = run_for_s
        self.queue_size = queue_size
        self.record_dir = record_dir

    def list_parts(self) -> list[str]:
        # Every worker of every cluster member lists every PBX: Bytewax then makes each PBX's
        # partition primary on exactly one worker, balanced over all workers of all members.
        # Bytewax asks only once the cluster formed.
        mark_joined()
        return sorted(self.targets)

    def _client_factory(self) -> Callable[[PbxSettings], Any] | None:
        if self.record_dir is None:
            return self.client_factory
        record_dir, inner = self.record_dir, self.client_factory

        def recording(pbx: PbxSettings) -> Any:
            if inner is not None:
                client = inner(pbx)
            else:
                from queuepulse.xapi.client import XapiClient

                client = XapiClient(pbx)
            return RecordingClient(client, recording_writer(record_dir, pbx.pbx_id), pbx.pbx_id)

        return recording

    def build_part(self, step_id: str, for_part: str, resume_state: Any) -> FeedPartition:
        member = current_member()
        log.info("polling PBX", extra={
            "pbx": for_part, "process_id": member.process_id if member else 0})
        poller = PbxPoller(
            self.targets[for_part], queue_size=self.queue_size, hold=self.hold,
            client_factory=self._client_factory(), known_loader=self.known_loader,
            run_for_s=self.run_for_s,
        )
        return FeedPartition(PollerFeed(poller.start()))


class ReplaySource(FixedPartitionedSource[SourceItem, ReplayPosition]):
    """Replays one recording (file or directory of rotated files) as one partition."""

    def __init__(self, path: Path, *, speed: float | None = None) -> None:
        self.path = Path(path)
        self.speed = speed

    def list_parts(self) -> list[str]:
        mark_joined()
        return [f"replay:{self.path.name}"]

    def build_part(
        self, step_id: str, for_part: str, resume_state: ReplayPosition | None
    ) -> FeedPartition:
        return FeedPartition(ReplayFeed(ReplayReader(self.path, resume_state, speed=self.speed)))
