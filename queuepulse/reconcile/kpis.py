"""Per-minute queue KPIs of reconciled buckets, recomputed from visits. Pure.

A correction can move facts between buckets (a later answer, a different end), so every bucket
that the old *or* the new version of a changed visit touches is recomputed in full from the
visits that count in it — with the domain's fact fold (:mod:`queuepulse.domain.kpi`), never by
adding increments. A bucket left without facts is deleted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from queuepulse.domain.kpi import (
    KpiFact,
    KpiKey,
    QueueKpi,
    entry_facts_from_visits,
    facts_for_visit_change,
    fold_bucket,
)
from queuepulse.domain.rules import Rules
from queuepulse.domain.visits import QueueVisit

__all__ = [
    "affected_buckets",
    "affected_entry_buckets",
    "bucket_range",
    "fold_keys",
    "recompute_buckets",
    "recompute_entry_buckets",
    "sla_for",
]

MINUTE = timedelta(minutes=1)


def sla_for(v: QueueVisit, sla_by_queue: Mapping[str, float], rules: Rules) -> float:
    """The SLA threshold of a visit: its queue's ``SLATime``, else the visit's, else default."""
    sla = sla_by_queue.get(v.queue_dn)
    if sla is not None and sla > 0:
        return float(sla)
    if v.sla_s:
        return float(v.sla_s)
    return float(rules.default_sla_s)


def affected_buckets(
    visits: Iterable[QueueVisit], sla_by_queue: Mapping[str, float], rules: Rules
) -> set[KpiKey]:
    """Every queue-scope bucket key any fact of these visits lands in."""
    keys: set[KpiKey] = set()
    for v in visits:
        for fact in facts_for_visit_change(None, v, rules, sla_for(v, sla_by_queue, rules)):
            keys.add(fact.key)
    return keys


def fold_keys(
    keys: Iterable[KpiKey], facts: Iterable[KpiFact]
) -> tuple[list[QueueKpi], list[KpiKey]]:
    """Fold the facts of each bucket in ``keys`` (other facts are ignored); returns (the buckets
    with facts, the keys left empty), both in key order."""
    wanted = set(keys)
    facts_by_key: dict[KpiKey, dict[str, KpiFact]] = {k: {} for k in wanted}
    for fact in facts:
        bucket = facts_by_key.get(fact.key)
        if bucket is not None:
            bucket.setdefault(fact.fact_id, fact)
    full: list[QueueKpi] = []
    empty: list[KpiKey] = []
    for key in sorted(wanted):
        found = facts_by_key[key]
        if found:
            full.append(fold_bucket(found.values(), key))
        else:
            empty.append(key)
    return full, empty


def _queue_facts(visits: Iterable[QueueVisit], sla_by_queue: Mapping[str, float],
                 rules: Rules) -> list[KpiFact]:
    facts: list[KpiFact] = []
    for v in visits:
        facts.extend(facts_for_visit_change(None, v, rules, sla_for(v, sla_by_queue, rules)))
    return facts


def recompute_buckets(
    keys: Iterable[KpiKey],
    visits: Iterable[QueueVisit],
    sla_by_queue: Mapping[str, float],
    rules: Rules,
) -> tuple[list[QueueKpi], list[KpiKey]]:
    """The full value of each queue bucket in ``keys`` from ``visits`` (every visit that may
    count in them, the current version of each); see :func:`fold_keys`."""
    return fold_keys(keys, _queue_facts(visits, sla_by_queue, rules))


def _positive(sla_by_queue: Mapping[str, float]) -> dict[str, float]:
    return {q: s for q, s in sla_by_queue.items() if s and s > 0}


def affected_entry_buckets(
    call_visits: Iterable[QueueVisit], sla_by_queue: Mapping[str, float], rules: Rules
) -> set[KpiKey]:
    """Every entry-scope bucket key (``entry_queue_kpi_1m``) the calls of ``call_visits`` (all
    visits of each call) have a fact in."""
    return {f.key for f in entry_facts_from_visits(call_visits, _positive(sla_by_queue), rules)}


def recompute_entry_buckets(
    keys: Iterable[KpiKey],
    call_visits: Iterable[QueueVisit],
    sla_by_queue: Mapping[str, float],
    rules: Rules,
) -> tuple[list[QueueKpi], list[KpiKey]]:
    """The full value of each entry bucket in ``keys`` from every visit of every call that may
    count in them (end-to-end by entry queue, :func:`entry_facts_from_visits`)."""
    return fold_keys(keys, entry_facts_from_visits(call_visits, _positive(sla_by_queue), rules))


def bucket_range(keys: Iterable[KpiKey]) -> tuple[datetime, datetime] | None:
    """``[first bucket, last bucket + 1 min)`` of ``keys``; None when empty."""
    buckets = [k[3] for k in keys]
    if not buckets:
        return None
    return min(buckets), max(buckets) + MINUTE
