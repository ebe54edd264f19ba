"""Every panel, variable and alert query runs on a real TimescaleDB, as Grafana would run it.

The database is migrated by the project's migrations and filled with the synthetic data set
(tests/grafana/dataset.py); queries are expanded with queuepulse.grafana.macros (Grafana's
PostgreSQL macros and template-variable rules) and executed as a member of the read-only role.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from grafana_dataset import BAD_QUEUE, SAMPLE_CALL_KEY, STALE_PBX, fill_sql
from grafana_runner import (
    NUMERIC,
    TEXT,
    TIME,
    Result,
    expand_panel,
    resolve_variables,
    run,
)

from queuepulse.grafana.alerts import rules_file
from queuepulse.grafana.catalog import (
    NUMERIC_PANELS,
    PanelQuery,
    alert_queries,
    panel_queries,
    variable_defs,
)
from queuepulse.grafana.ids import DATASOURCE_UID
from queuepulse.grafana.macros import expand
from queuepulse.grafana.render import dashboard_documents, panel_ids

pytestmark = pytest.mark.db

# Panels allowed to return no rows with the data set, and why.
MAY_BE_EMPTY: dict[str, str] = {
    "qp-analytics/Offered: this period vs the previous one/B": "the data set holds 3 days, the "
    "30 days before the default 30-day range are empty (test_previous_period_overlay covers it)",
}


@pytest.fixture
def filled(
    pg_conn: psycopg.Connection[Any], pg_reader_dsn: str
) -> Iterator[tuple[psycopg.Connection[Any], datetime]]:
    """The data set in a fresh database; a reader connection and the fill's ``now()``."""
    for statement in fill_sql():
        pg_conn.execute(statement.encode())
    with psycopg.connect(pg_reader_dsn, autocommit=True) as reader:
        now = reader.execute("SELECT now()").fetchone()
        assert now is not None
        yield reader, now[0].astimezone(UTC)


def check_shape(query: PanelQuery, result: Result) -> list[str]:
    """What is wrong with a panel's result for its panel type (empty list: nothing)."""
    problems: list[str] = []
    numeric = [c for c, t in zip(result.columns, result.types, strict=True) if t in NUMERIC]
    if query.fmt == "time_series":
        if "time" not in result.columns:
            problems.append("time_series query without a 'time' column")
        elif result.type_of("time") not in TIME:
            problems.append(f"'time' column is {result.type_of('time')}, not a timestamp")
        others = [c for c in result.columns if c not in ("time", "metric")]
        bad = [c for c in others if result.type_of(c) not in NUMERIC]
        if bad:
            problems.append(f"time_series value columns not numeric: {bad}")
        if "metric" in result.columns and result.type_of("metric") not in TEXT:
            problems.append("'metric' column is not text")
    if query.panel_type in NUMERIC_PANELS and not numeric:
        problems.append(f"{query.panel_type} panel without a numeric column")
    if query.panel_type == "state-timeline":
        if "time" not in result.columns or result.type_of("time") not in TIME:
            problems.append("state timeline needs a timestamp 'time' column")
        if query.partition_by not in result.columns:
            problems.append(f"partition field {query.partition_by!r} missing")
    missing = [n for n in query.override_names if n not in result.columns]
    if missing:
        problems.append(f"field overrides name columns the query lacks: {missing}")
    if len(set(result.columns)) != len(result.columns):
        problems.append(f"duplicate column names: {result.columns}")
    return problems


def all_panel_queries() -> list[PanelQuery]:
    return [q for doc in dashboard_documents().values() for q in panel_queries(doc)]


def run_dashboards(
    reader: psycopg.Connection[Any],
    now: datetime,
    overrides: dict[str, str | list[str]],
    may_be_empty: frozenset[str] = frozenset(),
) -> tuple[int, list[str], dict[str, Result]]:
    count = 0
    failures: list[str] = []
    results: dict[str, Result] = {}
    for document in dashboard_documents().values():
        variables = resolve_variables(reader, variable_defs(document), now, overrides)
        for query in panel_queries(document):
            count += 1
            sql = expand_panel(query, variables, now)
            try:
                result = run(reader, sql)
            except psycopg.Error as exc:
                failures.append(f"{query.label}: {exc}\n{sql}")
                continue
            results[query.label] = result
            failures += [f"{query.label}: {p}" for p in check_shape(query, result)]
            if not result.rows and query.label not in {*MAY_BE_EMPTY, *may_be_empty}:
                failures.append(f"{query.label}: no rows")
    return count, failures, results


