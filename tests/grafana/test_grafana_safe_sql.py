"""The query builders put every template variable in a form no value can break out of."""

from __future__ import annotations

import pytest

from queuepulse.grafana.macros import Variable, interpolate_variables
from queuepulse.grafana.safe_sql import UnsafeSqlError, safe_interpolation
from queuepulse.grafana.sqlquery import SqlQuery, sql
from queuepulse.grafana.variables import queue_variable

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("queue_dn IN ($queue)", "queue_dn = ANY(grafana_values('${queue:percentencode}'))"),
        ("x in ( ${queue:sqlstring} )", "x = ANY(grafana_values('${queue:percentencode}'))"),
        ("x NOT IN ([[queue]])", "x <> ALL(grafana_values('${queue:percentencode}'))"),
        ("s < $sla_target::numeric", "s < grafana_value('${sla_target:percentencode}')::numeric"),
        ("AT TIME ZONE ${tz:sqlstring}", "AT TIME ZONE grafana_value('${tz:percentencode}')"),
        ("c = ${caller}", "c = grafana_value('${caller:percentencode}')"),
        (
            "$__timeFilter(bucket) AND b < $__timeTo() GROUP BY $__timeGroup(bucket, $__interval)",
            "$__timeFilter(bucket) AND b < $__timeTo() GROUP BY $__timeGroup(bucket, $__interval)",
        ),
        ("SELECT 'a''$' || \"Q\" -- $$ x\n", "SELECT 'a''$' || \"Q\" -- $$ x\n"),
    ],
)
def test_variables_are_rewritten_to_the_encoded_form(raw: str, safe: str) -> None:
    assert safe_interpolation(raw) == safe
    assert safe_interpolation(safe) == safe  # idempotent: built JSON read back stays the same


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("x = '$caller'", "string literal"),
        ("x LIKE '%${caller}%'", "string literal"),
        ("x = E'${caller:percentencode}'", "string literal"),
        ('SELECT 1 AS "$caller"', "quoted identifier"),
        ("SELECT 1 -- $caller", "comment"),
        ("SELECT 1 /* ${caller} */", "comment"),
        ("SELECT $q$ $caller $q$", "dollar-quoted"),
        ("x IN (${queue:csv})", "formats other than sqlstring"),
        ("x = ${caller:raw}", "formats other than sqlstring"),
        ("x = ${caller.name}", "field paths"),
        ("x = ${__user.login}", "not allowed"),
        ("x = 'unterminated", "unterminated"),
    ],
)
def test_unsafe_forms_are_refused_with_the_reason(raw: str, reason: str) -> None:
    with pytest.raises(UnsafeSqlError, match=reason):
        safe_interpolation(raw)


def test_every_builder_applies_it() -> None:
    assert "grafana_values('${pbx:percentencode}')" in sql("SELECT 1 WHERE p IN ($pbx)").build(
    ).raw_sql
    assert SqlQuery("SELECT $x").raw_sql == "SELECT grafana_value('${x:percentencode}')"
    back = SqlQuery.from_json(SqlQuery("SELECT $x").to_json())
    assert back.raw_sql == "SELECT grafana_value('${x:percentencode}')"
    query = queue_variable().build().query
    assert isinstance(query, str)
    assert "$pbx" not in query.replace("${pbx:percentencode}", "")


def test_percentencode_leaves_nothing_a_literal_or_macro_could_use() -> None:
    hostile = "a'b\"c$__timeFrom() (x) {y},z; -- /* Zürich %"
    single = interpolate_variables("${v:percentencode}", {"v": Variable("v", hostile)})
    assert set(single) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~%")
    multi = interpolate_variables(
        "${v:percentencode}", {"v": Variable("v", ["8000", "8'1"], multi=True)}
    )
    assert multi == "%7B8000%2C8%271%7D"
