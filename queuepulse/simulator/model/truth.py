"""Ground truth as rows: queue visits shaped like ``queue_calls`` and per-minute KPIs shaped
like ``queue_kpi_1m`` (the public tables of docs/schema.md), so tests compare the pipeline's
tables with these rows column by column.

KPI rules (docs/lifecycle.md, "Visits and KPI facts"): offered lands in the minute of queue
entry, answered (with its wait, SLA verdict and ASA) in the minute of the answer, abandoned and
short_abandoned in the minute of the hang-up, transferred when the visit moved on, AHT with the
end of the talk. ``max_wait_s`` is the longest wait among visits answered or abandoned in the
minute. ``answered_in_sla`` counts ``wait <= SLATime``; a short abandon is
``wait <= short_abandon_s``. ``sla_pct`` is a percentage (0..100) of
``answered_in_sla / (answered + abandoned - short_abandoned)``, null when that is 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from queuepulse.simulator.formats import fmt_ms
from queuepulse.simulator.model.entities import CallRecord, Visit

MINUTE_MS = 60_000


def call_key(call_id: int, established_ms: int) -> str:
    """The call key ``"<Id>@<EstablishedAt>"`` exactly as ``queuepulse.domain`` builds it
    (UTC, ``Z``, six fractional digits only when the time has a fraction), so truth rows join
    the pipeline's rows on ``call_key``. ``Id`` alone repeats after a restart."""
    sec, milli = divmod(established_ms, 1000)
    base = fmt_ms(sec * 1000)[:-5]
    return f"{call_id}@{base}.{milli * 1000:06d}Z" if milli else f"{call_id}@{base}Z"


def visit_row(v: Visit, pbx_id: str) -> dict[str, Any]:
    """One ``queue_calls``-shaped row (plus call_id, established_at, entry_queue_dn)."""
    rec = v.call
    wait = v.wait_ms
    return {
        "pbx_id": pbx_id,
        "call_key": call_key(rec.call_id, rec.established_ms),
        "call_id": rec.call_id,
        "established_at": fmt_ms(rec.established_ms),
        "queue_dn": v.queue.dn,
        "entry_queue_dn": v.entry_queue_dn,
        "entered_at": fmt_ms(v.entered_ms),
        "answered_at": fmt_ms(v.answered_ms) if v.answered_ms >= 0 else None,
        "ended_at": fmt_ms(v.ended_ms) if v.ended_ms >= 0 else None,
        "outcome": v.outcome,
        "wait_s": wait / 1000 if wait >= 0 else None,
        "talk_s": v.talk_ms / 1000 if v.talk_ms >= 0 else None,
        "agent_dn": v.agent_dn,
        "caller_number": rec.caller_number,
        "caller_name": rec.caller[len(rec.caller_number):].strip() or None,
        "source": "truth",
        "reconciled_at": None,
    }


def call_row(rec: CallRecord, pbx_id: str) -> dict[str, Any]:
    """A call's whole true timeline."""
    return {
        "pbx_id": pbx_id,
        "call_key": call_key(rec.call_id, rec.established_ms),
        "call_id": rec.call_id,
        "established_at": fmt_ms(rec.established_ms),
        "kind": rec.kind,
        "caller": rec.caller,
        "ended_at": fmt_ms(rec.ended_ms) if rec.ended_ms >= 0 else None,
        "end_reason": rec.end_reason,
        "events": [
            {"at": fmt_ms(ms), "type": kind, "queue_dn": q, "agent_dn": a}
            for ms, kind, q, a in rec.events
        ],
        "visits": [visit_row(v, pbx_id) for v in rec.visits],
    }


class _Bucket:
    __slots__ = (
        "abandoned",
        "answered",
        "in_sla",
        "max_wait",
        "offered",
        "short",
        "talk_n",
        "talk_sum",
        "transferred",
        "wait_sum",
    )

    def __init__(self) -> None:
        self.offered = self.answered = self.abandoned = self.short = 0
        self.transferred = self.in_sla = self.talk_n = 0
        self.wait_sum = self.talk_sum = 0
        self.max_wait = -1


#: (kind, queue_dn, at_ms, wait_ms, sla_s, talk_ms); kinds: offered, answered, abandoned,
#: transferred, talk_ended.
Fact = tuple[str, str, int, int, int, int]


