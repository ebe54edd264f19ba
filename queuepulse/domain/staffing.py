"""Agents needed per queue and interval, and what the staffing on hand is predicted to achieve.

Erlang A (:mod:`queuepulse.domain.erlang`) with the queue's SLA time, a service-level target
(per cent answered within that time), its measured mean patience and handle time; Erlang C when
the queue has no measured patience. One :class:`StaffingInterval` per queue and 15-minute
interval, for past intervals (measured arrivals and agents), now and the forecast horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from queuepulse.domain.erlang import QueueFigures, agents_needed, figures

__all__ = ["Kind", "StaffingInputs", "StaffingInterval", "plan_interval", "staffing_table"]

Kind = Literal["measured", "forecast"]

INTERVAL_S = 900.0


@dataclass(frozen=True, slots=True)
class StaffingInputs:
    """What the model needs about one queue (its history and its targets)."""

    aht_s: float
    patience_s: float | None
    sla_s: float
    target_pct: float = 80.0
    max_occupancy: float = 1.0


@dataclass(frozen=True, slots=True)
class StaffingInterval:
    """One ``staffing_intervals`` row."""

    pbx_id: str
    queue_dn: str
    interval_start: datetime
    computed_at: datetime
    kind: Kind
    calls: float
    aht_s: float
    patience_s: float | None
    sla_s: float
    target_pct: float
    agents_needed: int
    needed_sla_pct: float
    agents_logged_in: float | None
    agents_available: float | None
    #: Predicted with the agents logged in (None when unknown).
    predicted_sla_pct: float | None
    predicted_abandon_pct: float | None
    predicted_asa_s: float | None
    model: str


def plan_interval(pbx_id: str, queue_dn: str, interval_start: datetime, computed_at: datetime,
                  kind: Kind, calls: float, inputs: StaffingInputs,
                  agents_logged_in: float | None,
                  agents_available: float | None) -> StaffingInterval:
    """Agents needed for ``calls`` arrivals in 15 minutes, and the prediction with the agents
    logged in (a fractional average over the interval is rounded down: part-time presence)."""
    lam = max(0.0, calls) / INTERVAL_S
    need = agents_needed(lam, inputs.aht_s, inputs.target_pct, inputs.sla_s,
                         inputs.patience_s, inputs.max_occupancy)
    predicted: QueueFigures | None = None
    if agents_logged_in is not None:
        have = max(0, math.floor(agents_logged_in + 1e-9))
        predicted = figures(have, lam, inputs.aht_s, inputs.sla_s, inputs.patience_s)
    return StaffingInterval(
        pbx_id, queue_dn, interval_start, computed_at, kind, calls, inputs.aht_s,
        inputs.patience_s, inputs.sla_s, inputs.target_pct, need.agents,
        need.service_level_pct, agents_logged_in, agents_available,
        None if predicted is None else predicted.service_level_pct,
        None if predicted is None else predicted.abandon_pct,
        None if predicted is None or math.isinf(predicted.asa_s) else predicted.asa_s,
        "erlang-c" if inputs.patience_s is None else "erlang-a",
    )


def staffing_table(calls_per_hour: float, aht_s: float, target_pct: float, target_s: float,
                   patience_s: float | None = None, max_occupancy: float = 1.0,
                   spread: int = 2) -> tuple[QueueFigures, list[QueueFigures]]:
    """The agents needed and the figures of ``n - spread .. n + spread`` agents (n >= 0)."""
    lam = calls_per_hour / 3600.0
    need = agents_needed(lam, aht_s, target_pct, target_s, patience_s, max_occupancy)
    rows = [figures(k, lam, aht_s, target_s, patience_s)
            for k in range(max(0, need.agents - spread), need.agents + spread + 1)]
    return need, rows
