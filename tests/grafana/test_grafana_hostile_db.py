"""Hostile template-variable values cannot change any panel, variable or alert query.

Anyone who can open a dashboard can set any variable through the URL (``?var-sla_target=...``).
For every variable of every dashboard and every hostile value below, each query that uses the
variable is expanded the way Grafana does (queuepulse.grafana.macros: template variables, then
the datasource's macros over the whole text) and run on the real database as the reader role:

- its token structure outside string literals is the same as with the default values (no
  value adds a UNION, a statement, a comment, or ends a literal early);
- it either returns the same columns as with the default values, or fails with a data error
  (SQLSTATE class 22, e.g. "invalid input syntax for type numeric") — never a syntax error or
  a different query.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from grafana_dataset import SAMPLE_CALL_KEY, fill_sql
from grafana_runner import expand_panel, resolve_variables, run

from queuepulse.grafana.alerts import rules_file
from queuepulse.grafana.catalog import alert_queries, panel_queries, variable_defs
from queuepulse.grafana.ids import DATASOURCE_UID
from queuepulse.grafana.macros import Variable, expand, interpolate_variables
from queuepulse.grafana.render import dashboard_documents, panel_ids

pytestmark = pytest.mark.db

HOSTILE: tuple[str, ...] = (
    "80 UNION SELECT caller FROM queue_calls",
    "0) UNION SELECT caller, caller FROM queue_calls --",
    "' OR '1'='1",
    "x'; DROP TABLE queue_calls; --",
    "1; SELECT pg_sleep(10)",
    "80 -- comment",
    "80 /* comment",
    "*/ OR true /*",
    "\\' OR true --",
    "$__timeFrom()) UNION SELECT caller FROM queue_calls --",
    "${queue} $pbx [[agent]]",
    "1e999999",
    "9" * 500,
    "-1",
    "",
    "%27 OR 1=1",
    "Zürich'\n UNION SELECT 1",
)
"""Quotes, UNION, ``;``, comments, macros, other variables, huge numbers, encodings."""

_TOKEN = re.compile(
    r"""\s+|'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|\$\w*\$|\w+|\S""", re.S
)


def skeleton(sql: str) -> list[str]:
    """The SQL's tokens with every string literal replaced by ``'?'`` (whitespace dropped).

    Written independently of queuepulse.grafana.safe_sql: a standard-conforming SQL lexer for
    literals, quoted identifiers, comments and dollar quotes.
    """
    tokens: list[str] = []
    for match in _TOKEN.finditer(sql):
        token = match.group(0)
        if token.isspace():
            continue
        tokens.append("'?'" if token.startswith("'") and len(token) > 1 else token)
    return tokens


@pytest.fixture
def filled(
    pg_conn: psycopg.Connection[Any], pg_reader_dsn: str
) -> Iterator[tuple[psycopg.Connection[Any], datetime]]:
    """The Grafana data set, a reader connection and the fill's ``now()``."""
    for statement in fill_sql():
        pg_conn.execute(statement.encode())
    with psycopg.connect(pg_reader_dsn, autocommit=True) as reader:
        now = reader.execute("SELECT now()").fetchone()
        assert now is not None
        yield reader, now[0].astimezone(UTC)


def _uses(sql: str, name: str) -> bool:
    return re.search(r"\$\{" + name + r"[:}]|\$" + name + r"\b|\[\[" + name, sql) is not None


def _outcome(reader: psycopg.Connection[Any], sql: str) -> tuple[list[str] | None, str]:
    """(columns, "") on success, (None, SQLSTATE) on a database error."""
    try:
        return run(reader, sql).columns, ""
    except psycopg.Error as exc:
        return None, exc.sqlstate or "?"


def test_hostile_values_leave_every_query_unchanged(filled: Any) -> None:
    reader, now = filled
    base_overrides: dict[str, str | list[str]] = {"call_key": SAMPLE_CALL_KEY}
    checked = 0
    failures: list[str] = []
    clean_failures: dict[str, int] = {}
    for document in dashboard_documents().values():
        definitions = variable_defs(document)
        queries = list(panel_queries(document))
        baseline = resolve_variables(reader, definitions, now, base_overrides)
        expected = {}
        for query in queries:
            sql = expand_panel(query, baseline, now)
            columns, state = _outcome(reader, sql)
            assert columns is not None, f"{query.label} fails with default values ({state})"
            expected[query.label] = (skeleton(sql), columns)
        for definition in definitions:
            for value in HOSTILE:
                chosen: str | list[str] = [value] if definition.multi else value
                overrides = {**base_overrides, definition.name: chosen}
                variables = resolve_variables(reader, definitions, now, overrides)
                # later variables' queries (e.g. $queue's list uses $pbx) saw the hostile value
                for later in definitions:
                    if later.kind == "query" and _uses(later.query, definition.name):
                        sql = expand(later.query, start=now, end=now, variables=variables).sql
                        clean = expand(later.query, start=now, end=now, variables=baseline).sql
                        checked += 1
                        if skeleton(sql) != skeleton(clean):
                            failures.append(f"variable ${later.name} with {value!r}:\n{sql}")
                for query in queries:
                    if not _uses(query.sql, definition.name):
                        continue
                    checked += 1
                    sql = expand_panel(query, variables, now)
                    tokens, columns_before = expected[query.label]
                    where = f"{query.label} with ${definition.name} = {value!r}"
                    if skeleton(sql) != tokens:
                        failures.append(f"{where}: the statement changed:\n{sql}")
                        continue
                    columns, state = _outcome(reader, sql)
                    if columns is None:
                        if not state.startswith("22"):
                            failures.append(f"{where}: failed with SQLSTATE {state}, not a "
                                            "data error")
                        clean_failures[state] = clean_failures.get(state, 0) + 1
                    elif columns != columns_before:
                        failures.append(f"{where}: columns {columns} != {columns_before}")
    print(f"checked {checked} hostile expansions; clean data errors: {clean_failures}")
    assert checked >= 1000
    assert not failures, "\n\n".join(failures[:20])
    # the numeric variables really were tried with garbage: they fail the cast, cleanly
    assert clean_failures.get("22P02", 0) > 0  # invalid input syntax for type numeric
    assert clean_failures.get("22003", 0) > 0  # numeric field overflow (1e999999)


