"""Per-queue targets: `queuepulse targets` edits queue_targets; alert rules read it at run time."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import psycopg
import pytest

from queuepulse.cli import main
from queuepulse.domain.targets import TargetError, validate_targets
from queuepulse.grafana.alerts import rules_file
from queuepulse.grafana.catalog import alert_queries
from queuepulse.grafana.ids import DATASOURCE_UID
from queuepulse.grafana.macros import expand
from queuepulse.grafana.render import dashboard_documents, panel_ids

pytestmark = pytest.mark.db


def _queues(conn: psycopg.Connection[Any]) -> None:
    conn.execute(
        "INSERT INTO queues (pbx_id, queue_dn, valid_from, name, sla_time_s) VALUES "
        "('p1', '800', now() - interval '1 day', 'Sales', 30), "
        "('p1', '801', now() - interval '1 day', 'Support', NULL)")


def _targets(conn: psycopg.Connection[Any]) -> dict[str, tuple[Any, ...]]:
    rows = conn.execute(
        "SELECT queue_dn, sla_target_pct, sla_time_s, longest_wait_alert_s, abandon_alert_pct, "
        "overridden FROM queue_targets_effective ORDER BY queue_dn").fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


def test_set_list_reset_and_defaults(pg_conn: psycopg.Connection[Any], pg_dsn: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    _queues(pg_conn)
    # defaults: 80 %, the queue's SLATime else 20 s, 90 s, 25 %
    assert _targets(pg_conn) == {"800": (80.0, 30, 90.0, 25.0, False),
                                 "801": (80.0, 20, 90.0, 25.0, False)}
    assert main(["targets", "set", "--dsn", pg_dsn, "--pbx", "p1", "--queue", "800",
                 "--sla-target-pct", "90", "--sla-time-s", "15"]) == 0
    assert main(["targets", "set", "--dsn", pg_dsn, "--default",
                 "--longest-wait-alert-s", "120"]) == 0
    assert _targets(pg_conn) == {"800": (90.0, 15, 120.0, 25.0, True),
                                 "801": (80.0, 20, 120.0, 25.0, False)}
    # 'default' drops one own value; the others stay
    assert main(["targets", "set", "--dsn", pg_dsn, "--pbx", "p1", "--queue", "800",
                 "--sla-time-s", "default"]) == 0
    assert _targets(pg_conn)["800"] == (90.0, 30, 120.0, 25.0, True)
    capsys.readouterr()
    assert main(["targets", "list", "--dsn", pg_dsn, "--pbx", "p1"]) == 0
    out = capsys.readouterr().out
    assert "800 *" in out
    assert "90 %" in out
    assert "(defaults)" in out
    assert main(["targets", "reset", "--dsn", pg_dsn, "--pbx", "p1", "--queue", "800"]) == 0
    assert _targets(pg_conn)["800"] == (80.0, 30, 120.0, 25.0, False)


@pytest.mark.parametrize(("argv", "message"), [
    (["--queue", "800", "--sla-target-pct", "150"], "--sla-target-pct must be >= 0 and <= 100"),
    (["--queue", "800", "--longest-wait-alert-s", "-5"], "--longest-wait-alert-s must be > 0"),
    (["--queue", "800", "--sla-time-s", "12.5"], "whole number"),
    (["--queue", "999", "--sla-target-pct", "85"], "unknown queue '999' on PBX 'p1'"),
    (["--queue", "800"], "no target given"),
])
def test_bad_input_is_one_clear_error_and_nothing_written(
    pg_conn: psycopg.Connection[Any], pg_dsn: str, capsys: pytest.CaptureFixture[str],
    argv: list[str], message: str,
) -> None:
    _queues(pg_conn)
    before = pg_conn.execute("SELECT count(*), max(updated_at) FROM queue_targets").fetchone()
    assert main(["targets", "set", "--dsn", pg_dsn, "--pbx", "p1", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert message in err[0], err
    after = pg_conn.execute("SELECT count(*), max(updated_at) FROM queue_targets").fetchone()
    assert after == before


def test_validation_lists_every_problem() -> None:
    with pytest.raises(TargetError, match=r"sla-target-pct.*abandon-alert-pct"):
        validate_targets({"sla_target_pct": 101.0, "abandon_alert_pct": -1.0})
    with pytest.raises(TargetError, match="unknown target"):
        validate_targets({"sla_pct": 80.0})


def test_sql_edits_are_checked_too(pg_conn: psycopg.Connection[Any]) -> None:
    _queues(pg_conn)
    with pytest.raises(psycopg.errors.CheckViolation):
        pg_conn.execute("INSERT INTO queue_targets (pbx_id, queue_dn, sla_target_pct) "
                        "VALUES ('p1', '800', 150)")


def test_target_edits_change_alert_results_without_a_rebuild(
    pg_conn: psycopg.Connection[Any], pg_dsn: str, pg_reader_dsn: str,
) -> None:
    _queues(pg_conn)
    # queue 800: 10 finished calls in the last 10 minutes, 8 in SLA (80 %), 1 abandoned (10 %)
    pg_conn.execute(
        "INSERT INTO queue_kpi_1m (pbx_id, queue_dn, bucket, offered, answered, abandoned, "
        "answered_in_sla) SELECT 'p1', '800', date_trunc('minute', now()) - m * interval "
        "'1 minute', 1, CASE WHEN m = 0 THEN 0 ELSE 1 END, CASE WHEN m = 0 THEN 1 ELSE 0 END, "
        "CASE WHEN m BETWEEN 1 AND 8 THEN 1 ELSE 0 END FROM generate_series(0, 9) m")
    rules = {a.uid: a for a in alert_queries(
        rules_file(DATASOURCE_UID, panel_ids(dashboard_documents())))}

    def firing(uid: str) -> list[str]:
        alert = rules[uid]
        with psycopg.connect(pg_reader_dsn, autocommit=True) as reader:
            now_row = reader.execute("SELECT now()").fetchone()
            assert now_row is not None
            now = now_row[0].astimezone(UTC)
            text = expand(alert.sql, start=now - timedelta(seconds=alert.window_s), end=now).sql
            rows = reader.execute(text.encode()).fetchall()
        fired = []
        for row in rows:
            value = float(row[-1])
            if (alert.op == "lt" and value < alert.threshold) or (
                    alert.op == "gt" and value > alert.threshold):
                fired.append(row[1])
        return fired

    # SLA 80 % (8 in SLA of 9 answered + 1 abandoned) against 80 %: quiet; against 95 %: fires
    assert firing("qp-sla-below-target") == []
    assert main(["targets", "set", "--dsn", pg_dsn, "--pbx", "p1", "--queue", "800",
                 "--sla-target-pct", "95"]) == 0
    assert firing("qp-sla-below-target") == ["800"]
    # abandon 10 % against 25 %: quiet; against 5 %: fires
    assert firing("qp-abandon-spike") == []
    assert main(["targets", "set", "--dsn", pg_dsn, "--default", "--abandon-alert-pct", "5"]) == 0
    assert firing("qp-abandon-spike") == ["800"]
