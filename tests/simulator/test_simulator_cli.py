"""``queuepulse simulate``: options, truth export, clean errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from queuepulse.cli import build_parser, main
from queuepulse.commands.simulate import build_config

pytestmark = pytest.mark.unit


def test_options_build_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIM_SECRET", "from-env")
    args = build_parser().parse_args([
        "simulate", "--queues", "7", "--agents", "30", "--seed", "9", "--speed", "60",
        "--answered-callee", "agent", "--waiting-status", "Routing", "--profile", "office",
        "--faults", "ActiveCalls:status=503@p0.1", "--client-id", "svc",
        "--client-secret-env", "SIM_SECRET", "--start", "2026-01-05T08:00:00Z",
        "--time-zone", "Asia/Kolkata"])
    cfg = build_config(args)
    assert (cfg.model.queues, cfg.model.agents, cfg.model.seed) == (7, 30, 9)
    assert cfg.speed == 60
    assert cfg.model.answered_callee == "agent"
    assert cfg.model.waiting_status == "Routing"
    assert cfg.client_id == "svc"
    assert cfg.client_secret == "from-env"
    assert cfg.faults[0].kind == "status"
    assert cfg.start is not None
    assert cfg.start.isoformat() == "2026-01-05T08:00:00+00:00"
    assert cfg.time_zone == "Asia/Kolkata"


def test_time_zone_default_and_none() -> None:
    base = ["simulate", "--client-secret-env", "PATH"]
    assert build_config(build_parser().parse_args(base)).time_zone == "UTC"
    assert build_config(build_parser().parse_args([*base, "--time-zone", "none"])).time_zone is None


def test_extra_clients_each_get_their_own_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from queuepulse.simulator import run_simulator

    monkeypatch.setenv("SIM_SECRET", "main-secret")
    (tmp_path / "rec").write_text("reconcile-secret\n")
    args = build_parser().parse_args([
        "simulate", "--client-id", "live", "--client-secret-env", "SIM_SECRET",
        "--extra-client", f"reconcile={tmp_path / 'rec'}", "--manual-clock", "--warmup", "0"])
    cfg = build_config(args)
    assert cfg.extra_clients == (("reconcile", "reconcile-secret"),)
    with run_simulator(cfg) as sim:
        def token(client_id: str, secret: str) -> httpx.Response:
            return httpx.post(f"{sim.base_url}/connect/token", data={
                "client_id": client_id, "client_secret": secret,
                "grant_type": "client_credentials"})

        live, rec = token("live", "main-secret"), token("reconcile", "reconcile-secret")
        assert live.status_code == rec.status_code == 200
        assert token("reconcile", "main-secret").status_code != 200
        for response in (live, rec):  # neither token revoked the other
            calls = httpx.get(f"{sim.xapi_url}/ActiveCalls", headers={
                "Authorization": f"Bearer {response.json()['access_token']}"})
            assert calls.status_code == 200


@pytest.mark.parametrize("spec", ["reconcile", "=file", "reconcile=/nonexistent/secret"])
def test_bad_extra_client_is_a_clean_error(spec: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--export-truth", "/nonexistent/never", "--extra-client", spec]) == 2
    assert "--extra-client" in capsys.readouterr().err


def test_export_truth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["simulate", "--export-truth", str(tmp_path), "--duration", "900",
                 "--start", "2026-01-05T09:00:00Z", "--warmup", "0", "--rate", "2"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    visits = [json.loads(line) for line in (tmp_path / "visits.jsonl").read_text().splitlines()]
    kpis = [json.loads(line) for line in (tmp_path / "kpi_1m.jsonl").read_text().splitlines()]
    assert report["rows"]["visits"] == len(visits) > 10
    assert sum(k["offered"] for k in kpis) == len(visits)
    assert (tmp_path / "calls.jsonl").exists()
    assert (tmp_path / "agent_states.jsonl").exists()


@pytest.mark.parametrize("bad", [["--faults", "x:boom"], ["--profile", "weekend"],
                                 ["--speed", "0"], ["--client-secret-env", "NOPE_NOT_SET_1"],
                                 ["--time-zone", "Mars/Olympus_Mons"]])
def test_bad_options_are_clean_errors(bad: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--export-truth", "/nonexistent/never", *bad]) == 2
    assert "queuepulse: error:" in capsys.readouterr().err


def test_served_as_a_subprocess_on_a_free_port() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "queuepulse.cli", "simulate", "--port", "0", "--manual-clock",
         "--start", "2026-01-05T09:00:00Z", "--warmup", "300", "--tenants", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        url = first["simulator_url"]
        assert first["tenants"] == 2
        with httpx.Client(timeout=10) as c:
            # the socket listens before uvicorn starts; the request waits in the backlog
            state = c.get(f"{url}/pbx/1/simulator/state").json()
            assert state["now"] == "2026-01-05T09:00:00.000Z"
            assert state["pbx_id"] == "pbx-1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
