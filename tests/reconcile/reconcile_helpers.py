"""Shared helpers of the reconciliation tests: a simulated PBX, a "live" side produced by the
domain lifecycle over its ActiveCalls polls (with gaps), the reconciler, and truth comparison."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from pydantic import SecretStr

from queuepulse.domain.kpi import KpiFact, entry_kpis_from_visits, fold_facts
from queuepulse.domain.lifecycle import PbxState, step
from queuepulse.domain.parties import Directory
from queuepulse.domain.pbx_config import parse_config
from queuepulse.domain.rules import Rules
from queuepulse.domain.snapshot import Poll, poll_from_body
from queuepulse.domain.visits import QueueVisit
from queuepulse.reconcile.runner import ReconcileConfig, Reconciler
from queuepulse.settings import PbxSettings
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import RunningSimulator, run_simulator
from queuepulse.store.db import connect
from queuepulse.store.writers import BatchWriter
from queuepulse.xapi.client import XapiClient

PBX = "sim"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
WARMUP_S = 600
PERIOD_S = 300


def sim_config(**model: Any) -> SimulatorConfig:
    """A manual-clock simulator at START, busy since START - WARMUP_S, with many short calls."""
    faults = model.pop("faults", ())
    values: dict[str, Any] = {
        "seed": 11, "queues": 3, "agents": 10, "calls_per_min_per_queue": 2.5,
        "short_abandon_prob": 0.3, "patience_s": 60.0, "aht_s": 90.0, "transfer_prob": 0.1,
        "overflow_fraction": 0.34, "master_timeout_s": 50,
    }
    values.update(model)
    return SimulatorConfig(model=ModelConfig(**values), start=START, manual_clock=True,
                           warmup_s=WARMUP_S, pbx_id=PBX, faults=faults)


@contextmanager
def simulator(**model: Any) -> Iterator[RunningSimulator]:
    """A running simulator (see :func:`sim_config`)."""
    with run_simulator(sim_config(**model)) as sim:
        yield sim


def pbx_settings(sim: RunningSimulator) -> PbxSettings:
    """Settings reaching the simulator (no retries worth waiting for)."""
    return PbxSettings(pbx_id=PBX, url=sim.base_url, client_id=sim.client_id,
                       client_secret=SecretStr(sim.client_secret), retry_budget_s=0.2)


def sim_now(sim: RunningSimulator) -> datetime:
    """The simulator's clock as an aware datetime."""
    return datetime.fromtimestamp(sim.now_ms() / 1000, UTC)


async def directory(client: XapiClient) -> Directory:
    """The queue/agent directory, as the sync would build it."""
    queues = await client.poll_queues(expand_agents=True)
    users = await client.poll_users()
    return Directory.from_config(parse_config(queues.rows, users.rows))


@dataclass
class LiveSide:
    """What live polling saw: the latest version of each visit, and its KPI facts (queue and
    entry scope)."""

    visits: dict[tuple[str, str, str, datetime], QueueVisit] = field(default_factory=dict)
    facts: list[KpiFact] = field(default_factory=list)
    polls: int = 0
    gap_polls: int = 0


def run_live(sim: RunningSimulator, dire: Directory, seconds: int,
             gaps: tuple[tuple[int, int], ...] = (), rules: Rules | None = None) -> LiveSide:
    """Poll ActiveCalls once per simulated second for ``seconds`` through the domain lifecycle;
    inside each ``(from_s, to_s)`` of ``gaps`` polls fail (PBX unreachable)."""
    rules = rules or Rules()
    out = LiveSide()
    state: PbxState | None = None
    for t in range(seconds):
        sim.advance(1)
        now = sim_now(sim)
        if any(a <= t < b for a, b in gaps):
            poll = Poll(PBX, now, (), ok=False, error="unreachable (test gap)")
            out.gap_polls += 1
        else:
            body = json.loads(sim.simulator.active_calls_body(False))
            poll = poll_from_body(PBX, now, body)
        state, output = step(state, poll, dire, rules)
        out.polls += 1
        for v in output.visits:
            out.visits[(v.pbx_id, v.call_key, v.queue_dn, v.entered_at)] = v
        out.facts.extend(output.facts)
    return out


def write_live(dsn: str, live: LiveSide) -> None:
    """Store the live side as the live flow would (queue_calls and queue_kpi_1m)."""
    writer = BatchWriter.from_dsn(dsn)
    try:
        writer.write({
            "queue_calls": list(live.visits.values()),
            "queue_kpi_1m": fold_facts(f for f in live.facts if f.scope == "queue"),
            "entry_queue_kpi_1m": fold_facts(f for f in live.facts if f.scope == "entry"),
        })
    finally:
        writer.close()


def reconciler(sim: RunningSimulator, client: XapiClient, dsn: str,
               **config: Any) -> Reconciler:
    """A reconciler of the simulator's PBX, clocked by the simulator."""
    values: dict[str, Any] = {"period_s": PERIOD_S, "settle_s": 300.0, "lookback_s": 900.0,
                              "lookahead_s": 1800.0}
    values.update(config)
    cfg = ReconcileConfig(pbx_id=PBX, **values)
    return Reconciler(cfg, client, lambda: connect(dsn, autocommit=True),
                      clock=lambda: sim_now(sim))


