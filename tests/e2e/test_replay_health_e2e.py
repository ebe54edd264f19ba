"""``queuepulse replay`` serves /healthz (ready while the replay runs) and the live flow's
/metrics, and stops serving when it ends."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from live_helpers import record
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_replay_serves_health_and_the_live_metrics_while_it_runs(
    pg_dsn: str, tmp_path: Path
) -> None:
    path = tmp_path / "rec.jsonl"
    record(path, seed=3, seconds=30)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "queuepulse.cli", "--log-level", "WARNING", "replay", str(path),
         "--dsn", pg_dsn, "--speed", "5", "--metrics-port", str(port)],  # about 6 s
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
        text=True)
    health: tuple[int, str] | None = None
    metrics = ""
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                status, body = _get(port, "/healthz")
            except (ConnectionError, urllib.error.URLError):
                time.sleep(0.1)  # not serving yet
                continue
            if status == 200:
                health = status, body
                metrics = _get(port, "/metrics")[1]
                break
            time.sleep(0.1)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "polls committed" in out
    assert health is not None, "no ready /healthz while the replay ran"
    report = json.loads(health[1])
    assert report["ready"] is True
    assert report["replaying"] is True
    assert report["database_down"] is False
    families = {f.name for f in text_string_to_metric_families(metrics)}
    assert {"queuepulse_rows_emitted", "queuepulse_gaps", "queuepulse_polls"} <= families
    assert not {f for f in families if f.startswith(("queuepulse_record_", "queuepulse_sync_",
                                                     "queuepulse_reconcile_"))}
    with pytest.raises(ConnectionRefusedError):  # stopped with the replay
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
