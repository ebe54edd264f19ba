"""The Queues/Users sync loop: PBX configuration → dimension tables, agent states, directory.

At start the sync reads what the database holds as current (so history continues across
restarts), then fetches ``/Queues?$expand=Agents`` and ``/Users`` (with ``$select``) at once and
every ``settings.pbx.sync_interval_s``, diffs them against the last known configuration
(:mod:`queuepulse.domain.sync`) and writes the changes in one transaction. The last known
configuration only advances after a commit, so a failed write is simply redone by the next run.

:attr:`ConfigSync.directory` is the current :class:`~queuepulse.domain.sync.PbxDirectory`
(queues with ``SLATime``, agents with memberships and states) for the live flow; it is replaced
atomically after each successful sync.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from queuepulse.domain.sync import KnownConfig, PbxDirectory, config_from_xapi, diff_config
from queuepulse.errors import QueuepulseError
from queuepulse.store.sync_writer import SyncStore

log = logging.getLogger(__name__)


class ConfigClient(Protocol):
    """What the sync needs from the XAPI client (``queuepulse.xapi`` fits; methods may be
    coroutines)."""

    def list_queues(self) -> Any:
        """All queues, with ``Agents`` expanded."""

    def list_users(self) -> Any:
        """All users with at least Number, names, QueueStatus, CurrentProfileName, IsRegistered."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _resolve(value: Any) -> Any:
    """Run a coroutine to completion (async clients) or return a plain value."""
    if inspect.isawaitable(value):
        async def _await() -> Any:
            return await value

        return asyncio.run(_await())
    return value


def _items(result: Any) -> Sequence[Any]:
    """A list from a client result: a list, a collection envelope or a page with ``value``."""
    if isinstance(result, dict):
        return list(result.get("value") or [])
    value = getattr(result, "value", None)
    if value is not None and not isinstance(result, list | tuple):
        return list(value)
    return list(result)


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


class ConfigSync:
    """Keeps one PBX's dimension tables and agent states in step with its configuration."""

    def __init__(
        self,
        pbx_id: str,
        client: ConfigClient,
        store: SyncStore,
        *,
        clock: Callable[[], datetime] = _utcnow,
        on_call_dns: Callable[[], frozenset[str] | None] | None = None,
    ) -> None:
        self.pbx_id = pbx_id
        self._client = client
        self._store = store
        self._clock = clock
        self._on_call_dns = on_call_dns
        self._known: KnownConfig | None = None
        self._directory = PbxDirectory(pbx_id)
        self._lock = threading.Lock()
        self.stats = SyncStats()

    @property
    def directory(self) -> PbxDirectory:
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
        self._directory = PbxDirectory.from_config(self.pbx_id, known.current())
        return known

    def run_once(self) -> SyncResult:
        """Fetch, diff, write. Raises the fetch's or the write's error (nothing advances)."""
        with self._lock:
            if self._known is None:
                self.load()
            assert self._known is not None
            queues = _items(_resolve(self._client.list_queues()))
            users = _items(_resolve(self._client.list_users()))
            on_call = self._on_call_dns() if self._on_call_dns is not None else None
            config = config_from_xapi(queues, users, on_call)
            at = self._clock()
            changes, new_known = diff_config(self.pbx_id, self._known, config, at)
            written = self._store.write(changes)
            self._known = new_known
            self._directory = PbxDirectory.from_config(self.pbx_id, config)
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

    def run_forever(
        self,
        interval_s: float,
        stop: threading.Event,
        *,
        retry_s: float | None = None,
    ) -> None:
        """Sync now and every ``interval_s`` until ``stop`` is set.

        A failed run (PBX or database away) is logged and counted, and retried after
        ``retry_s`` (default: a fifth of the interval, at least 1 s) instead of waiting a whole
        interval.
        """
        retry = retry_s if retry_s is not None else max(1.0, interval_s / 5)
        while not stop.is_set():
            try:
                self.run_once()
                wait = interval_s
            except QueuepulseError as exc:
                self.stats.errors += 1
                self.stats.last_error = str(exc)
                log.error("config sync failed, will retry",
                          extra={"pbx_id": self.pbx_id, "error": str(exc), "retry_s": retry})
                wait = retry
            stop.wait(wait)

    def start_background(self, interval_s: float) -> tuple[threading.Thread, threading.Event]:
        """Run :meth:`run_forever` in a daemon thread; set the returned event to stop it."""
        stop = threading.Event()
        thread = threading.Thread(
            target=self.run_forever, args=(interval_s, stop), name=f"sync-{self.pbx_id}",
            daemon=True,
        )
        thread.start()
        return thread, stop
