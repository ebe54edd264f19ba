"""Reconciliation periods: fixed-length, aligned to the Unix epoch, closed after a settle delay.
Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["Period", "closed_periods", "period_floor"]

Period = tuple[datetime, datetime]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def period_floor(at: datetime, period_s: int) -> datetime:
    """The start of the period holding ``at``."""
    seconds = (at - _EPOCH).total_seconds()
    return _EPOCH + timedelta(seconds=(seconds // period_s) * period_s)


def closed_periods(
    since: datetime, until: datetime, period_s: int, now: datetime, settle_s: float
) -> list[Period]:
    """Periods from the one holding ``since`` up to ``until`` (exclusive) that are closed: they
    ended at least ``settle_s`` before ``now``."""
    if since.tzinfo is None or until.tzinfo is None or now.tzinfo is None:
        raise ValueError("period bounds must be timezone-aware datetimes")
    step = timedelta(seconds=period_s)
    limit = min(until, now - timedelta(seconds=settle_s))
    out: list[Period] = []
    start = period_floor(since, period_s)
    while start + step <= limit:
        out.append((start, start + step))
        start += step
    return out
