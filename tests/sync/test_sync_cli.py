"""``queuepulse run sync --once`` against the simulator over HTTP and a migrated database."""

from __future__ import annotations

import psycopg
import pytest

from queuepulse.cli import main
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import run_simulator

pytestmark = pytest.mark.e2e


def test_run_sync_once(pg_writer_dsn: str, monkeypatch: pytest.MonkeyPatch,
                       capsys: pytest.CaptureFixture[str]) -> None:
    config = SimulatorConfig(model=ModelConfig(seed=2, queues=3, agents=9), manual_clock=True,
                             client_id="cli-sync", client_secret="cli-secret-123")
    with run_simulator(config) as sim:
        monkeypatch.setenv("QUEUEPULSE_PBX__CLIENT_SECRET", "cli-secret-123")
        argv = ["run", "sync", "--url", sim.base_url, "--dsn", pg_writer_dsn,
                "--pbx-id", "cli", "--client-id", "cli-sync", "--once"]
        assert main(argv) == 0
        assert main(argv) == 0  # a second run changes nothing
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("synced cli: 3 queues, ")
    assert out[1].endswith("0 rows opened, 0 closed, 0 agent state rows")
    with psycopg.connect(pg_writer_dsn) as conn:
        row = conn.execute("SELECT count(*) FROM queues WHERE pbx_id = 'cli' "
                           "AND valid_to IS NULL").fetchone()
    assert row == (3,)


def test_run_sync_bad_secret_is_a_clean_error(pg_writer_dsn: str,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    config = SimulatorConfig(model=ModelConfig(seed=2, queues=1, agents=2), manual_clock=True)
    with run_simulator(config) as sim:
        monkeypatch.setenv("QUEUEPULSE_PBX__CLIENT_SECRET", "wrong-secret-xyz")
        code = main(["run", "sync", "--url", sim.base_url, "--dsn", pg_writer_dsn, "--once"])
    err = capsys.readouterr().err
    assert code == 2
    assert "queuepulse: error:" in err
    assert "wrong-secret-xyz" not in err
