"""A background poller per PBX: the live source's I/O, off the Bytewax worker thread.

:class:`PbxPoller` runs the async :class:`~queuepulse.xapi.client.XapiClient` as a task on the
process's shared poller event loop (:class:`PollerLoop`, one thread for every PBX). Every
``poll_interval_s`` (:class:`~queuepulse.schedule.FixedRate`: missed ticks are skipped, not
bunched) it fetches ``/ActiveCalls`` and puts a :class:`~queuepulse.live.items.PollItem` on a
bounded queue; a failed fetch becomes ``Poll(ok=False)`` (a gap marker). At start and every
``sync_interval_s`` it fetches ``/Queues?$expand=Agents`` and ``/Users`` and puts a
:class:`~queuepulse.live.items.ConfigItem` first; between those, every ``presence_interval_s``
(default 5 s) a light ``/Users`` poll with ``$select`` of the presence fields only becomes a
:class:`~queuepulse.live.items.PresenceItem` (a break taken now shows within seconds). When the
queue is full or ``hold()`` says the sink is behind, the poller *holds*: it skips poll ticks
(counted) instead of piling up data, and the lifecycle records the pause as a gap if it lasts.

The Bytewax source partition calls :meth:`PbxPoller.drain` (never blocks) and
:meth:`PbxPoller.next_due` to schedule its next wake-up.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from queuepulse.domain.pbx_config import KnownConfig, collection_rows
from queuepulse.domain.snapshot import Poll, poll_from_body
from queuepulse.errors import QueuepulseError
from queuepulse.live.items import (
    ConfigItem,
    KnownConfigItem,
    PollItem,
    PresenceItem,
    SourceItem,
)
from queuepulse.live.metrics import METRICS, LiveMetrics
from queuepulse.schedule import Clock, FixedRate, Sleep
from queuepulse.settings import PbxSettings

__all__ = ["PbxPoller", "PollerLoop"]

log = logging.getLogger(__name__)

_BREAKER_NAMES = {0: "closed", 1: "half_open", 2: "open"}


class PollerLoop:
    """One event loop thread per process, running every PBX poller as a task.

    Hundreds of small PBXs (a service provider's shape) then cost one thread, not hundreds.
    """

    _shared: PollerLoop | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="pollers",
                                       daemon=True)
        self.thread.start()

    @classmethod
    def shared(cls) -> PollerLoop:
        """The process's loop (started on first use)."""
        with cls._lock:
            if cls._shared is None or not cls._shared.thread.is_alive():
                cls._shared = PollerLoop()
            return cls._shared

    def submit(self, coro: Coroutine[Any, Any, None]) -> concurrent.futures.Future[None]:
        """Run ``coro`` on the loop."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def in_loop(self) -> bool:
        """The caller runs on the loop's thread."""
        return threading.current_thread() is self.thread


class PbxPoller:
    """Polls one PBX in a background thread; see the module docstring.

    ``client_factory`` builds the client inside the poller's thread (default: an
    :class:`XapiClient` for ``pbx``); ``known_loader`` reads the database's current
    configuration once at start (sent as a :class:`KnownConfigItem` before anything else);
    ``run_for_s`` stops polling after that many seconds (``None``: until :meth:`stop`).
    ``clock`` and ``sleep`` pace the polls (:class:`~queuepulse.schedule.FixedRate`; defaults:
    :func:`time.monotonic`, :func:`asyncio.sleep`).
    """

    def __init__(
        self,
        pbx: PbxSettings,
        *,
        queue_size: int = 16,
        hold: Callable[[], bool] = lambda: False,
        client_factory: Callable[[PbxSettings], Any] | None = None,
        known_loader: Callable[[str], KnownConfig] | None = None,
        run_for_s: float | None = None,
        metrics: LiveMetrics = METRICS,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.pbx = pbx
        self.pbx_id = pbx.pbx_id
        self.interval_s = pbx.poll_interval_s
        self.sync_interval_s = pbx.sync_interval_s
        self.presence_interval_s = pbx.presence_interval_s
        self._queue: queue.Queue[SourceItem] = queue.Queue(maxsize=max(2, queue_size))
        self._hold = hold
        self._client_factory = client_factory
        self._known_loader = known_loader
        self._run_for_s = run_for_s
        self._stop = threading.Event()
        self._future: concurrent.futures.Future[None] | None = None
        self._clock = clock
        self._sleep = sleep
        self._next_due = time.time()
        self.metrics = metrics
        self.error: BaseException | None = None
        self.polls = 0
        self._token_failures = 0  # the client's counts already in the metrics
        self._token_conflicts = 0
        self.held = 0
        metrics.expect(self.pbx_id)

    # --- the partition's side --------------------------------------------------------------

    def start(self) -> PbxPoller:
        """Start polling, as a task on the process's shared poller event loop."""
        self._future = PollerLoop.shared().submit(self._main())
        return self

    def stop(self) -> None:
        """Ask the thread to stop and wait for it (at most a few seconds)."""
        self._stop.set()
        if self._future is not None and not PollerLoop.shared().in_loop():
            with contextlib.suppress(concurrent.futures.TimeoutError,
                                     concurrent.futures.CancelledError):
                self._future.result(timeout=10)

    @property
    def finished(self) -> bool:
        """The thread ended (stopped, ran out of time, or failed) and everything was drained."""
        return self._future is not None and self._future.done() and self._queue.empty()

    def drain(self, limit: int = 64) -> list[SourceItem]:
        """What the poller has (at most ``limit`` items), without waiting."""
        out: list[SourceItem] = []
        while len(out) < limit:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return out

    def has_items(self) -> bool:
        """Items are waiting."""
        return not self._queue.empty()

    def next_due(self) -> datetime:
        """When the next poll is expected (wall clock, UTC)."""
        return datetime.fromtimestamp(self._next_due, UTC)

    # --- the thread ------------------------------------------------------------------------

    async def _main(self) -> None:
        try:
            await self._run()
        except Exception as exc:  # reported by the partition, never swallowed silently
            self.error = exc
            log.exception("poller failed", extra={"pbx_id": self.pbx_id})

    def _client(self) -> Any:
        if self._client_factory is not None:
            return self._client_factory(self.pbx)
        from queuepulse.xapi.client import XapiClient

        return XapiClient(self.pbx)

    async def _put(self, item: SourceItem) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put_nowait(item)
                return
            except queue.Full:
                await self._sleep(0.05)

    async def _run(self) -> None:
        if self._known_loader is not None:
            known = await asyncio.to_thread(self._known_loader, self.pbx_id)
            await self._put(KnownConfigItem(self.pbx_id, known))
        client = self._client()
        schedule = FixedRate(self.interval_s, clock=self._clock, sleep=self._sleep)
        started = schedule.start
        deadline = started + self._run_for_s if self._run_for_s is not None else None
        next_sync = started
        synced = False
        next_presence: float | None = None
        try:
            while not self._stop.is_set():
                now = self._clock()
                if deadline is not None and now >= deadline:
                    break
                if now >= next_sync:
                    ok = await self._sync(client)
                    synced = synced or ok
                    next_sync = now + (self.sync_interval_s if ok
                                       else max(1.0, self.sync_interval_s / 5))
                    if ok and self.presence_interval_s > 0:
                        next_presence = now + self.presence_interval_s
                elif synced and next_presence is not None and now >= next_presence:
                    await self._presence(client)
                    next_presence = now + self.presence_interval_s
                if self._hold() or self._queue.full():
                    self.held += 1
                    self.metrics.held_polls.labels(self.pbx_id).inc()
                else:
                    await self._poll(client)
                due = schedule.next_tick()
                self._next_due = time.time() + (due - self._clock())
                await schedule.sleep_until(due)
        finally:
            await client.aclose()

    async def _sync(self, client: Any) -> bool:
        try:
            queues = await client.poll_queues(expand_agents=True)
            users = await client.poll_users()
        except QueuepulseError as exc:
            log.error("config fetch failed, will retry",
                      extra={"pbx_id": self.pbx_id, "error": str(exc)})
            self.metrics.poll_errors.labels(self.pbx_id, "config_" + type(exc).__name__).inc()
            return False
        await self._put(ConfigItem(self.pbx_id, queues.received_at, collection_rows(queues.body),
                                   collection_rows(users.body)))
        return True

    async def _presence(self, client: Any) -> None:
        """The light presence poll between full syncs; a failure is logged and counted (the next
        full sync brings the states anyway)."""
        try:
            users = await client.poll_presence()
        except QueuepulseError as exc:
            log.warning("presence poll failed", extra={"pbx_id": self.pbx_id, "error": str(exc)})
            self.metrics.poll_errors.labels(self.pbx_id, "presence_" + type(exc).__name__).inc()
            return
        await self._put(PresenceItem(self.pbx_id, users.received_at, collection_rows(users.body)))

    async def _poll(self, client: Any) -> None:
        pbx_id = self.pbx_id
        auth_before = client.stats.errors.get("AuthError", 0)
        t0 = time.perf_counter()
        try:
            raw = await client.poll_active_calls()
        except QueuepulseError as exc:
            latency = time.perf_counter() - t0
            kind = type(exc).__name__
            poll = Poll(pbx_id, datetime.now(UTC), (), ok=False, error=str(exc)[:300])
            self.metrics.poll_errors.labels(pbx_id, kind).inc()
            item = PollItem(poll, round(latency * 1000, 3), kind, self._breaker(client),
                            client.stats.errors.get("AuthError", 0) - auth_before,
                            self.interval_s)
        else:
            latency = time.perf_counter() - t0
            # The one tolerant parser (as in replay): a malformed row or field is counted in
            # poll.problems, never a failed poll.
            poll = poll_from_body(pbx_id, raw.received_at, raw.body)
            self.metrics.poll_succeeded(pbx_id)
            self.metrics.poll_latency.labels(pbx_id).observe(latency)
            self.metrics.active_calls.labels(pbx_id).set(len(poll.calls))
            item = PollItem(poll, round(latency * 1000, 3), None, self._breaker(client),
                            client.stats.errors.get("AuthError", 0) - auth_before,
                            self.interval_s)
        self.polls += 1
        self.metrics.polls.labels(pbx_id).inc()
        self._count_tokens(client)
        await self._put(item)

    def _count_tokens(self, client: Any) -> None:
        """Mirror the token manager's failure and conflict counts into the metrics."""
        auth = getattr(client, "auth", None)
        failures = getattr(auth, "token_failures", 0)
        conflicts = getattr(auth, "token_conflicts", 0)
        if failures > self._token_failures:
            self.metrics.token_failures.labels(self.pbx_id).inc(failures - self._token_failures)
        if conflicts > self._token_conflicts:
            self.metrics.token_conflicts.labels(self.pbx_id).inc(
                conflicts - self._token_conflicts)
        self._token_failures, self._token_conflicts = failures, conflicts

    def _breaker(self, client: Any) -> str | None:
        state = getattr(client, "breaker_state", None)
        if state is None:
            return None
        value = int(state)
        name = _BREAKER_NAMES.get(value, str(value))
        self.metrics.breaker_state(self.pbx_id, name)
        return name