def ts(value: Any) -> datetime | None:
    """A truth time (ISO string) as a datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


VISIT_FIELDS = ("call_key", "queue_dn", "entered_at", "answered_at", "ended_at", "outcome",
                "wait_s", "talk_s", "agent_dn", "caller_number", "caller_name", "entry_queue_dn")


def canonical_key(call_key: str) -> str:
    """A call key with its time parsed, so ``.250Z`` and ``.250000Z`` compare equal."""
    head, sep, tail = call_key.partition("@")
    at = ts(tail) if sep else None
    return f"{head}@{at.isoformat()}" if at is not None else call_key


def _norm(name: str, value: Any) -> Any:
    if name == "call_key" and isinstance(value, str):
        return canonical_key(value)
    if name.endswith("_at"):
        return ts(value)
    if isinstance(value, float):
        return round(value, 3)
    return value


def truth_visits(sim: RunningSimulator, lo: datetime, hi: datetime) -> dict[tuple[Any, ...],
                                                                          dict[str, Any]]:
    """Truth visits entered in ``[lo, hi)`` by (call_key, queue_dn, entered_at)."""
    out = {}
    for row in sim.truth.visits(lo, hi):
        norm = {k: _norm(k, row[k]) for k in VISIT_FIELDS}
        out[(norm["call_key"], norm["queue_dn"], norm["entered_at"])] = norm
    return out


def db_visits(conn: psycopg.Connection[Any], lo: datetime,
              hi: datetime) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Stored visits entered in ``[lo, hi)``, normalised like :func:`truth_visits`."""
    cols = ", ".join(VISIT_FIELDS)
    rows = conn.execute(
        f"SELECT {cols} FROM queue_calls WHERE pbx_id = %s AND entered_at >= %s "
        "AND entered_at < %s", (PBX, lo, hi)).fetchall()
    out = {}
    for r in rows:
        norm = {k: _norm(k, v) for k, v in zip(VISIT_FIELDS, r, strict=True)}
        out[(norm["call_key"], norm["queue_dn"], norm["entered_at"])] = norm
    return out


KPI_FIELDS = ("queue_dn", "bucket", "offered", "answered", "abandoned", "short_abandoned",
              "transferred", "answered_in_sla", "sla_pct", "asa_s", "max_wait_s", "avg_talk_s")


def truth_kpis(sim: RunningSimulator, lo: datetime, hi: datetime) -> dict[tuple[Any, ...],
                                                                        tuple[Any, ...]]:
    """Truth per-minute KPIs of buckets in ``[lo, hi)``."""
    return {(r["queue_dn"], ts(r["bucket"])): tuple(_norm(k, r[k]) for k in KPI_FIELDS[2:])
            for r in sim.truth.kpi_1m(lo, hi)}


def db_kpis(conn: psycopg.Connection[Any], lo: datetime,
            hi: datetime) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Stored per-minute KPIs of buckets in ``[lo, hi)``."""
    rows = conn.execute(
        f"SELECT {', '.join(KPI_FIELDS)} FROM queue_kpi_1m WHERE pbx_id = %s "
        "AND bucket >= %s AND bucket < %s", (PBX, lo, hi)).fetchall()
    return {(r[0], r[1]): tuple(_norm(k, v) for k, v in zip(KPI_FIELDS[2:], r[2:], strict=True))
            for r in rows}


def snapshot(conn: psycopg.Connection[Any]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row (all columns, updated_at included) of the tables reconciliation corrects."""
    return {
        table: conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4").fetchall()
        for table in ("queue_calls", "queue_kpi_1m", "entry_queue_kpi_1m", "cdr_dead_letters",
                      "pbx_queue_reports")
    }


def minutes(n: float) -> timedelta:
    """``n`` minutes."""
    return timedelta(minutes=n)


def truth_entry_kpis(sim: RunningSimulator, lo: datetime,
                     hi: datetime) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """End-to-end KPIs by entry queue of the true visits entered in ``[lo, hi)``, by the
    domain's fold, for buckets in ``[lo, hi)``."""
    visits = [
        QueueVisit(PBX, r["call_key"], r["queue_dn"], ts(r["entered_at"]),  # type: ignore[arg-type]
                   answered_at=ts(r["answered_at"]), ended_at=ts(r["ended_at"]),
                   outcome=r["outcome"], wait_s=r["wait_s"], talk_s=r["talk_s"],
                   agent_dn=r["agent_dn"])
        for r in sim.truth.visits(lo, hi)
    ]
    slas = {q.dn: float(q.sla_s) for q in sim.simulator.engine.queues}
    out = {}
    for k in entry_kpis_from_visits(visits, slas, Rules()):
        if lo <= k.bucket < hi:
            out[(k.queue_dn, k.bucket)] = tuple(
                _norm(f, getattr(k, f)) for f in KPI_FIELDS[2:])
    return out


def db_entry_kpis(conn: psycopg.Connection[Any], lo: datetime,
                  hi: datetime) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Stored end-to-end KPIs by entry queue of buckets in ``[lo, hi)``."""
    rows = conn.execute(
        f"SELECT {', '.join(KPI_FIELDS)} FROM entry_queue_kpi_1m WHERE pbx_id = %s "
        "AND bucket >= %s AND bucket < %s", (PBX, lo, hi)).fetchall()
    return {(r[0], r[1]): tuple(_norm(k, v) for k, v in zip(KPI_FIELDS[2:], r[2:], strict=True))
            for r in rows}
