"""``queuepulse report`` on a migrated database with data, run as the reader role: each format
parses back to the figures of the views, and user errors exit 2 with one line."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from openpyxl import load_workbook
from report_data import AUTUMN, PBX, SITE_TZ, fill

from queuepulse.analytics import reports
from queuepulse.analytics.engine import engine_for
from queuepulse.cli import main

pytestmark = pytest.mark.db

RANGE = ["--since", "2026-10-25", "--until", "2026-10-26"]


@pytest.fixture
def reader(pg_conn: psycopg.Connection[Any], pg_reader_dsn: str) -> str:
    """The data set, and the DSN of the reader role."""
    fill(pg_conn)
    return pg_reader_dsn


@pytest.fixture
def expected_60(reader: str) -> Iterator[list[reports.IntervalRow]]:
    engine = engine_for(reader, read_only=True)
    with engine.connect() as conn:
        start, end = reports.local_day_bounds(date(2026, 10, 25), date(2026, 10, 26), SITE_TZ)
        yield reports.interval_report(conn, PBX, ["800", "801"], start, end, 60)
    engine.dispose()


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["report", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, datetime | date) else str(value)


def test_csv_json_and_xlsx_carry_the_figures(
        reader: str, expected_60: list[reports.IntervalRow], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    common = ["interval", *RANGE, "--interval", "60", "--queue", "800,801", "--pbx", PBX,
              "--dsn", reader]
    columns = reports.columns_of(reports.IntervalRow)
    assert len(expected_60) == 50  # 25 hours of the day DST ends, two queues

    code, out, err = _run(capsys, *common, "--format", "csv")
    assert (code, err) == (0, "")
    parsed = list(csv.reader(io.StringIO(out)))
    assert parsed[0] == columns
    assert parsed[1:] == [[_text(getattr(r, c)) for c in columns] for r in expected_60]

    code, out, _ = _run(capsys, *common, "--format", "json")
    document = json.loads(out)
    assert code == 0
    assert (document["report"], document["time_zone"], document["interval_minutes"]) == (
        "interval", SITE_TZ, 60)
    assert document["since"] == "2026-10-25T00:00:00+02:00"
    assert document["until"] == "2026-10-26T00:00:00+01:00"
    assert document["columns"] == columns
    assert document["rows"] == [{c: json.loads(json.dumps(_text(getattr(r, c)) if isinstance(
        getattr(r, c), datetime | date) else getattr(r, c))) for c in columns}
        for r in expected_60]

    book_path = tmp_path / "day.xlsx"
    code, _, err = _run(capsys, *common, "-o", str(book_path))  # format from the suffix
    assert code == 0
    assert err == f"wrote 50 rows to {book_path}\n"
    book = load_workbook(book_path)
    sheet = book["report"]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == columns
    assert len(values) == 51
    first = dict(zip(columns, values[1], strict=True))
    assert first["offered"] == expected_60[0].offered
    assert first["sla_pct"] == pytest.approx(expected_60[0].sla_pct)
    assert first["local_start"] == datetime(2026, 10, 25, 0, 0)
    assert first["interval_start"] == datetime(2026, 10, 24, 22, 0)  # UTC wall time
    assert sum(row[columns.index("offered")] for row in values[1:]) == \
        sum(r.offered for r in expected_60)
    about = dict(book["about"].iter_rows(values_only=True))
    assert (about["report"], about["time_zone"], about["rows"]) == ("interval", SITE_TZ, 50)


def test_table_daily_agents_curves_and_progress(
        reader: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--pbx", PBX, "--dsn", reader, "--since", AUTUMN[0].isoformat(),
              "--until", AUTUMN[1].isoformat()]
    code, out, err = _run(capsys, "daily", *common, "--progress")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == ("daily report, PBX pbx-a, Europe/Berlin: 2026-10-24 to 2026-10-27")
    assert lines[2].split()[:4] == ["local_date", "queue_dn", "hours", "offered"]
    assert [line.split()[:3] for line in lines[3:]] == [
        ["2026-10-24", "800", "24"], ["2026-10-24", "801", "24"],
        ["2026-10-25", "800", "25"], ["2026-10-25", "801", "25"],
        ["2026-10-26", "800", "24"], ["2026-10-26", "801", "24"]]
    assert err.splitlines() == [f"report daily: day {i}/3 2026-10-2{3 + i}" for i in (1, 2, 3)]

    out_file = tmp_path / "agents.json"
    code, _, _ = _run(capsys, "agents", *common, "--agent", "100", "-o", str(out_file))
    rows = json.loads(out_file.read_text())["rows"]
    assert code == 0
    assert [r["local_date"] for r in rows] == ["2026-10-24", "2026-10-25",
                                                             "2026-10-26"]
    assert rows[0]["logged_in_s"] == 8 * 3600
    assert rows[0]["agent_name"] == "Ada Agent"

    code, out, _ = _run(capsys, "abandons", *common, "--queue", "800", "--format", "csv")
    bands = list(csv.DictReader(io.StringIO(out)))
    assert code == 0
    assert [int(b["wait_from_s"]) for b in bands] == list(range(0, 130, 10))
    assert bands[-1]["wait_to_s"] == ""
    assert float(bands[-1]["cumulative_pct"]) == 100.0

    code, out, _ = _run(capsys, "service-level", *common, "--format", "json")
    points = json.loads(out)["rows"]
    assert code == 0
    assert len(points) == 24
    assert all(0 <= p["service_level_pct"] <= 100 for p in points)


def test_the_reader_dsn_setting_is_the_default(
        reader: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("QUEUEPULSE_DB__READER_DSN", reader)
    monkeypatch.setenv("QUEUEPULSE_DB__DSN", "host=127.0.0.1 port=1 dbname=nowhere")
    monkeypatch.setenv("QUEUEPULSE_PBX__PBX_ID", PBX)
    code, out, _ = _run(capsys, "daily", *RANGE, "--format", "csv", "--tz", "UTC")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["local_date"], r["time_zone"], r["hours"]) for r in rows] == [
        ("2026-10-25", "UTC", "24.0")] * 2


# (arguments, part of the one error line)
USER_ERRORS = [
    (["daily", "--since", "2026-10-25", "--until", "2026-10-25"],
     "--until 2026-10-25T00:00:00+02:00 is not after --since 2026-10-25T00:00:00+02:00"),
    (["daily", "--since", "2026-10-26", "--until", "2026-10-25"], "is not after --since"),
    (["interval", *RANGE, "--queue", "800,999"], "unknown queue 999 on PBX 'pbx-a' "
                                                 "(known: 800, 801)"),
    (["agents", *RANGE, "--agent", "555"], "unknown agent 555"),
    (["daily", *RANGE, "--tz", "Europe/Nowhere"], "unknown time zone 'Europe/Nowhere'"),
    (["daily", *RANGE, "--pbx", "other"], "unknown PBX 'other'"),
    (["daily", *RANGE, "--format", "pdf"], "unknown --format 'pdf': use table, csv, json or "
                                           "xlsx"),
    (["daily", *RANGE, "--format", "xlsx"], "--format xlsx needs -o FILE"),
    (["interval", *RANGE, "--interval", "45"], "--interval must be 15, 30 or 60"),
    (["interval", "--since", "2026-10-25T10:10", "--until", "2026-10-26", "--interval", "30"],
     "is not on a 30-minute boundary"),
    (["daily", "--since", "2026-10-25T10:00", "--until", "2026-10-26"],
     "is not a local midnight in Europe/Berlin"),
    (["daily", "--since", "yesterday"], "--since 'yesterday' is not a date"),
    (["agents", *RANGE, "--tz", "UTC"], "cut in the site's local days (Europe/Berlin)"),
]


def test_user_errors_exit_2_with_one_line(
        reader: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("QUEUEPULSE_PBX__PBX_ID", PBX)
    for args, message in USER_ERRORS:  # one database for all of them
        code, out, err = _run(capsys, *args, "--dsn", reader)
        assert (code, out) == (2, ""), args
        assert len(err.splitlines()) == 1, (args, err)
        assert err.startswith("queuepulse: error: "), (args, err)
        assert message in err, (args, err)


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["report", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert exited.value.code == 0
    for word in ("interval", "daily", "agents", "abandons", "service-level", "reader role",
                 "site time zone", "exclusive"):
        assert word in text, word
    with pytest.raises(SystemExit):
        main(["report", "interval", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for word in ("--interval 15|30|60", "--tz ZONE", "table (aligned text", "xlsx needs -o",
                 "QUEUEPULSE_DB__READER_DSN", "--progress", "--queue DN"):
        assert word in text, word


def test_vs_3cx_lists_the_3cx_periods_of_the_range_beside_ours(
        reader: str, pg_conn: psycopg.Connection[Any],
        capsys: pytest.CaptureFixture[str]) -> None:
    pg_conn.execute(
        "INSERT INTO pbx_queue_reports (pbx_id, report, queue_dn, period_from, period_to, "
        "fetched_at, received_count, answered_count, abandoned_count, bad_sla_count, sla_pct) "
        "VALUES (%s, 'StatisticSla', '800', '2026-10-25 08:00+01', '2026-10-25 12:00+01', "
        "now(), 40, 30, 10, 5, 87.5)", (PBX,))
    pg_conn.commit()
    common = ["--pbx", PBX, "--since", "2026-10-25", "--until", "2026-10-26", "--dsn", reader]
    code, out, _ = _run(capsys, "vs-3cx", *common, "--format", "json")
    rows = json.loads(out)["rows"]
    assert code == 0
    assert len(rows) == 1
    assert (rows[0]["queue_dn"], rows[0]["pbx_received"], rows[0]["pbx_sla_pct"]) == (
        "800", 40, 87.5)
    assert rows[0]["offered_diff"] == rows[0]["our_offered"] - 40
    code, out, _ = _run(capsys, "vs-3cx", *common)
    assert code == 0
    assert "3cx_received" in out
    assert "our_offered" in out
    assert "2026-10-25 08:00" in out
    code, out, _ = _run(capsys, "vs-3cx", "--since", "2026-10-26", "--until", "2026-10-27",
                        "--pbx", PBX, "--dsn", reader, "--format", "csv")
    assert code == 0
    assert len(out.strip().splitlines()) == 1
