"""Panels on a simulator run: every query runs, and the numbers are the model's ground truth."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from grafana_runner import expand_panel, resolve_variables, run
from grafana_simulated import HOURS, PBX, fill_from_simulator
from test_grafana_queries_db import check_shape

from queuepulse.grafana.catalog import panel_queries, variable_defs
from queuepulse.grafana.render import dashboard_documents

pytestmark = pytest.mark.db


def test_panels_show_the_simulators_ground_truth(
    pg_conn: psycopg.Connection[Any], pg_reader_dsn: str
) -> None:
    row = pg_conn.execute("SELECT now()").fetchone()
    assert row is not None
    now = row[0].astimezone(UTC)
    engine = fill_from_simulator(pg_conn, now)
    assert len(engine.visits) > 500

    failures: list[str] = []
    results = {}
    with psycopg.connect(pg_reader_dsn, autocommit=True) as reader:
        for document in dashboard_documents().values():
            variables = resolve_variables(reader, variable_defs(document), now)
            for query in panel_queries(document):
                sql = expand_panel(query, variables, now)
                try:
                    result = run(reader, sql)
                except psycopg.Error as exc:
                    failures.append(f"{query.label}: {exc}")
                    continue
                results[query.label] = result
                failures += [f"{query.label}: {p}" for p in check_shape(query, result)]
    assert not failures, "\n".join(failures)
    print(f"{len(results)} panel queries on {len(engine.visits)} simulated visits ({HOURS} h)")

    # queue detail, "Queues over the period" (24 h covers the whole run): offered and SLA % per
    # queue equal the truth computed here straight from the model's visits
    table = results["qp-queue-detail/Queues over the period/A"]
    by_queue = {r[table.columns.index("Queue")]: r for r in table.rows}
    offered = Counter(v.queue.dn for v in engine.visits)
    for q in engine.queues:
        row = by_queue[q.dn]
        assert row[table.columns.index("PBX")] == PBX
        assert row[table.columns.index("Offered")] == offered[q.dn], q.dn
        visits = [v for v in engine.visits if v.queue is q]
        in_sla = sum(1 for v in visits if v.answered_ms >= 0 and v.wait_ms <= v.sla_s * 1000)
        answered = sum(1 for v in visits if v.answered_ms >= 0)
        abandoned = [v for v in visits if v.outcome == "abandoned"]
        short = sum(1 for v in abandoned if v.wait_ms <= 5000)
        denominator = answered + len(abandoned) - short
        expected = round(100.0 * in_sla / denominator, 1) if denominator else None
        got = row[table.columns.index("SLA %")]
        assert (float(got) if got is not None else None) == expected, q.dn

    # wall board: calls waiting now is the model's waiting line
    waiting = results["qp-wallboard/Calls waiting/A"].rows[0][0]
    assert waiting == sum(1 for v in engine.visits if v.outcome == "waiting")
    # agent ranking: answered per agent (12 h range covers the run)
    ranking = results["qp-agents/Agent ranking/A"]
    answered_by = Counter(v.agent_dn for v in engine.visits if v.outcome == "answered")
    got_answered = {r[0].split(" ")[0]: r[ranking.columns.index("Answered")] for r in ranking.rows}
    assert {dn: n for dn, n in got_answered.items() if n} == dict(answered_by)


def test_simulated_fill_is_deterministic(pg_conn: psycopg.Connection[Any]) -> None:
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    first = fill_from_simulator(pg_conn, now)
    counts = pg_conn.execute("SELECT count(*), sum(offered) FROM queue_kpi_1m").fetchone()
    assert counts is not None
    assert counts[1] == len(first.visits)
