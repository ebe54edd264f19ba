"""The simulator's queue configuration writes over real HTTP, checked against the official
OpenAPI document: the operations and their body schemas, 400s with OData error bodies for bodies
the document refuses, 3CX's numbering rules, and the changes showing up in /Queues, the live
model and the ground truth."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from simulator_helpers import SPEC_PATH, spec, swagger, validate
from spec_schema_gen import render

from queuepulse.simulator.config import SimulatorConfig
from queuepulse.simulator.model.config import ModelConfig
from queuepulse.simulator.server import RunningSimulator, run_simulator

pytestmark = pytest.mark.e2e

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SCHEMAS_MODULE = (
    __import__("pathlib").Path(__file__).resolve().parents[2]
    / "queuepulse" / "simulator" / "spec_schemas.py"
)


def _swagger() -> dict[str, Any]:
    return swagger()


def _request_schema(path: str, method: str) -> str:
    op = _swagger()["paths"][path][method]
    return str(op["requestBody"]["content"]["application/json"]["schema"]["$ref"]).split("/")[-1]


def _validate_schema(name: str, body: Any) -> None:
    from jsonschema import FormatChecker
    from openapi_schema_validator import OAS30Validator

    doc = spec()
    schema = {"$ref": f"#/components/schemas/{name}", "components": doc["components"]}
    OAS30Validator(schema, format_checker=FormatChecker()).validate(body)


class Api:
    """An httpx client with a bearer token against a running simulator."""

    def __init__(self, sim: RunningSimulator) -> None:
        self.sim = sim
        token = httpx.post(f"{sim.base_url}/connect/token", data={
            "client_id": sim.client_id, "client_secret": sim.client_secret,
            "grant_type": "client_credentials"}).json()["access_token"]
        self.http = httpx.Client(base_url=sim.xapi_url,
                                 headers={"Authorization": f"Bearer {token}"})

    def call(self, method: str, path: str, body: Any = None, **params: str) -> httpx.Response:
        return self.http.request(method, path, json=body, params=params or None)

    def ok(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        r = self.call(method, path, body, **params)
        assert r.is_success, (method, path, r.status_code, r.text)
        return r.json() if r.content else None


@pytest.fixture
def api() -> Iterator[Api]:
    config = SimulatorConfig(
        model=ModelConfig(seed=3, queues=3, agents=12, calls_per_min_per_queue=4.0,
                          noise_users=2),
        start=START, warmup_s=600, manual_clock=True, background_tick_s=0.0)
    with run_simulator(config) as running:
        client = Api(running)
        yield client
        client.http.close()


def test_embedded_schemas_are_the_documents() -> None:
    """spec_schemas.py is exactly the document's Pbx.Queue/Pbx.User closure (regenerate with
    QUEUEPULSE_UPDATE_GOLDEN=1)."""
    if not SPEC_PATH.exists():
        pytest.skip("OpenAPI document not found")
    text = render(json.loads(SPEC_PATH.read_text(encoding="utf-8"))["components"]["schemas"])
    if os.environ.get("QUEUEPULSE_UPDATE_GOLDEN"):
        SCHEMAS_MODULE.write_text(text, encoding="utf-8")
    assert SCHEMAS_MODULE.read_text(encoding="utf-8") == text


def test_write_operations_are_the_documented_ones() -> None:
    paths = _swagger()["paths"]
    assert paths["/Queues"]["post"]["operationId"] == "CreateQueue"
    assert paths["/Queues({Id})"]["patch"]["operationId"] == "UpdateQueue"
    assert paths["/Queues({Id})"]["delete"]["operationId"] == "DeleteQueue"
    assert paths["/Users({Id})"]["patch"]["operationId"] == "UpdateUser"
    assert paths["/Queues({Id})/Pbx.ResetQueueStatistics"]["post"]["operationId"] == (
        "ResetQueueStatistics")
    assert paths["/Queues/Pbx.GetFirstAvailableQueueNumber()"]["get"]["operationId"] == (
        "GetFirstAvailableQueueNumber")
    assert _request_schema("/Queues", "post") == "Pbx.Queue"
    assert _request_schema("/Queues({Id})", "patch") == "Pbx.Queue"
    assert _request_schema("/Users({Id})", "patch") == "Pbx.User"
    assert set(paths["/Queues({Id})"]["patch"]["responses"]) == {"204", "default"}
    assert set(paths["/Queues"]["post"]["responses"]) == {"201", "default"}


def test_create_without_number_takes_the_first_available(api: Api) -> None:
    first = api.ok("GET", "/Queues/Pbx.GetFirstAvailableQueueNumber()")
    assert first == {"Number": "803"}  # 800-802 exist
    declared = _swagger()["components"]["schemas"]["Pbx.FirstAvailableNumber"]["properties"]
    assert set(first) == set(declared)
    assert declared["Number"]["type"] == "string"
    r = api.call("POST", "/Queues", {"Name": "Billing", "SLATime": 30,
                                     "Agents": [{"Number": "1000"}, {"Number": "1001",
                                                                     "SkillGroup": "B"}]})
    assert r.status_code == 201, r.text
    created = r.json()
    _validate_schema("Pbx.Queue", created)
    assert created["Number"] == "803"
    assert created["SLATime"] == 30
    assert [(a["Number"], a["SkillGroup"]) for a in created["Agents"]] == [
        ("1000", None), ("1001", "B")]
    by_number = api.ok("GET", "/Queues(Number='803')", **{"$expand": "Agents"})
    assert by_number["Id"] == created["Id"]
    _validate_schema("Pbx.Queue", by_number)
    validate("GetQueueByNumber", by_number)
    assert api.ok("GET", "/Queues/Pbx.GetFirstAvailableQueueNumber()") == {"Number": "804"}
    assert "803" in [q["Number"] for q in api.ok("GET", "/Queues")["value"]]


def test_create_with_a_number_in_use_is_refused(api: Api) -> None:
    r = api.call("POST", "/Queues", {"Number": "800", "Name": "Again"})
    assert r.status_code == 400
    validate("ListQueue", r.json(), "default")
    assert r.json()["error"]["target"] == "Number"


@pytest.mark.parametrize(("body", "target"), [
    ({"Colour": "red"}, "Colour"),
    ({"SLATime": "thirty"}, "SLATime"),
    ({"SLATime": 2**31}, "SLATime"),
    ({"PriorityQueue": 1}, "PriorityQueue"),
    ({"PollingStrategy": "RoundRobin"}, "PollingStrategy"),
    ({"Agents": [{"Number": "1000", "Skill": "A"}]}, "Agents[0].Skill"),
    ({"Agents": "1000"}, "Agents"),
    ({"NotifyCodes": ["CallLost", "Lunch"]}, "NotifyCodes[1]"),
    ({"ResetQueueStatisticsSchedule": {"Time": "25:00:00"}}, "ResetQueueStatisticsSchedule.Time"),
])
def test_bodies_the_document_refuses_get_a_400_naming_the_field(
    api: Api, body: dict[str, Any], target: str,
) -> None:
    before = api.ok("GET", "/Queues(100001)", **{"$expand": "Agents"})
    r = api.call("PATCH", "/Queues(100001)", body)
    assert r.status_code == 400, r.text
    error = r.json()
    validate("ListQueue", error, "default")  # the document's ODataError shape
    assert error["error"]["target"] == target
    assert target in error["error"]["message"]
    assert api.ok("GET", "/Queues(100001)", **{"$expand": "Agents"}) == before
    # the same body on a create is refused the same way, and creates nothing
    r = api.call("POST", "/Queues", {"Number": "890", **body})
    assert r.status_code == 400
    assert api.call("GET", "/Queues(Number='890')").status_code == 404


def test_every_problem_is_a_detail(api: Api) -> None:
    r = api.call("PATCH", "/Queues(100001)", {"SLATime": "x", "Nope": 1, "WrapUpTime": None})
    details = r.json()["error"]["details"]
    assert {d["target"] for d in details} == {"SLATime", "Nope"}  # WrapUpTime is nullable


def test_update_with_own_number_succeeds_and_changing_it_is_refused(api: Api) -> None:
    r = api.call("PATCH", "/Queues(100001)", {"Number": "800", "Name": "Sales EU",
                                               "RingTimeout": 15, "MasterTimeout": 0})
    assert r.status_code == 204
    assert r.content == b""
    q = api.ok("GET", "/Queues(100001)")
    assert (q["Name"], q["RingTimeout"], q["MasterTimeout"]) == ("Sales EU", 15, 0)
    r = api.call("PATCH", "/Queues(100001)", {"Number": "899"})
    assert r.status_code == 400
    assert r.json()["error"]["target"] == "Number"
    assert api.ok("GET", "/Queues(100001)")["Number"] == "800"


def test_members_and_managers_are_replaced_and_unknown_agents_refused(api: Api) -> None:
    api.ok("PATCH", "/Queues(100002)", {"Agents": [{"Number": "1003", "SkillGroup": "A"}],
                                         "Managers": [{"Number": "1012"}]})
    q = api.ok("GET", "/Queues(100002)", **{"$expand": "Agents,Managers"})
    assert [(a["Number"], a["SkillGroup"]) for a in q["Agents"]] == [("1003", "A")]
    assert [m["Number"] for m in q["Managers"]] == ["1012"]
    agents = api.ok("GET", "/Queues(100002)/Agents")
    validate("ListAgents", agents)
    r = api.call("PATCH", "/Queues(100002)", {"Agents": [{"Number": "4711"}]})
    assert r.status_code == 400
    assert r.json()["error"]["target"] == "Agents[0].Number"


def test_select_with_expand_returns_the_expanded_property(api: Api) -> None:
    rows = api.ok("GET", "/Queues", **{"$expand": "Agents", "$select": "Id,Number"})["value"]
    assert rows
    assert all(set(r) == {"Id", "Number", "Agents"} for r in rows)
    one = api.ok("GET", "/Queues(100001)", **{"$expand": "Agents", "$select": "Number"})
    assert set(one) == {"Number", "Agents"}
    validate("ListQueue", {"value": rows})


def test_delete_drops_waiting_callers_and_the_queue_is_gone(api: Api) -> None:
    sim = api.sim.simulator
    # nobody answers queue 801: calls pile up
    api.ok("PATCH", "/Queues(100002)", {"Agents": []})
    sim.advance(120)
    waiting = next(q for q in sim.truth.queues() if q["queue_dn"] == "801")["waiting"]
    assert waiting > 0
    r = api.call("DELETE", "/Queues(100002)")
    assert r.status_code == 204
    assert api.call("GET", "/Queues(100002)").status_code == 404
    assert api.call("GET", "/Queues(Number='801')").status_code == 404
    assert "801" not in [q["Number"] for q in api.ok("GET", "/Queues")["value"]]
    assert api.call("DELETE", "/Queues(100002)").status_code == 404
    visits = [v for v in sim.truth.visits() if v["queue_dn"] == "801"]
    assert not [v for v in visits if v["outcome"] == "waiting"]
    changes = sim.truth.queue_changes()
    assert changes[-1]["action"] == "deleted"
    assert changes[-1]["fields"] == {"dropped_calls": waiting}
    sim.advance(600)  # no call reaches the deleted queue any more
    assert not [v for v in sim.truth.visits() if v["queue_dn"] == "801"
                and v["entered_at"] > changes[-1]["ts"]]


def test_a_new_member_takes_waiting_calls(api: Api) -> None:
    sim = api.sim.simulator
    api.ok("PATCH", "/Queues(100001)", {"Agents": []})
    sim.advance(60)
    assert next(q for q in sim.truth.queues() if q["queue_dn"] == "800")["waiting"] > 0
    # an agent who is logged in, registered and available
    user = next(u for u in api.ok("GET", "/Users", **{"$select": "Id,Number,QueueStatus"})["value"]
                if u["QueueStatus"] == "LoggedIn")
    api.ok("PATCH", f"/Users({user['Id']})", {"QueueStatus": "LoggedIn"})
    agent = next(a for a in sim.engine.agents if a.dn == user["Number"])
    agent.registered, agent.profile = True, "Available"
    api.ok("PATCH", "/Queues(100001)", {"Agents": [{"Number": user["Number"]}]})
    sim.advance(60)
    answered = [v for v in sim.truth.visits()
                if v["queue_dn"] == "800" and v["agent_dn"] == user["Number"]]
    assert answered


def test_queue_status_logs_an_agent_out_and_in(api: Api) -> None:
    users = api.ok("GET", "/Users", **{"$select": "Id,Number,QueueStatus"})["value"]
    user = next(u for u in users if u["QueueStatus"] == "LoggedIn")
    r = api.call("PATCH", f"/Users({user['Id']})", {"QueueStatus": "LoggedOut"})
    assert r.status_code == 204
    got = api.ok("GET", f"/Users({user['Id']})", **{"$select": "QueueStatus"})
    assert got == {"QueueStatus": "LoggedOut"}
    states = api.sim.simulator.truth.agent_states()
    assert states[-1]["agent_dn"] == user["Number"]
    assert states[-1]["queue_status"] == "LoggedOut"
    r = api.call("PATCH", f"/Users({user['Id']})", {"QueueStatus": "Away"})
    assert r.status_code == 400
    assert r.json()["error"]["target"] == "QueueStatus"
    api.ok("PATCH", f"/Users({user['Id']})", {"QueueStatus": "LoggedIn"})
    got = api.ok("GET", f"/Users({user['Id']})", **{"$select": "QueueStatus"})
    assert got == {"QueueStatus": "LoggedIn"}


def test_reset_statistics_and_unknown_methods(api: Api) -> None:
    r = api.call("POST", "/Queues(100001)/Pbx.ResetQueueStatistics")
    assert r.status_code == 204
    assert api.sim.simulator.truth.queue_changes()[-1]["action"] == "statistics_reset"
    assert api.call("PUT", "/Queues(100001)", {}).status_code == 405
    r = api.call("PATCH", "/Queues(100001)")
    assert r.status_code == 400
    bad = api.http.request("POST", "/Queues", content=b"{not json",
                           headers={"content-type": "application/json"})
    assert bad.status_code == 400
    validate("ListQueue", bad.json(), "default")
