"""The Queues/Users sync loop: PBX configuration → dimension tables, agent states, directory.

At start the sync reads what the database holds as current (so history continues across
restarts), then fetches ``/Queues?$expand=Agents`` and ``/Users`` (with ``$select``) at once and
every ``settings.pbx.sync_interval_s``, diffs them against the last known configuration
(:mod:`queuepulse.domain.pbx_config`) and writes the changes in one transaction. The last known
configuration only advances after a commit, so a failed write is simply redone by the next run.
The XAPI client is async: run :meth:`ConfigSync.run_forever` in the event loop that owns the
client (its own thread, for a Bytewax flow), or :meth:`ConfigSync.run_once` from plain code.

:attr:`ConfigSync.directory` is the current :class:`~queuepulse.domain.parties.Directory`
(queues with ``SLATime``, agents with memberships and states); it is replaced atomically after
each successful sync. Both bodies are decoded once by the client and read by
:func:`~queuepulse.domain.pbx_config.parse_config`, as in the live flow.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from queuepulse.domain.parties import Directory
from queuepulse.domain.pbx_config import (
    AgentState,
    KnownConfig,
    PbxConfig,
    diff_config,
    parse_config,
)
from queuepulse.domain.rules import Rules
from queuepulse.errors import ConfigError, QueuepulseError
from queuepulse.schedule import utcnow
from queuepulse.store.config_writer import ConfigStore

log = logging.getLogger(__name__)


class CollectionBody(Protocol):
    """A decoded collection answer (:class:`queuepulse.xapi.client.RawPoll` fits)."""

    @property
    def rows(self) -> list[Any]:
        """The rows of the body's ``value`` array, as decoded."""


class ConfigClient(Protocol):
    """What the sync needs from the XAPI client (:class:`queuepulse.xapi.client.XapiClient`
    fits)."""

    async def poll_queues(self, *, expand_agents: bool = ...) -> CollectionBody:
        """``GET /Queues``; with ``expand_agents=True`` each queue carries its ``Agents``."""

    async def poll_users(self) -> CollectionBody:
        """``GET /Users`` with at least Number, names, QueueStatus, CurrentProfileName,
        IsRegistered."""



@dataclass(frozen=True)
class SyncResult:
    """What one sync run did."""

    at: datetime
    queues: int
    agents: int
    memberships: int
    opened: int
    closed: int
    state_rows: int
    rows_written: int


@dataclass
class SyncStats:
    """Counters of the sync loop (exported by the metrics endpoint)."""

    runs: int = 0
    errors: int = 0
    rows_written: int = 0
    last_success: datetime | None = None
    last_error: str | None = None


def _configured_rules() -> Rules:
    """The rules of this process's settings (``QUEUEPULSE_RULES__*``), so that the agent state
    the sync stores follows the same ``available_profiles`` as the live flow."""
    from queuepulse.settings import load_settings

    try:
        return Rules.from_settings(load_settings().rules)
    except ConfigError:
        return Rules()


