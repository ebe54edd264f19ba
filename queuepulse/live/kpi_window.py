"""1-minute event-time KPI windows per queue, with a lateness allowance.

The flow keys KPI facts by (PBX, scope, queue) and folds them with :class:`KpiWindower` in a
``stateful_flat_map``: each bucket keeps its facts by id (:func:`queuepulse.domain.kpi.accumulate`)
and every change emits the bucket's *full* current value, which the sink upserts. So a late fact
corrects its bucket and a re-delivered one changes nothing.

The watermark of a key is the latest fact time it has seen. A bucket stays open until the
watermark passes its end plus ``lateness_s``; then it is dropped from the state (it is final in
the database). A fact for a bucket already dropped is counted in ``late_dropped`` and ignored:
counting it into an empty bucket would overwrite the stored, complete value with a partial one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from queuepulse.domain.kpi import KpiBucket, KpiFact, QueueKpi, accumulate, bucket_of

__all__ = ["KPI_TABLES", "KpiWindowState", "KpiWindower", "fact_key"]

#: Table of each KPI scope.
KPI_TABLES: Mapping[str, str] = {"queue": "queue_kpi_1m", "entry": "entry_queue_kpi_1m"}

_MINUTE = timedelta(minutes=1)


def fact_key(fact: KpiFact) -> str:
    """The routing key of a fact's window: PBX, scope and queue."""
    return f"{fact.pbx_id}\x1f{fact.scope}\x1f{fact.queue_dn}"


@dataclass(frozen=True, slots=True)
class KpiWindowState:
    """Open buckets of one (PBX, scope, queue), by bucket start."""

    buckets: Mapping[datetime, KpiBucket] = field(default_factory=dict)
    watermark: datetime | None = None
    late_dropped: int = 0

    def __deepcopy__(self, memo: dict[int, Any]) -> KpiWindowState:
        # Immutable (never mutated once built): Bytewax's snapshot deep copy may share it.
        return self


class KpiWindower:
    """``(KpiWindowState | None, facts) -> (state, [QueueKpi])`` for ``op.stateful_flat_map``."""

    def __init__(self, lateness_s: float = 300.0) -> None:
        if lateness_s < 0:
            raise ValueError(f"lateness_s must be >= 0, got {lateness_s}")
        self.horizon = _MINUTE + timedelta(seconds=lateness_s)

    def __call__(
        self, state: KpiWindowState | None, facts: Iterable[KpiFact]
    ) -> tuple[KpiWindowState, list[QueueKpi]]:
        if state is None:
            state = KpiWindowState()
        buckets = dict(state.buckets)
        watermark = state.watermark
        late = state.late_dropped
        by_bucket: dict[datetime, list[KpiFact]] = {}
        for fact in facts:
            b = bucket_of(fact.at)
            if watermark is not None and b + self.horizon < watermark and b not in buckets:
                late += 1
                continue
            by_bucket.setdefault(b, []).append(fact)
            if watermark is None or fact.at > watermark:
                watermark = fact.at
        out: list[QueueKpi] = []
        for b in sorted(by_bucket):
            new_bucket, value = accumulate(buckets.get(b), by_bucket[b])
            if buckets.get(b) is None or len(new_bucket.facts) != len(buckets[b].facts):
                out.append(value)
            buckets[b] = new_bucket
        if watermark is not None:
            for b in [b for b in buckets if b + self.horizon < watermark]:
                del buckets[b]
        return KpiWindowState(buckets, watermark, late), out
