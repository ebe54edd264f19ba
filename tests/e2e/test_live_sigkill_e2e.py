"""Repeated SIGKILL + restart of ``run live --recovery-dir`` against a simulator over HTTP: no
event id is stored twice, and no visit is left open by a run that died."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import run_simulator

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _run_live(dsn: str, sim: object, tmp: Path, *extra: str) -> subprocess.Popen[str]:
    env = {
        **os.environ, "PYTHONPATH": str(ROOT),
        "QUEUEPULSE_PBX__URL": sim.base_url,  # type: ignore[attr-defined]
        "QUEUEPULSE_PBX__CLIENT_ID": sim.client_id,  # type: ignore[attr-defined]
        "QUEUEPULSE_PBX__CLIENT_SECRET": sim.client_secret,  # type: ignore[attr-defined]
        "QUEUEPULSE_PBX__PBX_ID": "kill", "QUEUEPULSE_PBX__POLL_INTERVAL_S": "0.2",
        "QUEUEPULSE_DB__SPOOL_DIR": str(tmp / "spool"),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "queuepulse.cli", "--log-level", "WARNING", "run", "live",
         "--dsn", dsn, "--recovery-dir", str(tmp / "recovery"), "--snapshot-s", "1",
         "--metrics-port", "0", *extra],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def test_repeated_sigkill_and_restart_store_each_event_id_once(
    pg_dsn: str, tmp_path: Path,
) -> None:
    rnd = random.Random(4)
    model = ModelConfig(seed=8, queues=2, agents=8, calls_per_min_per_queue=12)
    with run_simulator(SimulatorConfig(model=model, speed=10.0, warmup_s=300,
                                       pbx_id="kill")) as sim:
        for _ in range(3):
            proc = _run_live(pg_dsn, sim, tmp_path)
            time.sleep(4.0 + rnd.random() * 3.0)  # killed at a random moment once polling
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        last = _run_live(pg_dsn, sim, tmp_path, "--run-for", "6")
        _, err = last.communicate(timeout=120)
        assert last.returncode == 0, err[-2000:]
    with psycopg.connect(pg_dsn) as conn:
        events, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT event_id) FROM call_events "
            "WHERE pbx_id = 'kill'").fetchone() or (0, 0)
        claimed = conn.execute("SELECT count(*) FROM call_event_ids").fetchone()
    assert events > 50
    assert events == distinct  # each event id once, whatever the kills
    assert claimed == (events,)
