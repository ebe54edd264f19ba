"""Fill a database from a simulator run: the call-centre model's ground truth as table rows.

The seeded model (queuepulse.simulator.model) runs for the last few hours before the
database's ``now()``; its queues, agents, memberships, queue visits, per-minute KPIs, agent
state changes and the final live gauges are written to the public tables. Tests then know the
true answer of every panel.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from queuepulse.simulator.model import Engine, ModelConfig
from queuepulse.simulator.model.truth import kpi_1m, visit_row

PBX = "sim"
HOURS = 4
CONFIG = ModelConfig(seed=7, queues=6, agents=30, calls_per_min_per_queue=1.5)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _ts(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _insert(conn: psycopg.Connection[Any], table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    placeholders = ", ".join(["%s"] * len(columns))
    with conn.cursor() as cur:
        cur.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
            [tuple(r[c] for c in columns) for r in rows],
        )


def fill_from_simulator(conn: psycopg.Connection[Any], now: datetime) -> Engine:
    """Run the model for HOURS up to ``now`` and write its truth; return the engine."""
    end_ms = _ms(now)
    start_ms = end_ms - HOURS * 3_600_000
    engine = Engine(CONFIG, start_ms)
    engine.advance_to(end_ms)
    since = now - timedelta(days=30)

    _insert(conn, "queues", [
        {"pbx_id": PBX, "queue_dn": q.dn, "valid_from": since, "queue_id": q.id,
         "name": q.name, "sla_time_s": q.sla_s}
        for q in engine.queues
    ])  # fmt: skip
    _insert(conn, "agents", [
        {"pbx_id": PBX, "agent_dn": a.dn, "valid_from": since, "user_id": a.user_id,
         "first_name": a.first_name, "last_name": a.last_name, "display_name": a.name,
         "enabled": True}
        for a in engine.agents
    ])  # fmt: skip
    _insert(conn, "queue_agents", [
        {"pbx_id": PBX, "queue_dn": engine.queues[qi].dn, "agent_dn": a.dn, "valid_from": since}
        for a in engine.agents
        for qi in a.queues
    ])  # fmt: skip

    visits = []
    for v in engine.visits:
        row = visit_row(v, PBX)
        row.pop("established_at")
        row["source"] = "live"
        visits.append(row)
    _insert(conn, "queue_calls", visits)

    talk: dict[tuple[str, str], list[float]] = defaultdict(list)
    for v in engine.visits:
        if v.talk_ms >= 0 and v.ended_ms >= 0:
            bucket = _ts(v.ended_ms - v.ended_ms % 60_000).isoformat()
            talk[(v.queue.dn, bucket)].append(v.talk_ms / 1000)
    kpis = []
    for row in kpi_1m(engine.visits, start_ms - start_ms % 60_000, end_ms + 60_000, PBX):
        bucket = datetime.fromisoformat(row["bucket"].replace("Z", "+00:00"))
        talks = talk.get((row["queue_dn"], bucket.isoformat()), [])
        row["wait_answered_s_sum"] = (row["asa_s"] or 0.0) * row["answered"]
        row["talk_s_sum"] = sum(talks)
        row["talk_count"] = len(talks)
        kpis.append(row)
    _insert(conn, "queue_kpi_1m", kpis)

    latest: dict[tuple[str, int], tuple[str, str, bool, bool]] = {}
    for ms, dn, status, profile, registered, on_call in engine.agent_states:
        latest[(dn, ms)] = (status, profile, registered, on_call)  # last change at one instant
    _insert(conn, "agent_states", [
        {"pbx_id": PBX, "agent_dn": dn, "ts": _ts(ms), "queue_status": status,
         "profile": profile, "registered": registered, "on_call": on_call}
        for (dn, ms), (status, profile, registered, on_call) in latest.items()
    ])  # fmt: skip

    live = []
    for q in engine.queues:
        waiting = [v for v in engine.visits if v.queue is q and v.outcome == "waiting"]
        members = [engine.agents[i] for i in q.agents]
        logged_in = [a for a in members if a.logged_in]
        live.append({
            "pbx_id": PBX, "queue_dn": q.dn, "ts": now, "waiting": len(waiting),
            "longest_wait_s": max(((end_ms - v.entered_ms) / 1000 for v in waiting), default=0.0),
            "talking": sum(1 for a in members if a.call is not None),
            "agents_logged_in": len(logged_in),
            "agents_talking": sum(1 for a in logged_in if a.call is not None),
            "agents_free": sum(
                1 for a in logged_in
                if a.registered and a.profile == "Available" and a.call is None
            ),
        })  # fmt: skip
    _insert(conn, "queue_live", live)
    _insert(conn, "pipeline_health", [
        {"pbx_id": PBX, "component": "live", "ts": now, "poll_latency_ms": 12.0, "polls": 1,
         "rows_written": len(visits)}
    ])  # fmt: skip
    return engine
