"""``run live`` whose metrics port is taken fails before it writes anything: exit 2, one line,
no configuration rows (the port is bound before the PBX's configuration is written)."""

from __future__ import annotations

import socket

import psycopg
import pytest

from queuepulse.cli import main
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import run_simulator

pytestmark = pytest.mark.db



def _rows(dsn: str, pbx_id: str) -> int:
    with psycopg.connect(dsn) as conn:
        total = 0
        for table in ("queues", "agents", "queue_agents", "agent_states"):
            row = conn.execute(f"SELECT count(*) FROM {table} WHERE pbx_id = %s",
                               (pbx_id,)).fetchone()
            assert row is not None
            total += int(row[0])
    return total


@pytest.mark.parametrize("processes", [1, 2])
def test_run_live_with_its_metrics_port_taken_writes_nothing(
    processes: int, pg_writer_dsn: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = SimulatorConfig(model=ModelConfig(seed=3, queues=2, agents=4),
                             manual_clock=True, pbx_id="porttaken", client_id="pt",
                             client_secret="port-taken-secret")
    with socket.socket() as taken, run_simulator(config) as sim:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1] - (processes - 1)  # the last member's port is taken
        monkeypatch.setenv("QUEUEPULSE_PBX__CLIENT_SECRET", "port-taken-secret")
        code = main(["run", "live", "--url", sim.base_url, "--client-id", "pt",
                     "--pbx-id", "porttaken", "--dsn", pg_writer_dsn, "--metrics-port",
                     str(port), "--processes", str(processes), "--run-for", "1"])
        issued = sim.simulator.state()["tokens_issued"]
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1, err
    assert lines[0].startswith("queuepulse: error: cannot serve /healthz and /metrics on ")
    assert "--metrics-port" in lines[0]
    assert issued == 0  # not even a token: the PBX was never asked
    assert _rows(pg_writer_dsn, "porttaken") == 0
