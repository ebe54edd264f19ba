"""Macro and template-variable expansion, checked against Grafana's own test expectations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from queuepulse.grafana.macros import (
    ALL_VALUE,
    FillMode,
    MacroError,
    Variable,
    expand,
    format_interval,
    format_rfc3339_nano,
    interpolate_macros,
    interpolate_variables,
    parse_interval,
)

pytestmark = pytest.mark.unit

FROM = datetime(2018, 4, 12, 18, 0, tzinfo=UTC)
TO = FROM + timedelta(minutes=5)


def macros(sql: str, timescaledb: bool = False) -> str:
    return interpolate_macros(sql, FROM, TO, timescaledb=timescaledb).sql


# Cases from grafana/pkg/tsdb/grafana-postgresql-datasource/macros_test.go
@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("select $__time(time_column)", 'select time_column AS "time"'),
        ("select min($__time(time_column))", 'select min(time_column AS "time")'),
        (
            "WHERE $__timeFilter(time_column)",
            "WHERE time_column BETWEEN '2018-04-12T18:00:00Z' AND '2018-04-12T18:05:00Z'",
        ),
        ("select $__timeFrom()", "select '2018-04-12T18:00:00Z'"),
        ("select $__timeTo()", "select '2018-04-12T18:05:00Z'"),
        (
            "SELECT $__timeGroup(time_column,'5m'), value",
            'SELECT floor(extract(epoch from time_column)/300)*300 AS "time", value',
        ),
        (
            "SELECT $__timeGroup(time_column,'5m') as time, value",
            "SELECT floor(extract(epoch from time_column)/300)*300 as time, value",
        ),
        (
            "SELECT $__timeGroup(time_column,'5m')",
            "SELECT floor(extract(epoch from time_column)/300)*300",
        ),
        (
            "SELECT $__timeGroupAlias(time_column,'5m')",
            'SELECT floor(extract(epoch from time_column)/300)*300 AS "time"',
        ),
        ("$__timeGroup(time_column , '5m')", "floor(extract(epoch from time_column)/300)*300"),
        (
            "select $__unixEpochFilter(time)",
            f"select time >= {int(FROM.timestamp())} AND time <= {int(TO.timestamp())}",
        ),
        (
            "select $__unixEpochNanoFilter(time)",
            "select time >= 1523556000000000000 AND time <= 1523556300000000000",
        ),
        ("select $__unixEpochNanoFrom()", "select 1523556000000000000"),
        ("select $__unixEpochNanoTo()", "select 1523556300000000000"),
        (
            "SELECT $__unixEpochGroup(time_column+time_adjustment,'5m')",
            "SELECT floor((time_column+time_adjustment)/300)*300",
        ),
        (
            "SELECT $__unixEpochGroupAlias(time_column+time_adjustment,'5m')",
            'SELECT floor((time_column+time_adjustment)/300)*300 AS "time"',
        ),
    ],
)
def test_postgres_macros_match_grafana(sql: str, expected: str) -> None:
    assert macros(sql) == expected


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("GROUP BY $__timeGroup(time_column,'5m')", "GROUP BY time_bucket('300.000s',time_column)"),
        (
            "GROUP BY $__timeGroup(time_column , '5m')",
            "GROUP BY time_bucket('300.000s',time_column)",
        ),
        (
            "GROUP BY $__timeGroup(time_column , '12d')",
            "GROUP BY time_bucket('1036800.000s',time_column)",
        ),
        (
            "GROUP BY $__timeGroup(time_column , '20ms')",
            "GROUP BY time_bucket('0.020s',time_column)",
        ),
    ],
)
def test_timegroup_uses_time_bucket_with_timescaledb(sql: str, expected: str) -> None:
    assert macros(sql, timescaledb=True) == expected


def test_time_filter_keeps_fractional_seconds_like_go() -> None:
    start = datetime(1960, 2, 1, 7, 0, 0, 500_000, tzinfo=UTC)
    assert format_rfc3339_nano(start) == "1960-02-01T07:00:00.5Z"
    berlin_winter = timezone(timedelta(hours=1))
    assert format_rfc3339_nano(datetime(2024, 1, 1, 2, tzinfo=berlin_winter)) == (
        "2024-01-01T01:00:00Z"
    )
    with pytest.raises(MacroError, match="no time zone"):
        format_rfc3339_nano(datetime(2024, 1, 1))


def test_fill_argument_is_reported_not_expanded() -> None:
    result = interpolate_macros("SELECT $__timeGroupAlias(ts, 1m, 0)", FROM, TO)
    assert result.sql == "SELECT time_bucket('60.000s',ts) AS \"time\""
    assert result.fill == FillMode(timedelta(minutes=1), "value", 0.0)
    null_fill = interpolate_macros("$__timeGroup(ts, 1m, NULL)", FROM, TO).fill
    assert null_fill == FillMode(timedelta(minutes=1), "null")


def test_unknown_macro_and_bad_interval_are_errors() -> None:
    with pytest.raises(MacroError, match="unknown macro"):
        macros("SELECT $__nope(x)")
    with pytest.raises(MacroError, match="error parsing interval"):
        macros("SELECT $__timeGroup(x, 5 minutes)")
    with pytest.raises(MacroError, match="missing time column"):
        macros("SELECT $__timeFilter()")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5m", 300), ("1h30m", 5400), ("500ms", 0.5), ("1d", 86400), ("2w", 1209600), ("10s", 10)],
)
def test_parse_interval(text: str, seconds: float) -> None:
    assert parse_interval(text).total_seconds() == seconds


@pytest.mark.parametrize(
    ("interval", "text"),
    [
        (timedelta(minutes=1), "1m"),
        (timedelta(seconds=90), "1m"),
        (timedelta(hours=2), "2h"),
        (timedelta(days=1), "1d"),
        (timedelta(milliseconds=200), "200ms"),
        (timedelta(0), "1ms"),
    ],
)
def test_format_interval_like_gtime(interval: timedelta, text: str) -> None:
    assert format_interval(interval) == text


def test_global_substitutions() -> None:
    sql = "SELECT $__interval_ms, '$__interval', $__unixEpochFrom(), $__unixEpochTo()"
    out = expand(sql, start=FROM, end=TO, interval=timedelta(minutes=10)).sql
    assert out == f"SELECT 600000, '10m', {int(FROM.timestamp())}, {int(TO.timestamp())}"


MULTI = Variable("queue", ["8000", "80'01"], multi=True, include_all=True, options=("a", "b"))


@pytest.mark.parametrize(
    ("sql", "variable", "expected"),
    [
        ("IN ($queue)", MULTI, "IN ('8000','80''01')"),
        ("IN (${queue})", MULTI, "IN ('8000','80''01')"),
        ("IN ([[queue]])", MULTI, "IN ('8000','80''01')"),
        ("'${queue:csv}'", MULTI, "'8000,80'01'"),
        ("IN (${queue:sqlstring})", MULTI, "IN ('8000','80''01')"),
        ("${queue:pipe}", MULTI, "8000|80'01"),
        ("${queue:json}", MULTI, '["8000","80\'01"]'),
        # All without a custom all value: every option, quoted
        ("IN ($queue)", Variable("queue", [ALL_VALUE], True, True, ("1", "2")), "IN ('1','2')"),
        # All with a custom all value: inserted verbatim
        ("$queue", Variable("queue", ALL_VALUE, True, True, ("1",), all_value=".*"), ".*"),
        # single-value text variable: quotes doubled, no quoting added
        ("'%$caller%'", Variable("caller", "O'Brien"), "'%O''Brien%'"),
        ("${caller:sqlstring}", Variable("caller", "O'Brien"), "'O''Brien'"),
        ("${caller:raw}", Variable("caller", "x"), "x"),
        # single selected value of a multi variable: quoted
        ("= $queue", Variable("queue", "8000", multi=True), "= '8000'"),
    ],
)
def test_template_variables_like_postgres_datasource(
    sql: str, variable: Variable, expected: str
) -> None:
    assert interpolate_variables(sql, {variable.name: variable}) == expected


def test_unknown_variables_and_macros_are_left_alone() -> None:
    sql = "WHERE $__timeFilter(ts) AND x = $unknown AND $queue"
    out = interpolate_variables(sql, {"queue": Variable("queue", "1")})
    assert out == "WHERE $__timeFilter(ts) AND x = $unknown AND 1"


def test_full_expansion_of_a_panel_query() -> None:
    sql = (
        "SELECT $__timeGroupAlias(bucket, $__interval), sum(offered) FROM queue_kpi_1m "
        "WHERE $__timeFilter(bucket) AND queue_dn IN ($queue) GROUP BY 1"
    )
    out = expand(sql, start=FROM, end=TO, interval=timedelta(minutes=5), variables={"queue": MULTI})
    assert out.sql == (
        "SELECT time_bucket('300.000s',bucket) AS \"time\", sum(offered) FROM queue_kpi_1m "
        "WHERE bucket BETWEEN '2018-04-12T18:00:00Z' AND '2018-04-12T18:05:00Z' "
        "AND queue_dn IN ('8000','80''01') GROUP BY 1"
    )
