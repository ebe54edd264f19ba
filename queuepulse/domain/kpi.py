"""Per-minute queue KPIs as exact, idempotent folds of facts.

Every visit transition yields :class:`KpiFact`s stamped with the moment it happened (DESIGN.md,
"KPI definitions"): *offered* at queue entry, *answered* at the answer (carrying the wait and
whether it met the SLA), *abandoned* at the hang-up (carrying the wait and whether it was short),
*transferred* when the call moves on, *talk_ended* at the end of an answered visit (carrying the
talk time). A fact has a deterministic ``fact_id`` (one per visit and kind), so a bucket's value
is a function of the *set* of its facts: re-delivered or late facts change nothing or correct
exactly the bucket they belong to.

Facts come in two scopes: ``queue`` (per queue visit; the ``queue_kpi_1m`` table) and ``entry``
(per call, attributed to the first queue it reached; the end-to-end SLA of overflow cascades,
with the wait measured to the first answer anywhere).

:func:`kpis_from_visits` derives the same facts from a list of final visits; the simulator's truth
and reconciliation use it, so live and truth agree by construction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal

from queuepulse.domain.rules import Rules
from queuepulse.domain.snapshot import format_datetime
from queuepulse.domain.visits import QueueVisit, seconds_between

__all__ = [
    "QUEUE_KPI_COLUMNS",
    "FactKind",
    "KpiBucket",
    "KpiFact",
    "KpiKey",
    "KpiWindows",
    "QueueKpi",
    "Scope",
    "accumulate",
    "bucket_of",
    "empty_kpi",
    "entry_facts_from_visits",
    "entry_kpis_from_visits",
    "facts_for_visit_change",
    "fold_bucket",
    "fold_facts",
    "group_facts",
    "kpis_from_visits",
    "make_entry_fact",
    "merge_kpi",
    "window_step",
]

FactKind = Literal["offered", "answered", "abandoned", "transferred", "talk_ended"]
Scope = Literal["queue", "entry"]

#: The public ``queue_kpi_1m`` columns.
QUEUE_KPI_COLUMNS: tuple[str, ...] = (
    "pbx_id", "queue_dn", "bucket", "offered", "answered", "abandoned", "short_abandoned",
    "answered_in_sla", "sla_pct", "asa_s", "max_wait_s", "aht_s",
)

_MINUTE = timedelta(minutes=1)


def bucket_of(at: datetime) -> datetime:
    """The 1-minute bucket (start) holding ``at``; timezone kept."""
    return at.replace(second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class KpiFact:
    """One countable thing that happened to a visit (``scope='queue'``) or call (``'entry'``)."""

    fact_id: str
    pbx_id: str
    queue_dn: str
    scope: Scope
    kind: FactKind
    at: datetime
    wait_s: float | None = None
    talk_s: float | None = None
    in_sla: bool | None = None
    short: bool | None = None

    @property
    def bucket(self) -> datetime:
        """The 1-minute bucket this fact counts in."""
        return bucket_of(self.at)

    @property
    def key(self) -> KpiKey:
        """The bucket key (pbx_id, queue_dn, scope, bucket)."""
        return (self.pbx_id, self.queue_dn, self.scope, bucket_of(self.at))


KpiKey = tuple[str, str, Scope, datetime]


@dataclass(frozen=True, slots=True)
class QueueKpi:
    """The KPIs of one queue in one bucket (or, merged, in a longer period starting at ``bucket``).

    The first twelve fields are the ``queue_kpi_1m`` columns; ``transferred`` and the sums and
    counts after it (``answered_wait_sum_s``, ``talk_sum_s``, ``talk_count``,
    ``wait_abandoned_s_sum``) make buckets mergeable. ``sla_pct`` is a percentage (0-100) and
    ``None`` when its denominator (answered + abandoned - short_abandoned) is 0; ``asa_s``,
    ``aht_s`` and ``max_wait_s`` are ``None`` when nothing defines them. ``max_wait_s`` is over
    the waits of answered and abandoned visits.
    """

    pbx_id: str
    queue_dn: str
    bucket: datetime
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    answered_in_sla: int = 0
    sla_pct: float | None = None
    asa_s: float | None = None
    max_wait_s: float | None = None
    aht_s: float | None = None
    transferred: int = 0
    answered_wait_sum_s: float = 0.0
    talk_sum_s: float = 0.0
    talk_count: int = 0
    scope: Scope = "queue"
    wait_abandoned_s_sum: float = 0.0  # named as its queue_kpi_1m column

    def with_derived(self) -> QueueKpi:
        """Recompute ``sla_pct``, ``asa_s`` and ``aht_s`` from the counts and sums."""
        denominator = self.answered + self.abandoned - self.short_abandoned
        return replace(
            self,
            sla_pct=100.0 * self.answered_in_sla / denominator if denominator > 0 else None,
            asa_s=self.answered_wait_sum_s / self.answered if self.answered else None,
            aht_s=self.talk_sum_s / self.talk_count if self.talk_count else None,
        )


def empty_kpi(pbx_id: str, queue_dn: str, bucket: datetime, scope: Scope = "queue") -> QueueKpi:
    """The identity of :func:`merge_kpi`: nothing happened."""
    return QueueKpi(pbx_id, queue_dn, bucket, scope=scope)


def _max(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def merge_kpi(a: QueueKpi, b: QueueKpi) -> QueueKpi:
    """Combine the KPIs of two disjoint fact sets of one queue (associative, commutative).

    The result's ``bucket`` is the earlier one, so merging 1-minute buckets gives a longer period.
    Raises ``ValueError`` when the queues or scopes differ.
    """
    if (a.pbx_id, a.queue_dn, a.scope) != (b.pbx_id, b.queue_dn, b.scope):
        raise ValueError(
            f"cannot merge KPIs of {a.pbx_id}/{a.queue_dn}/{a.scope} with "
            f"{b.pbx_id}/{b.queue_dn}/{b.scope}: merge only one queue's buckets"
        )
    return QueueKpi(
        pbx_id=a.pbx_id,
        queue_dn=a.queue_dn,
        bucket=min(a.bucket, b.bucket),
        offered=a.offered + b.offered,
        answered=a.answered + b.answered,
        abandoned=a.abandoned + b.abandoned,
        short_abandoned=a.short_abandoned + b.short_abandoned,
        answered_in_sla=a.answered_in_sla + b.answered_in_sla,
        max_wait_s=_max(a.max_wait_s, b.max_wait_s),
        transferred=a.transferred + b.transferred,
        answered_wait_sum_s=a.answered_wait_sum_s + b.answered_wait_sum_s,
        talk_sum_s=a.talk_sum_s + b.talk_sum_s,
        talk_count=a.talk_count + b.talk_count,
        scope=a.scope,
        wait_abandoned_s_sum=a.wait_abandoned_s_sum + b.wait_abandoned_s_sum,
    ).with_derived()


def fold_bucket(facts: Iterable[KpiFact], key: KpiKey | None = None) -> QueueKpi:
    """The KPIs of one bucket from its facts, each ``fact_id`` counted once.

    ``key`` names the bucket (needed when ``facts`` may be empty); facts of other buckets are an
    error (``ValueError``).
    """
    seen: dict[str, KpiFact] = {}
    for fact in facts:
        seen.setdefault(fact.fact_id, fact)
    if key is None:
        if not seen:
            raise ValueError("fold_bucket needs a key when there are no facts")
        key = next(iter(seen.values())).key
    pbx_id, queue_dn, scope, bucket = key
    offered = answered = abandoned = short = in_sla = transferred = talk_count = 0
    wait_sum = talk_sum = abandoned_wait_sum = 0.0
    max_wait: float | None = None
    bucket_end = bucket + _MINUTE
    for fact in seen.values():
        # fact.key == key, without building the key (bucket_of) per fact
        if (fact.pbx_id != pbx_id or fact.queue_dn != queue_dn or fact.scope != scope
                or not bucket <= fact.at < bucket_end):
            raise ValueError(f"fact {fact.fact_id} belongs to bucket {fact.key}, not {key}")
        kind = fact.kind
        if kind == "offered":
            offered += 1
        elif kind == "answered":
            answered += 1
            wait = fact.wait_s or 0.0
            wait_sum += wait
            max_wait = _max(max_wait, wait)
            if fact.in_sla:
                in_sla += 1
        elif kind == "abandoned":
            abandoned += 1
            abandoned_wait_sum += fact.wait_s or 0.0
            max_wait = _max(max_wait, fact.wait_s or 0.0)
            if fact.short:
                short += 1
        elif kind == "transferred":
            transferred += 1
        elif kind == "talk_ended":
            talk_count += 1
            talk_sum += fact.talk_s or 0.0
    denominator = answered + abandoned - short
    return QueueKpi(  # the derived figures as QueueKpi.with_derived computes them
        pbx_id=pbx_id,
        queue_dn=queue_dn,
        bucket=bucket,
        offered=offered,
        answered=answered,
        abandoned=abandoned,
        short_abandoned=short,
        answered_in_sla=in_sla,
        sla_pct=100.0 * in_sla / denominator if denominator > 0 else None,
        asa_s=wait_sum / answered if answered else None,
        max_wait_s=max_wait,
        aht_s=talk_sum / talk_count if talk_count else None,
        transferred=transferred,
        answered_wait_sum_s=wait_sum,
        talk_sum_s=talk_sum,
        talk_count=talk_count,
        scope=scope,
        wait_abandoned_s_sum=abandoned_wait_sum,
    )


def group_facts(facts: Iterable[KpiFact]) -> dict[KpiKey, list[KpiFact]]:
    """Facts by bucket key, in arrival order."""
    groups: dict[KpiKey, list[KpiFact]] = defaultdict(list)
    for fact in facts:
        groups[fact.key].append(fact)
    return dict(groups)


def fold_facts(facts: Iterable[KpiFact]) -> list[QueueKpi]:
    """Fold a stream of facts into one :class:`QueueKpi` per bucket, sorted by key."""
    groups = group_facts(facts)
    return [fold_bucket(groups[k], k) for k in sorted(groups)]


@dataclass(frozen=True, slots=True)
class KpiBucket:
    """Streaming state of one bucket: its facts by id (a ``stateful_map`` state)."""

    key: KpiKey
    facts: Mapping[str, KpiFact] = field(default_factory=dict)


def accumulate(
    state: KpiBucket | None, facts: Iterable[KpiFact]
) -> tuple[KpiBucket, QueueKpi]:
    """Add facts (all of one bucket) to its state and return the full, current bucket value.

    Re-delivered facts (same ``fact_id``) change nothing; a late fact corrects its bucket.
    """
    incoming = list(facts)
    if state is None:
        if not incoming:
            raise ValueError("accumulate needs facts to start a bucket")
        state = KpiBucket(incoming[0].key)
    merged = dict(state.facts)
    for fact in incoming:
        merged.setdefault(fact.fact_id, fact)
    new_state = KpiBucket(state.key, merged)
    return new_state, fold_bucket(merged.values(), state.key)


@dataclass(frozen=True, slots=True)
class KpiWindows:
    """Streaming state of every open bucket of one PBX (a ``stateful_map`` state).

    Each bucket keeps its running :class:`QueueKpi` and the ids of the facts in it. A bucket
    closes once ``lateness_s`` has passed after its end; its last emitted value is final, and a
    fact arriving for it later is counted in ``too_late`` and dropped (never a partial value
    that would overwrite the full one).
    """

    buckets: Mapping[KpiKey, tuple[QueueKpi, frozenset[str]]] = field(default_factory=dict)
    watermark: datetime | None = None  # buckets starting before this are closed
    too_late: int = 0


def window_step(
    state: KpiWindows | None,
    facts: Iterable[KpiFact],
    now: datetime,
    lateness_s: float = 120.0,
) -> tuple[KpiWindows, tuple[QueueKpi, ...]]:
    """Add facts; return the full current value of every bucket they changed (for an upsert).

    ``now`` is the PBX time of the poll that produced the facts. Re-delivered facts change
    nothing; cost is proportional to the new facts, not to the bucket sizes.
    """
    if state is None:
        state = KpiWindows()
    buckets = dict(state.buckets)
    watermark = state.watermark
    too_late = state.too_late
    touched: dict[KpiKey, QueueKpi] = {}
    for fact in facts:
        key = fact.key
        if watermark is not None and key[3] < watermark:
            too_late += 1
            continue
        current = buckets.get(key)
        if current is None:
            buckets[key] = (fold_bucket((fact,), key), frozenset((fact.fact_id,)))
        else:
            running, ids = current
            if fact.fact_id in ids:
                continue
            buckets[key] = (merge_kpi(running, fold_bucket((fact,), key)), ids | {fact.fact_id})
        touched[key] = buckets[key][0]
    # a bucket [b, b+1min) closes once now >= b + 1min + lateness
    cutoff = bucket_of(now - timedelta(seconds=lateness_s) - _MINUTE) + _MINUTE
    if watermark is None or cutoff > watermark:
        for k in [k for k in buckets if k[3] < cutoff]:
            del buckets[k]
        watermark = cutoff
    return KpiWindows(buckets, watermark, too_late), tuple(touched[k] for k in sorted(touched))


# --- facts from visit transitions -----------------------------------------------------------


_format_entry = lru_cache(maxsize=1 << 14)(format_datetime)


def _visit_fact_id(v: QueueVisit, kind: str) -> str:
    return f"{v.pbx_id}|{v.call_key}|{v.queue_dn}|{_format_entry(v.entered_at)}|{kind}"


def facts_for_visit_change(
    old: QueueVisit | None, new: QueueVisit, rules: Rules, sla_s: float | None = None
) -> tuple[KpiFact, ...]:
    """The queue-scope facts a visit transition ``old -> new`` adds (``old`` None: new visit).

    ``sla_s`` defaults to the visit's own ``sla_s``, then ``rules.default_sla_s``.
    """
    threshold = sla_s if sla_s is not None else (
        new.sla_s if new.sla_s is not None else rules.default_sla_s
    )
    out: list[KpiFact] = []
    q, pbx = new.queue_dn, new.pbx_id
    if old is None:
        out.append(KpiFact(_visit_fact_id(new, "offered"), pbx, q, "queue", "offered",
                           new.entered_at))
    if new.answered_at is not None and (old is None or old.answered_at is None):
        wait = seconds_between(new.entered_at, new.answered_at)
        out.append(KpiFact(_visit_fact_id(new, "answered"), pbx, q, "queue", "answered",
                           new.answered_at, wait_s=wait, in_sla=rules.in_sla(wait, threshold)))
    if new.ended_at is not None and (old is None or old.ended_at is None):
        if new.outcome == "abandoned":
            wait = seconds_between(new.entered_at, new.ended_at)
            out.append(KpiFact(_visit_fact_id(new, "abandoned"), pbx, q, "queue", "abandoned",
                               new.ended_at, wait_s=wait, short=rules.is_short_abandon(wait)))
        elif new.outcome == "transferred":
            out.append(KpiFact(_visit_fact_id(new, "transferred"), pbx, q, "queue",
                               "transferred", new.ended_at,
                               wait_s=seconds_between(new.entered_at, new.ended_at)))
        elif new.outcome == "answered":
            answered = new.answered_at if new.answered_at is not None else new.entered_at
            out.append(KpiFact(_visit_fact_id(new, "talk_ended"), pbx, q, "queue", "talk_ended",
                               new.ended_at, talk_s=seconds_between(answered, new.ended_at)))
    return tuple(out)


def make_entry_fact(
    pbx_id: str,
    call_key: str,
    entry_queue_dn: str,
    kind: FactKind,
    at: datetime,
    rules: Rules,
    wait_s: float | None = None,
    sla_s: float | None = None,
) -> KpiFact:
    """An entry-scope (end-to-end) fact of one call, attributed to its first queue."""
    in_sla = short = None
    if kind == "answered" and wait_s is not None:
        in_sla = rules.in_sla(wait_s, sla_s if sla_s is not None else rules.default_sla_s)
    if kind == "abandoned" and wait_s is not None:
        short = rules.is_short_abandon(wait_s)
    return KpiFact(f"{pbx_id}|{call_key}|entry|{kind}", pbx_id, entry_queue_dn, "entry", kind,
                   at, wait_s=wait_s, in_sla=in_sla, short=short)


# --- the same KPIs from final visits ---------------------------------------------------------


def _sla_for(queue_dn: str, sla_by_queue: Mapping[str, float], rules: Rules) -> float:
    sla = sla_by_queue.get(queue_dn)
    return sla if sla is not None and sla > 0 else rules.default_sla_s


def kpis_from_visits(
    visits: Iterable[QueueVisit], sla_by_queue: Mapping[str, float], rules: Rules
) -> list[QueueKpi]:
    """Per-queue, per-minute KPIs of a list of visits (the latest version of each), by the same
    facts the live lifecycle emits. ``sla_by_queue`` maps queue DN to ``SLATime`` seconds
    (missing or 0: ``rules.default_sla_s``)."""
    facts: list[KpiFact] = []
    for v in visits:
        facts.extend(facts_for_visit_change(None, v, rules, _sla_for(v.queue_dn, sla_by_queue,
                                                                     rules)))
    return fold_facts(facts)


def entry_facts_from_visits(
    visits: Iterable[QueueVisit], sla_by_queue: Mapping[str, float], rules: Rules
) -> list[KpiFact]:
    """Entry-scope facts per call: offered at its first queue entry; answered at the first answer
    anywhere (wait from the first entry); if never answered, abandoned or transferred by its last
    visit's outcome at that visit's end (a call still waiting contributes only ``offered``)."""
    by_call: dict[tuple[str, str], list[QueueVisit]] = defaultdict(list)
    for v in visits:
        by_call[(v.pbx_id, v.call_key)].append(v)
    facts: list[KpiFact] = []
    for (pbx_id, call_key), call_visits in by_call.items():
        ordered: Sequence[QueueVisit] = sorted(call_visits, key=lambda v: v.entered_at)
        first = ordered[0]
        entry_q = first.queue_dn
        sla = _sla_for(entry_q, sla_by_queue, rules)
        facts.append(make_entry_fact(pbx_id, call_key, entry_q, "offered", first.entered_at,
                                     rules))
        answers = [v.answered_at for v in ordered if v.answered_at is not None]
        if answers:
            at = min(answers)
            facts.append(make_entry_fact(pbx_id, call_key, entry_q, "answered", at, rules,
                                         seconds_between(first.entered_at, at), sla))
            continue
        last = ordered[-1]
        if last.ended_at is not None and last.outcome in ("abandoned", "transferred"):
            facts.append(make_entry_fact(pbx_id, call_key, entry_q, last.outcome, last.ended_at,
                                         rules, seconds_between(first.entered_at, last.ended_at)))
    return facts


def entry_kpis_from_visits(
    visits: Iterable[QueueVisit], sla_by_queue: Mapping[str, float], rules: Rules
) -> list[QueueKpi]:
    """End-to-end KPIs by entry queue (``scope='entry'``) of a list of final visits."""
    return fold_facts(entry_facts_from_visits(visits, sla_by_queue, rules))
