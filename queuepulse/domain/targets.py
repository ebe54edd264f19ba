"""Per-queue targets and alert thresholds (the ``queue_targets`` table): names, units, limits.

A queue's row overrides the defaults row (``'*'``, ``'*'``) field by field; ``None`` keeps the
default. Validation is here, pure, so the CLI refuses bad input before touching the database
(the table's CHECK constraints say the same for SQL edits).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from queuepulse.errors import QueuepulseError

__all__ = ["DEFAULTS_KEY", "FIELDS", "TargetError", "TargetField", "validate_targets"]

DEFAULTS_KEY = "*"
"""``pbx_id`` and ``queue_dn`` of the defaults row."""


class TargetError(QueuepulseError):
    """A target value or queue is not acceptable; nothing was written."""


@dataclass(frozen=True, slots=True)
class TargetField:
    """One column of ``queue_targets``: its option name, unit and allowed range."""

    column: str
    option: str
    unit: str
    lowest: float
    highest: float | None
    lowest_allowed: bool = True
    integer: bool = False
    help: str = ""

    def check(self, value: float) -> str | None:
        """Why ``value`` is refused, or None."""
        if not math.isfinite(value):
            return f"{self.option} must be a number, got {value}"
        if self.integer and value != int(value):
            return f"{self.option} must be a whole number of {self.unit}, got {value:g}"
        low_ok = value >= self.lowest if self.lowest_allowed else value > self.lowest
        if not low_ok or (self.highest is not None and value > self.highest):
            bound = ">=" if self.lowest_allowed else ">"
            upper = f" and <= {self.highest:g}" if self.highest is not None else ""
            return (f"{self.option} must be {bound} {self.lowest:g}{upper} {self.unit}, "
                    f"got {value:g}")
        return None


FIELDS: tuple[TargetField, ...] = (
    TargetField("sla_target_pct", "--sla-target-pct", "%", 0, 100,
                help="SLA %% the queue should reach (0-100); colours SLA and fires the SLA alert"),
    TargetField("sla_time_s", "--sla-time-s", "s", 0, None, lowest_allowed=False, integer=True,
                help="SLA time override in seconds (default: the queue's SLATime from 3CX); "
                     "colours the waiting list"),
    TargetField("short_abandon_s", "--short-abandon-s", "s", 0, None,
                help="short-abandon threshold in seconds shown beside the KPIs"),
    TargetField("longest_wait_alert_s", "--longest-wait-alert-s", "s", 0, None,
                lowest_allowed=False,
                help="alert when a caller has waited longer than this many seconds"),
    TargetField("abandon_alert_pct", "--abandon-alert-pct", "%", 0, 100,
                help="alert when abandon %% over 15 minutes is above this (0-100)"),
)
"""Every target, in table order."""


def validate_targets(values: Mapping[str, float | None]) -> dict[str, float | None]:
    """The values to write by column (unknown columns refused), or :class:`TargetError` listing
    every problem. ``None`` means "use the default" (an override cleared)."""
    by_column = {f.column: f for f in FIELDS}
    unknown = sorted(set(values) - set(by_column))
    if unknown:
        raise TargetError(f"unknown target(s) {unknown}; known: {sorted(by_column)}")
    problems = [
        reason for column, value in values.items() if value is not None
        for reason in [by_column[column].check(float(value))] if reason is not None
    ]
    if problems:
        raise TargetError("; ".join(problems) + " — nothing was written")
    return {c: (int(v) if v is not None and by_column[c].integer else v)
            for c, v in values.items()}
