"""Helpers of the live-flow end-to-end tests: record a manual-clock simulator, replay into a
database, dump tables for comparison."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from simrecord import SimRecording, record_simulation, write_records

from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.faults import parse_fault_spec
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import run_simulator

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

#: Columns whose values depend on the run, not on the input (excluded from exact compares):
#: wall time, and what the sink's commits went through (rows per commit, failed attempts).
WALL_COLUMNS = {"updated_at", "lag_s", "poll_latency_ms", "created_at", "inserted_at",
                "rows_written", "write_errors"}

COMPARED_TABLES = (
    "call_events", "queue_calls", "queue_kpi_1m", "entry_queue_kpi_1m", "queue_live",
    "agent_states", "pipeline_health", "queues", "agents", "queue_agents",
)


def record(
    path: Path, *, seed: int, seconds: float, faults: str = "", answered_callee: str = "queue",
    queues: int = 4, agents: int = 16, calls_per_min: float = 3.0, timeout_s: float = 5.0,
) -> tuple[SimRecording, list[dict[str, Any]], list[dict[str, Any]]]:
    """Record ``seconds`` of a seeded simulator (after 5 minutes of warm-up) into ``path``;
    return the recording, the truth visits and the truth KPIs."""
    model = ModelConfig(seed=seed, queues=queues, agents=agents,
                        calls_per_min_per_queue=calls_per_min,
                        answered_callee=answered_callee)  # type: ignore[arg-type]
    config = SimulatorConfig(model=model, start=START, manual_clock=True, pbx_id="sim",
                             warmup_s=300, faults=parse_fault_spec(faults) if faults else (),
                             fault_seed=seed)
    with run_simulator(config) as sim:
        rec = record_simulation(sim, seconds, pbx_id="sim", timeout_s=timeout_s)
        visits = sim.truth.visits()
        kpis = sim.truth.kpi_1m()
    write_records(rec.records, path)
    return rec, visits, kpis


def table_columns(
    conn: psycopg.Connection[Any], table: str, exclude: frozenset[str] = frozenset()
) -> list[str]:
    """The table's columns minus the wall-time ones and ``exclude``, in table order."""
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name = %s ORDER BY ordinal_position", (table,)).fetchall()
    return [r[0] for r in rows if r[0] not in WALL_COLUMNS and r[0] not in exclude]


def dump(
    dsn: str, tables: tuple[str, ...] = COMPARED_TABLES,
    exclude: Mapping[str, frozenset[str]] | None = None,
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of ``tables`` (wall-time columns and ``exclude[table]`` left out), sorted."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with psycopg.connect(dsn) as conn:
        for table in tables:
            cols = table_columns(conn, table, (exclude or {}).get(table, frozenset()))
            if not cols:
                continue
            select = ", ".join(f'"{c}"::text' for c in cols)
            rows = conn.execute(f"SELECT {select} FROM {table}").fetchall()
            out[table] = sorted(rows, key=lambda r: tuple("" if v is None else v for v in r))
    return out
