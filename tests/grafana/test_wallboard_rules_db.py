"""Staffing on the wall board: counted once per agent, with the flow's own rule.

The live flow's step (:class:`~queuepulse.live.pbx_step.PbxStepper`) turns a Queues/Users fetch
and a poll into rows, the shared writer stores them, and the wall board's own queries read them:
an agent in two queues counts once at PBX level; a site that adds ``Away`` to
``available_profiles`` sees that agent free on the board *and* in the flow's per-queue gauges.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from grafana_runner import expand_panel, resolve_variables, run

from queuepulse.domain.rules import Rules
from queuepulse.domain.snapshot import Poll
from queuepulse.grafana.catalog import panel_queries, variable_defs
from queuepulse.grafana.render import dashboard_documents
from queuepulse.live.items import ConfigItem, PollItem
from queuepulse.live.pbx_step import PbxStepper
from queuepulse.store.writers import BatchWriter

pytestmark = pytest.mark.db

QUEUES = (
    {"Number": "800", "Name": "Sales", "Agents": [{"Number": "101"}, {"Number": "102"}]},
    {"Number": "801", "Name": "Support", "Agents": [{"Number": "101"}, {"Number": "103"},
                                                    {"Number": "104"}]},
)
USERS = (
    # 101 is in both queues and free; 102 logged in on a break profile
    {"Number": "101", "QueueStatus": "LoggedIn", "CurrentProfileName": "Available",
     "IsRegistered": True},
    {"Number": "102", "QueueStatus": "LoggedIn", "CurrentProfileName": "Away",
     "IsRegistered": True},
    {"Number": "103", "QueueStatus": "LoggedOut", "CurrentProfileName": "Available",
     "IsRegistered": True},
    {"Number": "104", "QueueStatus": "LoggedIn", "CurrentProfileName": "Available",
     "IsRegistered": False},
)


def _fill(dsn: str, rules: Rules) -> None:
    now = datetime.now(UTC)
    stepper = PbxStepper(rules, clock=lambda: now.timestamp())
    rows: dict[str, list[object]] = {}
    state = None
    # the declared poll interval (1 h) keeps the PBX live while the test reads it
    for item in (ConfigItem("p1", now, QUEUES, USERS),
                 PollItem(Poll("p1", now, ()), latency_ms=2.0, interval_s=3600.0)):
        state, out = stepper(state, item)
        for table, row in out.rows:
            rows.setdefault(table, []).append(row)
    writer = BatchWriter.from_dsn(dsn)
    try:
        writer.write(rows)
    finally:
        writer.close()


def _wallboard(reader_dsn: str) -> dict[str, Any]:
    document = dashboard_documents()["wallboard"]
    with psycopg.connect(reader_dsn, autocommit=True) as reader:
        row = reader.execute("SELECT now()").fetchone()
        assert row is not None
        now = row[0].astimezone(UTC)
        variables = resolve_variables(reader, variable_defs(document), now)
        results = {}
        for query in panel_queries(document):
            results[query.panel_title] = run(reader, expand_panel(query, variables, now))
    return results


def _first(result: Any) -> dict[str, Any]:
    return dict(zip(result.columns, result.rows[0], strict=True))


@pytest.mark.parametrize(("profiles", "free", "away", "free_per_queue"), [
    (("Available",), 1, 1, {"800": 1, "801": 1}),
    (("Available", "Away"), 2, 0, {"800": 2, "801": 1}),
])
def test_staffing_counts_each_agent_once_with_the_flows_rule(
    pg_dsn: str, pg_reader_dsn: str, profiles: tuple[str, ...], free: int, away: int,
    free_per_queue: dict[str, int],
) -> None:
    _fill(pg_dsn, Rules(available_profiles=profiles))
    board = _wallboard(pg_reader_dsn)
    assert _first(board["Live data"]) == {"PBX": "p1", "Stale for": 0}
    # 101 is free in both queues: once at PBX level (the old per-queue sum said 2 or 3)
    assert _first(board["Agents free"]) == {"Agents free": free}
    assert _first(board["Agents"]) == {"Talking": 0, "Away": away, "Logged out": 1,
                                       "Offline": 1}
    queues = board["Queues now"]
    per_queue = {r[queues.columns.index("Queue")]: r[queues.columns.index("Free")]
                 for r in queues.rows}
    assert per_queue == free_per_queue
    agents = board["Agents now"]
    states = {r[agents.columns.index("Agent")]: r[agents.columns.index("State")]
              for r in agents.rows}
    assert states == {"101": "free", "102": "away" if away else "free", "103": "logged out",
                      "104": "offline"}
    # the dashboard and the flow agree: the flow's own per-queue gauge (queue_live)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        gauges = dict(conn.execute(
            "SELECT queue_dn, agents_free FROM queue_live WHERE pbx_id = 'p1'").fetchall())
    assert gauges == per_queue


def test_waiting_list_takes_extra_columns_and_joins(pg_dsn: str, pg_reader_dsn: str) -> None:
    from queuepulse.grafana.boards.wallboard import waiting_list_sql
    from queuepulse.grafana.macros import expand

    _fill(pg_dsn, Rules())
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO queue_calls (pbx_id, call_key, queue_dn, entered_at, outcome) "
                     "VALUES ('p1', 'k1', '800', now() - interval '12 seconds', 'waiting')")
    text = waiting_list_sql(
        ['x.expected_s AS "Expected wait"'],
        ["LEFT JOIN (VALUES ('p1', '800', 42.0)) x(pbx_id, queue_dn, expected_s) "
         "ON x.pbx_id = w.pbx_id AND x.queue_dn = w.queue_dn"],
    )
    document = dashboard_documents()["wallboard"]
    with psycopg.connect(pg_reader_dsn, autocommit=True) as reader:
        now = datetime.now(UTC)
        variables = resolve_variables(reader, variable_defs(document), now)
        result = run(reader, expand(text, start=now, end=now, variables=variables).sql)
    [row] = [dict(zip(result.columns, r, strict=True)) for r in result.rows]
    assert (row["Queue"], row["Position"], row["Call"], row["Expected wait"]) == (
        "800", 1, "k1", 42.0)
    assert row["Waiting"] >= 12
