"""Capture live XAPI polls into the replay format (the engine of ``queuepulse record``).

Every ``poll_interval_s`` the recorder polls ``GET /ActiveCalls``; every ``sync_interval_s``
(and once at the start) also ``GET /Queues?$expand=Agents`` and ``GET /Users?$select=...``.
Each response body is written verbatim, with its local receive time, as one replay line. A
failed poll is counted and logged, and recording goes on at the next tick of the fixed-rate
schedule (:class:`~queuepulse.schedule.FixedRate`: ticks missed because a poll was slow are
skipped, not bunched up). An :class:`~queuepulse.xapi.errors.AuthError` (the
credentials were refused even after re-authenticating) is not retried tick after tick: it is
counted and re-raised, ending the run with the files written so far closed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from queuepulse.schedule import FixedRate
from queuepulse.xapi.client import RawPoll, XapiClient
from queuepulse.xapi.errors import AuthError, XapiError
from queuepulse.xapi.replay_file import RotatingJsonlWriter

log = logging.getLogger(__name__)


@dataclass
class RecordProgress:
    """What the recorder did so far (shown on the progress line)."""

    polls: int = 0
    calls: int = 0
    """Sum of active calls over all ActiveCalls polls."""
    syncs: int = 0
    bytes: int = 0
    """Bytes written to the replay files."""
    errors: int = 0
    last_error: str | None = None

    def line(self, files: int) -> str:
        """``polls=.. calls=.. syncs=.. bytes=.. errors=.. files=..``."""
        text = (
            f"polls={self.polls} calls={self.calls} syncs={self.syncs} "
            f"bytes={self.bytes} errors={self.errors} files={files}"
        )
        if self.last_error:
            text += f" last_error={self.last_error[:80]}"
        return text


class Recorder:
    """Polls one PBX and appends every response to a :class:`RotatingJsonlWriter`."""

    def __init__(
        self,
        client: XapiClient,
        writer: RotatingJsonlWriter,
        *,
        pbx_id: str,
        poll_interval_s: float = 1.0,
        sync_interval_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_progress: Callable[[RecordProgress], None] | None = None,
    ) -> None:
        self.client = client
        self.writer = writer
        self.pbx_id = pbx_id
        self.poll_interval_s = poll_interval_s
        self.sync_interval_s = sync_interval_s
        self._clock = clock
        self._sleep = sleep
        self._on_progress = on_progress
        self.progress = RecordProgress()

    def _write(self, poll: RawPoll) -> None:
        """The response bytes as received (not decoded and re-encoded: verbatim)."""
        self.progress.bytes += self.writer.write_raw(
            poll.kind, self.pbx_id, poll.received_at, poll.content
        )

    async def _guarded(self, what: str, fetch: Callable[[], Awaitable[RawPoll]]) -> bool:
        try:
            poll = await fetch()
        except XapiError as exc:
            self.progress.errors += 1
            self.progress.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("record poll failed", extra={"poll": what, "error": str(exc)})
            if isinstance(exc, AuthError):
                raise  # wrong or revoked credentials: every later poll would fail the same way
            return False
        self._write(poll)
        if poll.kind == "active_calls":
            self.progress.polls += 1
            self.progress.calls += len(poll.rows)
        return True

    async def sync_once(self) -> None:
        """Capture Queues (with Agents) and Users once."""
        await self._guarded("queues", lambda: self.client.poll_queues(expand_agents=True))
        await self._guarded("users", self.client.poll_users)
        self.progress.syncs += 1

    async def poll_once(self) -> None:
        """Capture ActiveCalls once."""
        await self._guarded("active_calls", self.client.poll_active_calls)

    async def run(self, duration_s: float | None = None, stop: asyncio.Event | None = None) -> None:
        """Record until ``duration_s`` has passed, ``stop`` is set, or the task is cancelled."""
        schedule = FixedRate(self.poll_interval_s, clock=self._clock, sleep=self._sleep)
        start = schedule.start
        deadline = start + duration_s if duration_s is not None else None
        next_sync = start
        try:
            while True:
                now = self._clock()
                if deadline is not None and now >= deadline:
                    return
                if stop is not None and stop.is_set():
                    return
                if now >= next_sync:
                    await self.sync_once()
                    next_sync = now + self.sync_interval_s
                await self.poll_once()
                if self._on_progress is not None:
                    self._on_progress(self.progress)
                due = schedule.next_tick()
                await schedule.sleep_until(due if deadline is None else min(due, deadline))
        finally:
            self.writer.close()
