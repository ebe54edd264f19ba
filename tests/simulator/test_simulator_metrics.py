"""``GET /metrics`` and ``GET /healthz`` of the simulator, served without a token: its state as
Prometheus gauges (levels) and counters (running counts), and whether it can answer ActiveCalls
(503 with the reason when not)."""

from __future__ import annotations

import threading

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from queuepulse.simulator.app import create_app
from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.faults import parse_fault_spec
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.runtime import Simulator

pytestmark = pytest.mark.unit


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_mirror_the_state_and_faults() -> None:
    config = SimulatorConfig(
        model=ModelConfig(seed=3, queues=2, agents=6, calls_per_min_per_queue=6.0),
        manual_clock=True, pbx_id="sim-a", client_secret="metrics-secret-1",
        faults=parse_fault_spec("ActiveCalls:status=503@n1"),
    )
    sim = Simulator(config)
    client = TestClient(create_app(sim))
    sim.advance(1800)
    token = client.post("/connect/token", data={
        "client_id": sim.config.client_id, "client_secret": "metrics-secret-1",
        "grant_type": "client_credentials"}).json()["access_token"]
    assert client.get("/xapi/v1/ActiveCalls",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 503
    response = client.get("/metrics")  # no token needed, as for /healthz
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    state = sim.state()
    label = (("pbx_id", "sim-a"),)
    assert samples[("queuepulse_simulator_active_calls", label)] == state["active_calls"]
    assert samples[("queuepulse_simulator_waiting_calls", label)] == state["waiting"]
    assert samples[("queuepulse_simulator_calls_started_total", label)] == (
        state["calls_total"]) > 0
    assert samples[("queuepulse_simulator_tokens_issued_total", label)] == 1
    assert samples[("queuepulse_simulator_faults_fired_total",
                    (("kind", "status"), ("pbx_id", "sim-a")))] == 1


def _sim() -> tuple[Simulator, TestClient]:
    config = SimulatorConfig(model=ModelConfig(seed=5, queues=2, agents=6,
                                               calls_per_min_per_queue=6.0),
                             manual_clock=True, pbx_id="sim-h")
    sim = Simulator(config)
    return sim, TestClient(create_app(sim))


def test_healthz_is_ok_while_the_model_answers_active_calls() -> None:
    sim, client = _sim()
    sim.advance(600)
    response = client.get("/healthz")
    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "ok"
    assert report["now"] == sim.state()["now"]
    assert report["active_calls"] == sim.state()["active_calls"]


def test_healthz_fails_with_the_reason_when_the_model_cannot_advance(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim, client = _sim()

    def broken(now_ms: int) -> None:
        raise RuntimeError("model broke")

    monkeypatch.setattr(sim.engine, "advance_to", broken)
    sim.clock.advance(5)  # the clock moves on; the model cannot follow
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "failing",
        "reason": "ActiveCalls cannot be answered: RuntimeError: model broke"}


def test_healthz_fails_when_the_model_lags_its_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    sim, client = _sim()
    monkeypatch.setattr(sim.engine, "advance_to", lambda now_ms: None)  # stuck, silently
    sim.clock.advance(5)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["reason"].startswith("the model is behind its clock")


def test_healthz_fails_while_the_model_is_busy() -> None:
    sim, client = _sim()
    sim.health_timeout_s = 0.05
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with sim.lock:
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        held.wait(10)
        response = client.get("/healthz")
    finally:
        release.set()
        holder.join()
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "reason": "the model is busy: its lock was not free within 0.05 s"}
    assert client.get("/healthz").status_code == 200  # free again