class ConfigSync:
    """Keeps one PBX's dimension tables and agent states in step with its configuration."""

    def __init__(
        self,
        pbx_id: str,
        client: ConfigClient,
        store: ConfigStore,
        *,
        clock: Callable[[], datetime] = utcnow,
        on_call_dns: Callable[[], frozenset[str] | None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        rules: Rules | None = None,
    ) -> None:
        self.pbx_id = pbx_id
        self.rules = rules if rules is not None else _configured_rules()
        self._client = client
        self._store = store
        self._clock = clock
        self._on_call_dns = on_call_dns
        self._known: KnownConfig | None = None
        self._directory = Directory()
        self._lock = threading.Lock()
        self._monotonic = monotonic
        self._next_due: float | None = None
        self.stats = SyncStats()

    def _state_of(self, state: AgentState) -> str:
        return self.rules.agent_state(state.queue_status, state.profile, state.registered,
                                      state.on_call)

    @property
    def directory(self) -> Directory:
        """The current configuration (empty until the first load or sync)."""
        return self._directory

    @property
    def known(self) -> KnownConfig | None:
        """The configuration as last committed (None before :meth:`load`)."""
        return self._known

    def load(self) -> KnownConfig:
        """Read the database's current configuration; the directory starts from it."""
        known = self._store.load(self.pbx_id)
        self._known = known
        self._directory = Directory.from_config(known.current())
        return known

    async def fetch(self) -> PbxConfig:
        """Fetch queues (with agents) and users from the PBX as a :class:`PbxConfig`."""
        queues = await self._client.poll_queues(expand_agents=True)
        users = await self._client.poll_users()
        on_call = self._on_call_dns() if self._on_call_dns is not None else None
        return parse_config(queues.rows, users.rows, on_call)

    def apply(self, config: PbxConfig) -> SyncResult:
        """Diff ``config`` against the last known one and write the changes (blocking I/O).

        Raises the write's error; then nothing advances and the next run redoes the diff.
        """
        with self._lock:
            if self._known is None:
                self.load()
            assert self._known is not None
            at = self._clock()
            changes, new_known = diff_config(self.pbx_id, self._known, config, at,
                                             self._state_of)
            written = self._store.write(changes)
            self._known = new_known
            self._directory = Directory.from_config(config)
            self.stats.runs += 1
            self.stats.rows_written += written
            self.stats.last_success = at
        result = SyncResult(
            at=at,
            queues=len(config.queues),
            agents=len(config.agents),
            memberships=len(config.memberships),
            opened=changes.opened,
            closed=changes.closed,
            state_rows=len(changes.agent_states),
            rows_written=written,
        )
        log.info(
            "config synced",
            extra={"pbx_id": self.pbx_id, "queues": result.queues, "agents": result.agents,
                   "memberships": result.memberships, "opened": result.opened,
                   "closed": result.closed, "state_rows": result.state_rows},
        )
        return result

    async def run_once_async(self) -> SyncResult:
        """Fetch, diff, write. Raises the fetch's or the write's error (nothing advances)."""
        config = await self.fetch()
        return await asyncio.to_thread(self.apply, config)

    def run_once(self) -> SyncResult:
        """:meth:`run_once_async` from synchronous code (runs its own event loop)."""
        return asyncio.run(self.run_once_async())

    async def run_if_due(
        self, interval_s: float, *, retry_s: float | None = None
    ) -> SyncResult | None:
        """Run once if ``interval_s`` passed since the last success (``retry_s`` after a
        failure); for a poller that shares its client and event loop with the sync.

        Never raises a :class:`QueuepulseError`: a failure is logged, counted and retried later.
        """
        now = self._monotonic()
        if self._next_due is not None and now < self._next_due:
            return None
        retry = retry_s if retry_s is not None else max(1.0, interval_s / 5)
        try:
            result = await self.run_once_async()
        except QueuepulseError as exc:
            self._failed(exc, retry)
            self._next_due = now + retry
            return None
        self._next_due = now + interval_s
        return result

    def _failed(self, exc: QueuepulseError, retry_s: float) -> None:
        self.stats.errors += 1
        self.stats.last_error = str(exc)
        log.error("config sync failed, will retry",
                  extra={"pbx_id": self.pbx_id, "error": str(exc), "retry_s": retry_s})

    async def run_forever(
        self,
        interval_s: float,
        stop: asyncio.Event,
        *,
        retry_s: float | None = None,
    ) -> None:
        """Sync now and every ``interval_s`` until ``stop`` is set.

        A failed run (PBX or database away) is logged and counted, and retried after
        ``retry_s`` (default: a fifth of the interval, at least 1 s) instead of a whole interval.
        """
        retry = retry_s if retry_s is not None else max(1.0, interval_s / 5)
        while not stop.is_set():
            try:
                await self.run_once_async()
                wait = interval_s
            except QueuepulseError as exc:
                self._failed(exc, retry)
                wait = retry
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
