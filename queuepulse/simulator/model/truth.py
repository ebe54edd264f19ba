"""Ground truth as rows: queue visits shaped like ``queue_calls`` and per-minute KPIs shaped
like ``queue_kpi_1m`` (DESIGN.md, "Public tables" and "KPI definitions"), so tests compare the
pipeline's tables with these rows column by column.

KPI rules (DESIGN.md): offered lands in the minute of queue entry, answered (with its wait, SLA
verdict and ASA) in the minute of the answer, abandoned and short_abandoned in the minute of the
hang-up, transferred when the visit moved on, AHT with the end of the talk. ``max_wait_s`` is the
longest wait among visits answered or abandoned in the minute. ``answered_in_sla`` counts
``wait <= SLATime``; a short abandon is ``wait <= short_abandon_s``. ``sla_pct`` is a percentage
(0..100) of ``answered_in_sla / (answered + abandoned - short_abandoned)``, null when that is 0.
"""

from __future__ import annotations

from collections.abc import Iterable
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
        "caller": rec.caller_number,
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
        "aht_n",
        "aht_sum",
        "answered",
        "in_sla",
        "max_wait",
        "offered",
        "short",
        "transferred",
        "wait_sum",
    )

    def __init__(self) -> None:
        self.offered = self.answered = self.abandoned = self.short = 0
        self.transferred = self.in_sla = self.aht_n = 0
        self.wait_sum = self.aht_sum = 0
        self.max_wait = -1


def kpi_1m(visits: Iterable[Visit], from_ms: int, to_ms: int, pbx_id: str,
           short_abandon_s: float = 5.0) -> list[dict[str, Any]]:
    """True ``queue_kpi_1m`` rows for buckets starting in ``[from_ms, to_ms)``.

    Only buckets with at least one fact appear; rows are sorted by (queue_dn, bucket).
    """
    buckets: dict[tuple[str, int], _Bucket] = {}
    short_ms = round(short_abandon_s * 1000)

    def get(dn: str, t: int) -> _Bucket | None:
        b0 = t - t % MINUTE_MS
        if b0 < from_ms or b0 >= to_ms:
            return None
        key = (dn, b0)
        b = buckets.get(key)
        if b is None:
            b = buckets[key] = _Bucket()
        return b

    for v in visits:
        dn = v.queue.dn
        b = get(dn, v.entered_ms)
        if b is not None:
            b.offered += 1
        if v.answered_ms >= 0:
            wait = v.answered_ms - v.entered_ms
            b = get(dn, v.answered_ms)
            if b is not None:
                b.answered += 1
                b.wait_sum += wait
                b.max_wait = max(b.max_wait, wait)
                if wait <= v.sla_s * 1000:
                    b.in_sla += 1
            if v.talk_ms >= 0:
                b = get(dn, v.ended_ms)
                if b is not None:
                    b.aht_n += 1
                    b.aht_sum += v.talk_ms
        elif v.ended_ms >= 0:
            wait = v.ended_ms - v.entered_ms
            b = get(dn, v.ended_ms)
            if b is not None:
                if v.outcome == "abandoned":
                    b.abandoned += 1
                    b.max_wait = max(b.max_wait, wait)
                    if wait <= short_ms:
                        b.short += 1
                else:
                    b.transferred += 1
    rows = []
    for (dn, b0), b in sorted(buckets.items()):
        denom = b.answered + b.abandoned - b.short
        rows.append({
            "pbx_id": pbx_id,
            "queue_dn": dn,
            "bucket": fmt_ms(b0),
            "offered": b.offered,
            "answered": b.answered,
            "abandoned": b.abandoned,
            "short_abandoned": b.short,
            "transferred": b.transferred,
            "answered_in_sla": b.in_sla,
            "sla_pct": round(100.0 * b.in_sla / denom, 6) if denom > 0 else None,
            "asa_s": round(b.wait_sum / b.answered / 1000, 6) if b.answered else None,
            "max_wait_s": b.max_wait / 1000 if b.max_wait >= 0 else None,
            "aht_s": round(b.aht_sum / b.aht_n / 1000, 6) if b.aht_n else None,
        })
    return rows
