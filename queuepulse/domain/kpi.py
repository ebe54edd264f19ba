"""Per-minute queue KPIs as exact, idempotent folds of facts.

Every visit transition yields :class:`KpiFact`s stamped with the moment it happened: *offered*
at queue entry, *answered* at the answer (carrying the wait and whether it met the SLA),
*abandoned* at the hang-up (carrying the wait and whether it was short), *transferred* when the
call moves on, *talk_ended* at the end of an answered visit (carrying the talk time). A fact has
a deterministic ``fact_id`` (one per visit and kind), so a bucket's value is a function of the
*set* of its facts: re-delivered or late facts change nothing or correct exactly the bucket they
belong to.

Facts come in two scopes: ``queue`` (per queue visit; the ``queue_kpi_1m`` table) and ``entry``
(per call, attributed to the first queue it reached; the end-to-end SLA of overflow cascades,
with the wait measured to the first answer anywhere).

:func:`kpis_from_visits` derives the same facts from a list of final visits; the simulator's truth
and reconciliation use it, so live and truth agree by construction.

The definitions, fixed here (the SQL views and continuous aggregates recompute them from the
sums the same way):

* ``sla_pct`` — service level in per cent, 0..100 (never a fraction):
  ``100 * answered_in_sla / (answered + abandoned - short_abandoned)``, ``None`` when that is 0;
* ``asa_s`` — average speed of answer: ``wait_answered_s_sum / answered``;
* ``avg_talk_s`` — average *talk* time of the talks that ended: ``talk_s_sum / talk_count``.
  It is not a handle time: no hold split and no wrap-up (before 0.2 it was called ``aht_s``);
* handle time — talk plus the queue's configured wrap-up (``queues.wrap_up_time_s``, the 3CX
  queue's ``WrapUpTime``) where it is known: :func:`handle_time_s`. 3CX exposes no hold time, so
  hold is inside talk.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal

from queuepulse.domain.rules import Rules
from queuepulse.domain.snapshot import format_datetime
from queuepulse.domain.visits import QueueVisit, seconds_between

__all__ = [
    "FactKind",
    "KpiBucket",
    "KpiFact",
    "KpiKey",
    "QueueKpi",
    "Scope",
    "accumulate",
    "bucket_of",
    "entry_facts_from_visits",
    "entry_kpis_from_visits",
    "facts_for_visit_change",
    "fold_bucket",
    "fold_facts",
    "group_facts",
    "handle_time_s",
    "kpis_from_visits",
    "make_entry_fact",
]

FactKind = Literal["offered", "answered", "abandoned", "transferred", "talk_ended"]
Scope = Literal["queue", "entry"]

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
    """The KPIs of one queue (``scope='queue'``) or entry queue (``'entry'``) in one bucket.

    Every field but ``scope`` is a column of ``queue_kpi_1m`` / ``entry_queue_kpi_1m`` under the
    same name. ``sla_pct`` is a percentage (0-100) and ``None`` when its denominator (answered +
    abandoned - short_abandoned) is 0; ``asa_s``, ``avg_talk_s`` and ``max_wait_s`` are ``None``
    when nothing defines them. ``max_wait_s`` is over the waits of answered and abandoned visits.
    The sums and counts (``wait_answered_s_sum``, ``wait_abandoned_s_sum``, ``talk_s_sum``,
    ``talk_count``) let a query combine buckets into longer periods exactly.
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
    avg_talk_s: float | None = None
    transferred: int = 0
    wait_answered_s_sum: float = 0.0
    wait_abandoned_s_sum: float = 0.0
    talk_s_sum: float = 0.0
    talk_count: int = 0
    scope: Scope = "queue"


def handle_time_s(talk_s: float, wrap_up_s: float | None) -> float:
    """Handle time of a talk (or of an average talk): talk plus the queue's configured wrap-up
    in seconds; an unknown or unset wrap-up counts as 0."""
    return talk_s + (wrap_up_s if wrap_up_s is not None and wrap_up_s > 0 else 0.0)


def _max(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


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
    return QueueKpi(
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
        avg_talk_s=talk_sum / talk_count if talk_count else None,
        transferred=transferred,
        wait_answered_s_sum=wait_sum,
        wait_abandoned_s_sum=abandoned_wait_sum,
        talk_s_sum=talk_sum,
        talk_count=talk_count,
        scope=scope,
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