def test_every_panel_query_runs_with_all_selected(filled: Any) -> None:
    reader, now = filled
    overrides: dict[str, str | list[str]] = {"call_key": SAMPLE_CALL_KEY}
    count, failures, results = run_dashboards(reader, now, overrides)
    print(f"ran {count} panel queries with every variable on All")
    assert count == len(all_panel_queries()) >= 40
    assert not failures, "\n\n".join(failures)
    # the wall board's table sorts the troubled queue (4 waiting) first
    table = results["qp-wallboard/Queues now/A"]
    first = dict(zip(table.columns, table.rows[0], strict=True))
    assert (first["PBX"], first["Queue"], first["Waiting"]) == (*BAD_QUEUE, 4)
    # the breach list found the troubled queue's bad half hour
    breaches = results["qp-sla/SLA breaches (hours below target)/A"]
    assert any(row[2] == BAD_QUEUE[1] for row in breaches.rows)
    # 3CX's figures sit beside ours
    sla = results["qp-sla/SLA by queue — ours and 3CX's/A"]
    assert all(row[sla.columns.index("3CX received")] for row in sla.rows)


def test_panels_with_one_and_several_queues_selected(filled: Any) -> None:
    reader, now = filled
    _, _, results_one = run_dashboards(
        reader, now, {"pbx": ["pbx-a"], "queue": ["8003"], "call_key": SAMPLE_CALL_KEY}
    )
    assert results_one["qp-wallboard/Calls waiting/A"].rows == [(4,)]
    _, failures, results = run_dashboards(
        reader,
        now,
        {
            "pbx": ["pbx-a", "pbx-b"],
            "queue": ["8000", "8001"],
            "outcome": ["answered", "abandoned"],
            "caller": "O'Brien",
            "min_wait": "0",
            "call_key": SAMPLE_CALL_KEY,
            "tz": "Europe/Berlin",
        },
    )
    # the caller filter is quoted safely (O'Brien) and finds nothing in queues 8000/8001
    assert results["qp-call-history/Queue visits/A"].rows == []
    real = [f for f in failures if "no rows" not in f]
    assert not real, "\n\n".join(real)
    waiting = results["qp-wallboard/Queues now/A"]
    assert {row[1] for row in waiting.rows} == {"8000", "8001"}


def test_variable_queries_list_current_configuration(filled: Any) -> None:
    reader, now = filled
    for document in dashboard_documents().values():
        variables = resolve_variables(reader, variable_defs(document), now)
        if "pbx" in variables:
            assert set(variables["pbx"].options) == {"pbx-a", "pbx-b"}
        if "queue" in variables:
            options = variables["queue"].options
            assert sorted(set(options)) == ["8000", "8001", "8002", "8003", "8004"]
            assert len(options) == len(set(options)), "a queue listed twice"
        if "agent" in variables:
            assert len(variables["agent"].options) == 12


def test_alert_queries_yield_labelled_numbers_and_fire_on_trouble(filled: Any) -> None:
    reader, now = filled
    documents = dashboard_documents()
    rules = rules_file(DATASOURCE_UID, panel_ids(documents))
    firing: dict[str, list[dict[str, Any]]] = {}
    for alert in alert_queries(rules):
        start = now - timedelta(seconds=alert.window_s)
        sql = expand(alert.sql, start=start, end=now).sql
        result = run(reader, sql)
        numeric = [c for c, t in zip(result.columns, result.types, strict=True) if t in NUMERIC]
        labels = [c for c in result.columns if c not in numeric]
        assert len(numeric) == 1, f"{alert.uid}: Grafana needs exactly one value column"
        assert all(result.type_of(c) in TEXT for c in labels), f"{alert.uid}: labels not text"
        assert result.rows, f"{alert.uid}: no rows"
        value_at = result.columns.index(numeric[0])
        fired = []
        for row in result.rows:
            value = float(row[value_at])
            if (alert.op == "gt" and value > alert.threshold) or (
                alert.op == "lt" and value < alert.threshold
            ):
                fired.append(dict(zip(result.columns, row, strict=True)))
        firing[alert.uid] = fired
    bad = {"pbx_id": BAD_QUEUE[0], "queue_dn": BAD_QUEUE[1]}
    for uid in ("qp-sla-below-target", "qp-longest-wait", "qp-abandon-spike", "qp-no-agents"):
        assert [{k: f[k] for k in bad} for f in firing[uid]] == [bad], uid
    assert [f["pbx_id"] for f in firing["qp-pipeline-stale"]] == [STALE_PBX]
    assert [f["pbx_id"] for f in firing["qp-recon-drift"]] == ["pbx-b"]


def test_previous_period_overlay_shifts_onto_the_current_range(filled: Any) -> None:
    reader, now = filled
    document = dashboard_documents()["analytics"]
    variables = resolve_variables(reader, variable_defs(document), now)
    overlay = [q for q in panel_queries(document) if q.panel_title.startswith("Offered: this")]
    start = now - timedelta(days=1)
    times: dict[str, list[datetime]] = {}
    for query in overlay:
        sql = expand(
            query.sql, start=start, end=now, interval=timedelta(hours=1), variables=variables
        ).sql
        result = run(reader, sql)
        assert result.rows, query.label
        times[query.ref_id] = [row[0] for row in result.rows]
    # the previous day, shifted by one day, lands inside the current range
    assert all(start - timedelta(hours=1) <= t <= now for t in times["B"])
    assert len(times["B"]) >= 20
