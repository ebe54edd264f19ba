"""Expected remaining wait of each caller waiting now.

Method (the Erlang A view of one caller's progress): the callers of a queue are answered in
order of arrival. A caller at position ``k`` (1 = longest waiting) with ``free`` agents idle is
answered as soon as an agent frees up, if ``k <= free`` (it is ringing or about to). Otherwise
it needs ``m = k - free`` answers of the ``n`` agents logged in; while ``i`` callers are still
ahead of it the next step comes at rate ``n / aht + i / patience`` (an agent finishes a call, or
somebody ahead hangs up). So its expected remaining wait, given it stays, is

    sum over i = 0 .. m - 1 of 1 / (n / aht + i / patience)

(``n m`` handle times divided evenly when nobody hangs up). Handle time is the queue's recent
average; patience its estimated mean (see :mod:`queuepulse.domain.patience`), infinite when
unknown. With no agent logged in there is no estimate (``None``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "METHOD",
    "WaitPrediction",
    "WaitingCaller",
    "expected_remaining_wait",
    "predict_waits",
]

METHOD = "position-erlang-a"
"""The method name stored with each prediction."""


@dataclass(frozen=True, slots=True)
class WaitingCaller:
    """A queue visit still waiting (a ``queue_calls`` row with outcome ``waiting``)."""

    pbx_id: str
    call_key: str
    queue_dn: str
    entered_at: datetime


@dataclass(frozen=True, slots=True)
class WaitPrediction:
    """One caller's expected remaining wait at ``predicted_at`` (an ``expected_waits`` row)."""

    pbx_id: str
    call_key: str
    queue_dn: str
    entered_at: datetime
    predicted_at: datetime
    position: int
    agents: int
    free_agents: int
    aht_s: float
    patience_s: float | None
    #: Seconds from ``predicted_at`` until an agent answers; None without agents.
    expected_wait_s: float | None
    method: str = METHOD


def expected_remaining_wait(position: int, agents: int, free_agents: int, aht_s: float,
                            patience_s: float | None = None) -> float | None:
    """Expected seconds until the caller at ``position`` is answered (see the module doc)."""
    if position < 1:
        raise ValueError(f"position starts at 1, got {position}")
    if aht_s <= 0 or not math.isfinite(aht_s):
        raise ValueError(f"handle time must be > 0, got {aht_s}")
    if agents < 0 or free_agents < 0:
        raise ValueError("agent counts must be >= 0")
    ahead = position - min(free_agents, agents)
    if ahead <= 0:
        return 0.0
    if agents == 0:
        return None
    service = agents / aht_s
    theta = 0.0 if patience_s is None or math.isinf(patience_s) else 1.0 / patience_s
    if theta == 0.0:
        return ahead / service
    return math.fsum(1.0 / (service + i * theta) for i in range(ahead))


def predict_waits(callers: Iterable[WaitingCaller], predicted_at: datetime,
                  agents: int, free_agents: int, aht_s: float,
                  patience_s: float | None) -> list[WaitPrediction]:
    """Predictions for the callers waiting in ONE queue, ranked by entry time."""
    ranked: Sequence[WaitingCaller] = sorted(callers, key=lambda c: (c.entered_at, c.call_key))
    return [
        WaitPrediction(
            c.pbx_id, c.call_key, c.queue_dn, c.entered_at, predicted_at, k, agents,
            free_agents, aht_s, patience_s,
            expected_remaining_wait(k, agents, free_agents, aht_s, patience_s),
        )
        for k, c in enumerate(ranked, start=1)
    ]