def test_alert_queries_take_no_template_variables(filled: Any) -> None:
    """Alert rules run without a dashboard: no variable may appear, so none can be abused."""
    reader, now = filled
    rules = rules_file(DATASOURCE_UID, panel_ids(dashboard_documents()))
    hostile = {
        name: Variable(name, HOSTILE[1])
        for name in ("pbx", "queue", "agent", "sla_target", "congestion_wait", "tz", "caller")
    }
    count = 0
    for alert in alert_queries(rules):
        count += 1
        plain = expand(alert.sql, start=now, end=now).sql
        assert expand(alert.sql, start=now, end=now, variables=hostile).sql == plain, alert.uid
        assert not re.search(r"\$(?!__)\w|\$\{|\[\[", plain), f"{alert.uid}: {plain}"
        assert run(reader, plain).columns
    assert count >= 6


def test_the_check_catches_the_unsafe_forms(filled: Any) -> None:
    """The checks above can fail: the forms the builder rewrites would have been injectable."""
    reader, now = filled
    union = Variable("sla_target", "80 UNION SELECT caller::numeric FROM queue_calls")
    old = "SELECT sum(offered) FROM queue_kpi_1m HAVING sum(offered) < $sla_target"
    raw = expand(old, start=now, end=now, variables={"sla_target": union}).sql
    assert skeleton(raw) != skeleton(expand(old, start=now, end=now).sql)
    # :sqlstring is not enough: the macro engine runs after interpolation, inside literals too
    breakout = Variable("caller", "$__timeFrom()) UNION SELECT caller FROM queue_calls --")
    quoted = "SELECT count(*) FROM queue_calls WHERE caller = ${caller:sqlstring}"
    sql = expand(quoted, start=now, end=now, variables={"caller": breakout}).sql
    assert "UNION SELECT caller" in sql
    assert skeleton(sql) != skeleton(
        expand(quoted, start=now, end=now, variables={"caller": Variable("caller", "x")}).sql
    )
    with pytest.raises(psycopg.Error):
        run(reader, sql)


def test_grafana_value_decodes_what_grafana_encodes(pg_reader_dsn: str) -> None:
    values = ["", "8000", "O'Brien +44", "Zürich/Europe", "a,b {c}", "%41", "\\'; --", "日本"]
    with psycopg.connect(pg_reader_dsn, autocommit=True) as reader:
        for value in values:
            encoded = interpolate_variables("${v:percentencode}", {"v": Variable("v", value)})
            row = reader.execute("SELECT grafana_value(%s)", (encoded,)).fetchone()
            assert row == (value,)
        many = interpolate_variables(
            "${v:percentencode}", {"v": Variable("v", ["8000", "O'Brien", ""], multi=True)}
        )
        row = reader.execute("SELECT grafana_values(%s)", (many,)).fetchone()
        assert row == (["8000", "O'Brien", ""],)
        for broken in ("%", "%4", "%zz", "%C3"):
            with pytest.raises(psycopg.DataError) as caught:
                reader.execute("SELECT grafana_value(%s)", (broken,))
            assert (caught.value.sqlstate or "").startswith("22"), broken


def test_decoding_is_folded_into_constants_when_planning(
    pg_conn: psycopg.Connection[Any], pg_reader_dsn: str
) -> None:
    """The safe form costs nothing at run time: the plan holds the decoded values."""
    pg_conn.execute("INSERT INTO queue_kpi_1m (pbx_id, queue_dn, bucket, offered) "
                    "VALUES ('pbx-a', '8000', now(), 1)")
    with psycopg.connect(pg_reader_dsn, autocommit=True) as reader:
        plan = "\n".join(r[0] for r in reader.execute(
            "EXPLAIN SELECT * FROM queue_kpi_1m WHERE queue_dn = ANY(grafana_values("
            "'%7B8000%2C8001%7D')) AND pbx_id = grafana_value('pbx-a')").fetchall())
    assert "grafana_value" not in plan, plan
    assert "'{8000,8001}'::text[]" in plan, plan
