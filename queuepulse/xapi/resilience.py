"""Retries within a time budget, and a circuit breaker, for XAPI calls.

* :class:`RetryPolicy` retries **only** :class:`UnavailableError` (transport errors, timeouts,
  5xx) and :class:`RateLimitedError` (429, waiting ``Retry-After`` when given) — never another
  4xx, an auth or a payload error — and never past the per-call budget: a retry whose wait would
  end after the budget is not made, and the last error is raised. The poller keeps the budget
  below its poll interval, so a slow PBX costs at most one interval.
* :class:`CircuitBreaker` opens after N consecutive failed calls (unavailability only), rejects
  calls with :class:`CircuitOpenError` while open, and after ``reset_s`` lets one probe through
  (half-open): success closes it, failure opens it again. ``state`` feeds the metrics.

Both take an injected clock (and the policy an injected sleep), so tests never wait.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from queuepulse.xapi.errors import CircuitOpenError, RateLimitedError, UnavailableError

log = logging.getLogger(__name__)

T = TypeVar("T")
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


def is_retryable(exc: BaseException) -> bool:
    """Transport errors, timeouts, 5xx (:class:`UnavailableError`) and 429; not an open breaker."""
    if isinstance(exc, CircuitOpenError):
        return False
    return isinstance(exc, UnavailableError | RateLimitedError)


@dataclass
class RetryPolicy:
    """Exponential backoff with jitter inside a per-call time budget.

    ``budget_s`` bounds the whole call (attempts plus waits); :meth:`remaining` tells the caller
    how much is left so it can cap each attempt's timeout.
    """

    budget_s: float
    max_attempts: int = 5
    backoff_initial_s: float = 0.05
    backoff_max_s: float = 2.0
    jitter: bool = True
    sleep: Sleep = asyncio.sleep
    clock: Clock = time.monotonic

    async def call(
        self,
        attempt: Callable[[float], Awaitable[T]],
        *,
        on_retry: Callable[[BaseException, float], None] | None = None,
        budget_s: float | None = None,
    ) -> T:
        """Run ``attempt(remaining_budget_s)`` until it succeeds or retrying must stop.

        ``budget_s`` overrides the policy's budget for this call.
        """
        started = self.clock()
        budget = self.budget_s if budget_s is None else budget_s

        def remaining() -> float:
            return budget - (self.clock() - started)

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
                return float(exc.retry_after)
            growth: float = 2.0 ** (state.attempt_number - 1)
            delay = min(self.backoff_max_s, self.backoff_initial_s * growth)
            if self.jitter:
                delay *= 0.5 + random.random() / 2
            return delay

        def stop(state: RetryCallState) -> bool:
            if state.attempt_number >= self.max_attempts:
                return True
            return state.upcoming_sleep >= remaining()

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            if exc is not None and on_retry is not None:
                on_retry(exc, state.upcoming_sleep)

        retrying = AsyncRetrying(
            retry=retry_if_exception(is_retryable),
            wait=wait,
            stop=stop,
            sleep=self.sleep,
            reraise=True,
            before_sleep=before_sleep,
        )
        async for attempt_state in retrying:
            with attempt_state:
                return await attempt(max(remaining(), 0.001))
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover


class BreakerState(enum.IntEnum):
    """Circuit breaker states; the integer is the metric value."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


@dataclass
class CircuitBreaker:
    """Open after ``failure_threshold`` consecutive failures; probe once after ``reset_s``."""

    failure_threshold: int
    reset_s: float
    clock: Clock = time.monotonic
    name: str = "xapi"
    consecutive_failures: int = 0
    opened_at: float | None = None
    times_opened: int = 0
    _probing: bool = field(default=False, repr=False)

    @property
    def state(self) -> BreakerState:
        """The state now (an open breaker becomes half-open once ``reset_s`` has passed)."""
        if self.opened_at is None:
            return BreakerState.CLOSED
        if self._probing or self.clock() - self.opened_at >= self.reset_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def before_call(self, endpoint: str) -> None:
        """Raise :class:`CircuitOpenError` unless a call may go out now."""
        state = self.state
        if state is BreakerState.CLOSED:
            return
        if state is BreakerState.HALF_OPEN and not self._probing:
            self._probing = True  # this call is the probe
            log.info("xapi breaker half-open: probing", extra={"endpoint": endpoint})
            return
        assert self.opened_at is not None
        wait = max(0.0, self.reset_s - (self.clock() - self.opened_at))
        what = "a probe is in flight" if self._probing else f"next probe in {wait:.1f} s"
        raise CircuitOpenError(
            f"{endpoint} not attempted: the PBX failed {self.consecutive_failures} times in a row "
            f"and the circuit breaker is open ({what})",
            endpoint=endpoint,
        )

    def record_success(self) -> None:
        """A call got an answer from the PBX: close the breaker."""
        if self.opened_at is not None:
            log.info("xapi breaker closed", extra={"breaker": self.name})
        self.consecutive_failures = 0
        self.opened_at = None
        self._probing = False

    def release_probe(self) -> None:
        """A call ended without a verdict on the PBX (cancelled): let another probe go."""
        self._probing = False

    def record_failure(self) -> None:
        """A call found the PBX unavailable: count it, open (or re-open) when due."""
        self.consecutive_failures += 1
        if self._probing or self.consecutive_failures >= self.failure_threshold:
            if self.opened_at is None or self._probing:
                self.times_opened += 1
                log.warning(
                    "xapi breaker open",
                    extra={"breaker": self.name, "failures": self.consecutive_failures},
                )
            self.opened_at = self.clock()
            self._probing = False
