"""``GET /metrics`` of the simulator: its state as Prometheus gauges, like its ``/healthz``
served without a token (every long-running command serves /healthz and /metrics)."""

from __future__ import annotations

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
    assert samples[("queuepulse_simulator_calls_started", label)] == state["calls_total"] > 0
    assert samples[("queuepulse_simulator_tokens_issued", label)] == 1
    assert samples[("queuepulse_simulator_faults_fired",
                    (("kind", "status"), ("pbx_id", "sim-a")))] == 1
