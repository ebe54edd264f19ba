"""Recording what the live poller receives, in the replay format, so a replay can repeat it.

:class:`RecordingClient` wraps the poller's XAPI client and writes every ActiveCalls, Queues and
Users body the poller receives, byte for byte with its receive time, through a
:class:`~queuepulse.xapi.replay_file.RotatingJsonlWriter`. A Queues body is written together
with the Users body that completes the fetch (the two lines adjacent, as the replay reader
expects of one fetch); when the Users fetch fails the poller uses neither, and neither is written.
Failed polls write nothing: the replay format has no record for a failure, so a replay of a run
with failed polls has no gaps where the live run had them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from queuepulse.xapi.replay_file import RotatingJsonlWriter

if TYPE_CHECKING:
    from queuepulse.xapi.client import RawPoll

__all__ = ["RecordingClient", "recording_writer"]


def recording_writer(directory: Path, pbx_id: str) -> RotatingJsonlWriter:
    """A writer of ``<directory>/<pbx_id>-NNNNN.jsonl`` (one series of files per PBX)."""
    prefix = re.sub(r"[^A-Za-z0-9_.-]", "_", pbx_id) or "pbx"
    return RotatingJsonlWriter(directory, prefix=prefix)


class RecordingClient:
    """The poller's view of an XAPI client that also records every body it returns.

    Everything but the three collection polls and :meth:`aclose` goes to ``client``.
    """

    def __init__(self, client: Any, writer: RotatingJsonlWriter, pbx_id: str) -> None:
        self.client = client
        self.writer = writer
        self.pbx_id = pbx_id
        self._queues: RawPoll | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def _write(self, poll: RawPoll) -> None:
        self.writer.write_raw(poll.kind, self.pbx_id, poll.received_at, poll.content)

    async def poll_active_calls(self) -> RawPoll:
        """ActiveCalls, recorded."""
        poll: RawPoll = await self.client.poll_active_calls()
        self._write(poll)
        return poll

    async def poll_queues(self, *, expand_agents: bool = True) -> RawPoll:
        """Queues, recorded with the Users answer that follows."""
        poll: RawPoll = await self.client.poll_queues(expand_agents=expand_agents)
        self._queues = poll
        return poll

    async def poll_users(self) -> RawPoll:
        """Users, recorded after the Queues answer it completes."""
        queues, self._queues = self._queues, None
        poll: RawPoll = await self.client.poll_users()
        if queues is not None:
            self._write(queues)
        self._write(poll)
        return poll

    async def poll_presence(self) -> RawPoll:
        """The presence poll (Users, presence fields only), recorded."""
        poll: RawPoll = await self.client.poll_presence()
        self._write(poll)
        return poll

    async def aclose(self) -> None:
        """Close the client and the recording's file."""
        try:
            await self.client.aclose()
        finally:
            self.writer.close()
