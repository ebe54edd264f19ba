"""The site time zone (pbx_sites) `run sync` and the live start-up write: the setting, else the
PBX's own office-hours zone read over real HTTP from the simulator, else UTC; a UTC default
never replaces the PBX's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from pydantic import SecretStr

from queuepulse.cli import main
from queuepulse.live.startup import prepare_targets
from queuepulse.settings import PbxSettings
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import run_simulator
from queuepulse.store.sites import write_site
from queuepulse.store.writers import BatchWriter

pytestmark = pytest.mark.e2e

SECRET = "site-zone-secret-123"
AT = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def _config(zone: str | None) -> SimulatorConfig:
    return SimulatorConfig(model=ModelConfig(seed=3, queues=2, agents=4), manual_clock=True,
                           client_id="site-zone", client_secret=SECRET, time_zone=zone)


def _site(dsn: str, pbx_id: str) -> Any:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT time_zone, time_zone_source FROM pbx_sites "
                            "WHERE pbx_id = %s", (pbx_id,)).fetchone()


def _run_sync(url: str, dsn: str, pbx_id: str) -> None:
    argv = ["run", "sync", "--url", url, "--dsn", dsn, "--pbx-id", pbx_id,
            "--client-id", "site-zone", "--once"]
    assert main(argv) == 0


@pytest.mark.parametrize(("zone", "setting", "expected"), [
    ("Asia/Kolkata", None, ("Asia/Kolkata", "pbx")),
    ("Asia/Kolkata", "Europe/Berlin", ("Europe/Berlin", "setting")),
    ("Asia/Kolkata", "UTC", ("UTC", "setting")),
    (None, None, ("UTC", "default")),
], ids=["pbx-zone", "setting-wins", "utc-setting-wins", "no-zone-anywhere"])
def test_run_sync_writes_the_site_zone_by_precedence(
    pg_writer_dsn: str, monkeypatch: pytest.MonkeyPatch, zone: str | None,
    setting: str | None, expected: tuple[str, str],
) -> None:
    monkeypatch.setenv("QUEUEPULSE_PBX__CLIENT_SECRET", SECRET)
    if setting is None:
        monkeypatch.delenv("QUEUEPULSE_PBX__TIME_ZONE", raising=False)
    else:
        monkeypatch.setenv("QUEUEPULSE_PBX__TIME_ZONE", setting)
    with run_simulator(_config(zone)) as sim:
        _run_sync(sim.base_url, pg_writer_dsn, "site")
    assert _site(pg_writer_dsn, "site") == expected


def test_a_default_row_never_replaces_the_pbx_zone(pg_writer_dsn: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`run sync` read Asia/Kolkata from the PBX; a flow without the setting (the live flow's
    first item writes the UTC default) keeps it; a setting and a new PBX zone replace it."""
    monkeypatch.setenv("QUEUEPULSE_PBX__CLIENT_SECRET", SECRET)
    monkeypatch.delenv("QUEUEPULSE_PBX__TIME_ZONE", raising=False)
    with run_simulator(_config("Asia/Kolkata")) as sim:
        _run_sync(sim.base_url, pg_writer_dsn, "guard")
    assert _site(pg_writer_dsn, "guard") == ("Asia/Kolkata", "pbx")
    plain = PbxSettings(pbx_id="guard")
    assert plain.site_time_zone == ("UTC", "default")
    writer = BatchWriter.from_dsn(pg_writer_dsn)
    try:
        write_site(writer, plain, AT)
        assert _site(pg_writer_dsn, "guard") == ("Asia/Kolkata", "pbx")
        write_site(writer, plain, AT, ("Europe/Berlin", "pbx"))
        assert _site(pg_writer_dsn, "guard") == ("Europe/Berlin", "pbx")
        write_site(writer, PbxSettings(pbx_id="guard", time_zone="America/Chicago"), AT)
        assert _site(pg_writer_dsn, "guard") == ("America/Chicago", "setting")
        write_site(writer, plain, AT)  # a setting is not protected: its removal reverts
        assert _site(pg_writer_dsn, "guard") == ("UTC", "default")
    finally:
        writer.close()


@pytest.mark.parametrize(("setting", "expected"), [
    (None, ("Asia/Kolkata", "pbx")), ("Europe/Berlin", ("Europe/Berlin", "setting")),
], ids=["pbx-zone", "setting-wins"])
def test_the_live_start_up_writes_the_pbx_zone(
    pg_writer_dsn: str, setting: str | None, expected: tuple[str, str]
) -> None:
    """`run live`/`demo` start-up (prepare_targets) reads the PBX's zone once when the setting
    is absent."""
    with run_simulator(_config("Asia/Kolkata")) as sim:
        extra: dict[str, Any] = {} if setting is None else {"time_zone": setting}
        pbx = PbxSettings(pbx_id="live-start", url=sim.base_url, client_id="site-zone",
                          client_secret=SecretStr(SECRET), **extra)
        prepare_targets((pbx,), pg_writer_dsn)
    assert _site(pg_writer_dsn, "live-start") == expected
