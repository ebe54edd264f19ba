"""Fault injection: spec parsing, triggers, and each fault kind as a client sees it."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from simulator_helpers import FORM, manual_config, validate
from starlette.testclient import TestClient

from queuepulse.simulator.app import create_app
from queuepulse.simulator.faults import FaultInjector, FaultRule, FaultSpecError, parse_fault_spec
from queuepulse.simulator.runtime import Simulator
from queuepulse.simulator.server import run_simulator

pytestmark = pytest.mark.unit



def test_spec_strings_and_json() -> None:
    rules = parse_fault_spec("ActiveCalls:status=503@p0.25; token:401@n3; *:latency=0.2;"
                             "Report*:429=7@every4; ActiveCalls:reset@n2-4")
    assert rules == (
        FaultRule("status", "ActiveCalls", 503.0, probability=0.25),
        FaultRule("401", "token", first=3, last=3),
        FaultRule("latency", "*", 0.2),
        FaultRule("429", "Report*", 7.0, every=4),
        FaultRule("reset", "ActiveCalls", first=2, last=4),
    )
    as_json = parse_fault_spec(json.dumps([{"kind": "stale", "endpoint": "ActiveCalls",
                                            "every": 2}]))
    assert as_json == (FaultRule("stale", "ActiveCalls", every=2),)
    for bad in ("ActiveCalls:explode", "ActiveCalls", "x:status@sometimes", "[{\"kind\": 1"):
        with pytest.raises(FaultSpecError):
            parse_fault_spec(bad)


def test_triggers_count_per_rule_and_endpoint() -> None:
    inj = FaultInjector(parse_fault_spec("ActiveCalls:status@n2-3; Queues:html@every2"))
    seen = [[r.kind for r in inj.decide(ep)] for ep in
            ("ActiveCalls", "Queues", "ActiveCalls", "Queues", "ActiveCalls", "ActiveCalls")]
    assert seen == [[], [], ["status"], ["html"], ["status"], []]
    maybe = FaultInjector(parse_fault_spec("*:status@p0.5"), seed=3)
    hits = sum(bool(maybe.decide("Users")) for _ in range(400))
    assert 150 < hits < 250


def test_time_window_trigger_is_an_outage() -> None:
    sim, c, h = _client("*:status=503@t30-60")
    assert c.get("/xapi/v1/Users", headers=h).status_code == 200
    sim.advance(30)
    assert c.get("/xapi/v1/Users", headers=h).status_code == 503
    assert c.post("/connect/token", data=FORM).status_code == 503
    sim.advance(29.9)
    assert c.get("/xapi/v1/ActiveCalls", headers=h).status_code == 503
    sim.advance(0.1)
    assert c.get("/xapi/v1/ActiveCalls", headers=h).status_code == 200
    assert parse_fault_spec("ActiveCalls:reset@t1.5-2") == (
        FaultRule("reset", "ActiveCalls", from_s=1.5, until_s=2.0),)


def _client(spec: str) -> tuple[Simulator, TestClient, dict[str, str]]:
    sim = Simulator(manual_config(faults=parse_fault_spec(spec)))
    client = TestClient(create_app(sim))
    token = client.post("/connect/token", data=FORM).json()["access_token"]
    return sim, client, {"Authorization": f"Bearer {token}"}


def test_error_statuses_429_html_and_malformed() -> None:
    _, c, h = _client("ActiveCalls:status=502@n1; ActiveCalls:429=3@n2; ActiveCalls:html@n3;"
                      "ActiveCalls:malformed@n4")
    r = c.get("/xapi/v1/ActiveCalls", headers=h)
    assert r.status_code == 502
    validate("ListActiveCall", r.json(), "default")
    r = c.get("/xapi/v1/ActiveCalls", headers=h)
    assert r.status_code == 429
    assert r.headers["retry-after"] == "3"
    validate("ListActiveCall", r.json(), "default")
    r = c.get("/xapi/v1/ActiveCalls", headers=h)
    assert r.status_code == 502
    assert r.headers["content-type"].startswith("text/html")
    r = c.get("/xapi/v1/ActiveCalls", headers=h)
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)
    assert c.get("/xapi/v1/ActiveCalls", headers=h).json()["value"] is not None


def test_401_fault_revokes_the_token() -> None:
    _, c, h = _client("Queues:401@n1")
    assert c.get("/xapi/v1/Queues", headers=h).status_code == 401
    assert c.get("/xapi/v1/Users", headers=h).status_code == 401
    token = c.post("/connect/token", data=FORM).json()["access_token"]
    assert c.get("/xapi/v1/Users", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_token_endpoint_faults() -> None:
    sim = Simulator(manual_config(faults=parse_fault_spec("token:status=500@n1; token:401@n2")))
    c = TestClient(create_app(sim))
    assert c.post("/connect/token", data=FORM).status_code == 500
    refused = c.post("/connect/token", data=FORM)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert c.post("/connect/token", data=FORM).status_code == 200


def test_stale_skew_and_restart() -> None:
    sim, c, h = _client("ActiveCalls:stale@n2; ActiveCalls:skew=30@n3; ActiveCalls:restart@n4")
    first = c.get("/xapi/v1/ActiveCalls", headers=h)
    sim.advance(10)
    stale = c.get("/xapi/v1/ActiveCalls", headers=h)
    assert stale.content == first.content
    skewed = c.get("/xapi/v1/ActiveCalls", headers=h).json()["value"]
    assert {v["ServerNow"] for v in skewed} == {"2026-01-05T09:00:40.000Z"}
    ids_before = {v["Id"] for v in skewed}
    assert max(ids_before) > 5
    assert c.get("/xapi/v1/ActiveCalls", headers=h).json()["value"] == []
    sim.advance(120)
    after = c.get("/xapi/v1/ActiveCalls", headers=h).json()["value"]
    assert after
    assert max(v["Id"] for v in after) < max(ids_before)
    new_ids = [r["call_id"] for r in sim.truth.calls("2026-01-05T09:00:10Z")]
    assert new_ids[:3] == [1, 2, 3]
    assert sim.state()["restarts"] == 1


def test_faults_replaced_at_run_time() -> None:
    sim, c, h = _client("")
    assert c.get("/xapi/v1/SystemStatus", headers=h).status_code == 200
    r = c.post("/simulator/control/faults", json={"spec": "SystemStatus:status=503"})
    assert r.json() == {"rules": 1}
    assert c.get("/xapi/v1/SystemStatus", headers=h).status_code == 503
    c.post("/simulator/control/faults", json=[])
    assert c.get("/xapi/v1/SystemStatus", headers=h).status_code == 200
    assert c.post("/simulator/control/faults", json={"spec": "x:boom"}).status_code == 400
    assert sim.faults.fired == {"status": 1}


def test_reset_truncated_and_latency_over_real_http() -> None:
    spec = "ActiveCalls:reset@n1; ActiveCalls:truncated@n2; SystemStatus:latency=0.05"
    with run_simulator(manual_config(faults=parse_fault_spec(spec))) as sim:
        with httpx.Client(base_url=sim.base_url, timeout=5) as c:
            token = c.post("/connect/token", data=FORM).json()["access_token"]
            h = {"Authorization": f"Bearer {token}"}
            with pytest.raises(httpx.TransportError):
                c.get("/xapi/v1/ActiveCalls", headers=h)
            with pytest.raises(httpx.TransportError):
                c.get("/xapi/v1/ActiveCalls", headers=h)
            ok = c.get("/xapi/v1/ActiveCalls", headers=h)
            assert ok.status_code == 200
            validate("ListActiveCall", ok.json())
            started = time.perf_counter()
            assert c.get("/xapi/v1/SystemStatus", headers=h).status_code == 200
            assert time.perf_counter() - started >= 0.05
        assert sim.simulator.faults.fired == {"reset": 1, "truncated": 1, "latency": 1}


def test_fleet_serves_independent_pbxs_on_one_port() -> None:
    from queuepulse.simulator.server import fleet_configs, run_fleet

    with run_fleet(fleet_configs(manual_config(), 3)) as fleet:
        assert [s.base_url.rsplit("/", 2)[-2:] for s in fleet] == [["pbx", "0"], ["pbx", "1"],
                                                                 ["pbx", "2"]]
        with httpx.Client(timeout=5) as c:
            tokens = [c.post(f"{s.base_url}/connect/token", data=FORM).json()["access_token"]
                      for s in fleet]
            bodies = []
            for s, tok in zip(fleet, tokens, strict=True):
                r = c.get(f"{s.xapi_url}/ActiveCalls", headers={"Authorization": f"Bearer {tok}"})
                assert r.status_code == 200
                validate("ListActiveCall", r.json())
                bodies.append(r.json()["value"])
            assert bodies[0] != bodies[1]
            # one token per PBX: PBX 1 does not accept PBX 0's token
            other = c.get(f"{fleet[1].xapi_url}/SystemStatus",
                          headers={"Authorization": f"Bearer {tokens[0]}"})
            assert other.status_code == 401
            assert c.get(f"{fleet[0].base_url[:-6]}/pbx/7/xapi/v1/SystemStatus").status_code == 404
            assert fleet[2].simulator.config.pbx_id == "pbx-2"
            assert fleet[2].truth.visits()[0]["pbx_id"] == "pbx-2"
            assert fleet[0].client_secret not in repr(fleet[0])
