"""Parameters of the simulated call centre (all times in seconds unless named otherwise)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Hourly arrival multipliers of a business day (UTC hours 0..23), peak 1.0.
OFFICE_PROFILE: tuple[float, ...] = (
    0.05, 0.03, 0.02, 0.02, 0.03, 0.08, 0.2, 0.5, 0.9, 1.0, 1.0, 0.9,
    0.7, 0.8, 1.0, 0.95, 0.8, 0.6, 0.35, 0.2, 0.12, 0.08, 0.06, 0.05,
)
FLAT_PROFILE: tuple[float, ...] = (1.0,) * 24

#: Polling strategies the model distinguishes; other names behave like RingAll.
STRATEGIES: tuple[str, ...] = (
    "RingAll", "Hunt", "LongestWaiting", "HuntRandomStart", "NextAgent",
    "LeastTalkTime", "FewestAnswered",
)


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """Everything that shapes the simulated traffic; the same config and seed give the same run."""

    seed: int = 1
    queues: int = 4
    agents: int = 20
    queues_per_agent: int = 2
    #: Peak arrival rate per queue (calls per minute), scaled by ``profile`` and a per-queue weight.
    calls_per_min_per_queue: float = 1.0
    #: ``"flat"``, ``"office"`` or 24 hourly multipliers (UTC hours).
    profile: str | tuple[float, ...] = "flat"
    aht_s: float = 150.0
    aht_sigma: float = 0.6
    patience_s: float = 120.0
    short_abandon_prob: float = 0.05
    ring_min_s: float = 1.0
    ring_max_s: float = 4.0
    wrapup_s: int = 10
    sla_s: int = 20
    #: Queue.MaxCallersInQueue; 0 = unlimited.
    max_callers: int = 0
    #: Fraction of queues that overflow to the next queue after ``master_timeout_s``.
    overflow_fraction: float = 0.25
    master_timeout_s: int = 180
    #: Probability that an answered call is transferred to another queue after talking.
    transfer_prob: float = 0.05
    #: How long a call shows ``Transferring``/``Rerouting`` while moving on.
    moving_s: float = 1.5
    noise_calls_per_min: float = 1.0
    noise_users: int = 10
    noise_talk_s: float = 90.0
    noise_unanswered_prob: float = 0.2
    #: Share of noise calls that are outbound calls by a free queue agent (busy meanwhile).
    agent_noise_share: float = 0.25
    strategies: tuple[str, ...] = ("RingAll", "Hunt", "LongestWaiting")
    logged_in_prob: float = 0.9
    break_every_s: float = 2700.0
    break_mean_s: float = 600.0
    logout_every_s: float = 14400.0
    logout_mean_s: float = 1800.0
    unregister_every_s: float = 28800.0
    unregister_mean_s: float = 60.0
    #: ActiveCalls status of a queued call (3CX reports ``Ringing``; ``Routing`` is also seen).
    waiting_status: str = "Ringing"
    #: After an agent answers, Callee keeps the queue DN (``"queue"``) or shows the agent
    #: (``"agent"``).
    answered_callee: Literal["queue", "agent"] = "queue"
    overflow_status: str = "Transferring"
    transfer_status: str = "Rerouting"
    first_call_id: int = 1
    #: First queue DN; ``0`` picks 800 for up to 100 queues, else 80000.
    queue_dn_start: int = 0
    agent_dn_start: int = 1000

    def profile_values(self) -> tuple[float, ...]:
        """The 24 hourly arrival multipliers this config names."""
        if isinstance(self.profile, str):
            named = {"flat": FLAT_PROFILE, "office": OFFICE_PROFILE}
            if self.profile not in named:
                raise ValueError(
                    f"unknown traffic profile {self.profile!r}: use 'flat', 'office' or 24 numbers"
                )
            return named[self.profile]
        values = tuple(float(v) for v in self.profile)
        if len(values) != 24 or min(values) < 0 or max(values) <= 0:
            raise ValueError(
                "a traffic profile needs 24 non-negative hourly multipliers, not all 0"
            )
        return values

    def first_queue_dn(self) -> int:
        """The DN of queue 0."""
        if self.queue_dn_start:
            return self.queue_dn_start
        return 800 if self.queues <= 100 else 80000
