"""Forecast and the staffing calculator work in the site's zone: the setting when given, else
the zone stored for the PBX in ``pbx_sites`` (its own, read by ``run sync``/``run live``)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from queuepulse.cli import build_parser
from queuepulse.commands.run_forecast import build_job
from queuepulse.settings import PbxSettings
from queuepulse.store.db import connect
from queuepulse.store.sites import site_zone_name

pytestmark = pytest.mark.db

PBX = "pbx-zone"


def _store(conn: psycopg.Connection[Any], zone: str, source: str) -> None:
    conn.execute(
        "INSERT INTO pbx_sites (pbx_id, time_zone, time_zone_source, updated_at) "
        "VALUES (%s, %s, %s, now()) ON CONFLICT (pbx_id) DO UPDATE SET "
        "time_zone = EXCLUDED.time_zone, time_zone_source = EXCLUDED.time_zone_source",
        (PBX, zone, source))
    conn.commit()


def test_the_stored_zone_is_used_without_a_setting_and_the_setting_wins(
        pg_conn: psycopg.Connection[Any], pg_dsn: str) -> None:
    unset = PbxSettings(pbx_id=PBX)
    with connect(pg_dsn, application_name="test") as conn:
        assert site_zone_name(conn, unset) == "UTC"          # no row yet: UTC
        _store(pg_conn, "Asia/Kolkata", "pbx")
        assert site_zone_name(conn, unset) == "Asia/Kolkata"
        given = PbxSettings(pbx_id=PBX, time_zone="Europe/Berlin")
        assert site_zone_name(conn, given) == "Europe/Berlin"


def test_run_forecast_takes_the_pbx_zone_from_pbx_sites(
        pg_conn: psycopg.Connection[Any], pg_dsn: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUEUEPULSE_PBX__TIME_ZONE", raising=False)
    _store(pg_conn, "America/New_York", "pbx")
    args = build_parser().parse_args(["run", "forecast", "--once", "--dsn", pg_dsn,
                                      "--pbx-id", PBX])
    assert build_job(args)[0].config.time_zone.key == "America/New_York"
    args = build_parser().parse_args(["run", "forecast", "--once", "--dsn", pg_dsn,
                                      "--pbx-id", PBX, "--time-zone", "Europe/Berlin"])
    assert build_job(args)[0].config.time_zone.key == "Europe/Berlin"