def queue_facts(visits: Iterable[Visit]) -> Iterator[Fact]:
    """Queue-scope facts: each count at the moment it happened."""
    for v in visits:
        dn = v.queue.dn
        yield ("offered", dn, v.entered_ms, 0, v.sla_s, 0)
        if v.answered_ms >= 0:
            yield ("answered", dn, v.answered_ms, v.answered_ms - v.entered_ms, v.sla_s, 0)
            if v.talk_ms >= 0:
                yield ("talk_ended", dn, v.ended_ms, 0, v.sla_s, v.talk_ms)
        elif v.ended_ms >= 0 and v.outcome in ("abandoned", "transferred"):
            yield (v.outcome, dn, v.ended_ms, v.ended_ms - v.entered_ms, v.sla_s, 0)


def entry_facts(calls: Iterable[CallRecord]) -> Iterator[Fact]:
    """End-to-end facts by entry queue (the call's first queue): offered at the first entry,
    answered at the first answer anywhere (wait from the first entry, the entry queue's
    SLATime); never answered: the last visit's abandon or transfer at its end."""
    for rec in calls:
        if not rec.visits:
            continue
        first = rec.visits[0]
        dn, sla = first.queue.dn, first.sla_s
        yield ("offered", dn, first.entered_ms, 0, sla, 0)
        answers = [v.answered_ms for v in rec.visits if v.answered_ms >= 0]
        if answers:
            at = min(answers)
            yield ("answered", dn, at, at - first.entered_ms, sla, 0)
            continue
        last = rec.visits[-1]
        if last.ended_ms >= 0 and last.outcome in ("abandoned", "transferred"):
            yield (last.outcome, dn, last.ended_ms, last.ended_ms - first.entered_ms, sla, 0)


def fold_facts(facts: Iterable[Fact], from_ms: int, to_ms: int, pbx_id: str,
               short_abandon_s: float = 5.0, scope: str | None = None) -> list[dict[str, Any]]:
    """Per-queue, per-minute rows of the facts whose minute starts in ``[from_ms, to_ms)``."""
    buckets: dict[tuple[str, int], _Bucket] = {}
    short_ms = round(short_abandon_s * 1000)
    for kind, dn, at, wait, sla_s, talk in facts:
        b0 = at - at % MINUTE_MS
        if b0 < from_ms or b0 >= to_ms:
            continue
        b = buckets.get((dn, b0))
        if b is None:
            b = buckets[(dn, b0)] = _Bucket()
        if kind == "offered":
            b.offered += 1
        elif kind == "answered":
            b.answered += 1
            b.wait_sum += wait
            b.max_wait = max(b.max_wait, wait)
            if wait <= sla_s * 1000:
                b.in_sla += 1
        elif kind == "abandoned":
            b.abandoned += 1
            b.max_wait = max(b.max_wait, wait)
            if wait <= short_ms:
                b.short += 1
        elif kind == "transferred":
            b.transferred += 1
        elif kind == "talk_ended":
            b.talk_n += 1
            b.talk_sum += talk
    rows = []
    for (dn, b0), b in sorted(buckets.items()):
        denom = b.answered + b.abandoned - b.short
        row: dict[str, Any] = {
            "pbx_id": pbx_id,
            "queue_dn": dn,
            "bucket": fmt_ms(b0),
            "offered": b.offered,
            "answered": b.answered,
            "abandoned": b.abandoned,
            "short_abandoned": b.short,
            "transferred": b.transferred,
            "answered_in_sla": b.in_sla,
            "sla_pct": 100.0 * b.in_sla / denom if denom > 0 else None,
            "asa_s": b.wait_sum / b.answered / 1000 if b.answered else None,
            "max_wait_s": b.max_wait / 1000 if b.max_wait >= 0 else None,
            "avg_talk_s": b.talk_sum / b.talk_n / 1000 if b.talk_n else None,
        }
        if scope is not None:
            row["scope"] = scope
        rows.append(row)
    return rows


def kpi_1m(visits: Iterable[Visit], from_ms: int, to_ms: int, pbx_id: str,
           short_abandon_s: float = 5.0) -> list[dict[str, Any]]:
    """True ``queue_kpi_1m`` rows (queue scope) for buckets starting in ``[from_ms, to_ms)``.

    Only buckets with at least one fact appear; rows are sorted by (queue_dn, bucket).
    """
    return fold_facts(queue_facts(visits), from_ms, to_ms, pbx_id, short_abandon_s)


def entry_kpi_1m(calls: Iterable[CallRecord], from_ms: int, to_ms: int, pbx_id: str,
                 short_abandon_s: float = 5.0) -> list[dict[str, Any]]:
    """End-to-end KPIs by entry queue (``scope`` = ``"entry"``; ``avg_talk_s`` is always null)."""
    return fold_facts(entry_facts(calls), from_ms, to_ms, pbx_id, short_abandon_s, "entry")
